/**
 * Part of the optimizers' shared library: the options schema and the Adam update shared by the adam (coupled L2 decay, torch.optim.Adam) and adamw (decoupled
 * decay, torch.optim.AdamW) plugins, written op for op like PyTorch's single-tensor path so
 * float32 rounding matches: bias corrections in double precision, then cast to float32 scalars.
 */
import * as tf from "@tensorflow/tfjs-core";
import { z } from "zod";
import type { Optimizer } from "../../core/contracts.ts";
import { checkStepArgs, decayScopeSchema, decays, f32, loadCounters, SlotStore, type DecayScope } from "./common.ts";

/** Options of the adam plugin, which adamw extends. */
export const adamBaseSchema = z.strictObject({
  /** Base learning rate of the run (the schedule scales it). */
  lr: z.number().positive().optional(),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().positive().default(1e-8),
  weightDecay: z.number().min(0).default(0),
  decayScope: decayScopeSchema,
});

export interface AdamCoreOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly decayScope: DecayScope;
  /** Coupled: grad += wd * param. Decoupled: param *= 1 - lr * wd. */
  readonly decay: { readonly mode: "coupled" | "decoupled"; readonly weightDecay: number };
}

export function createAdamCore(where: string, o: AdamCoreOptions): Optimizer {
  const slots = new SlotStore();
  let t = 0;
  return {
    step(variables, gradients, lr) {
      checkStepArgs(where, variables, gradients, lr);
      t += 1;
      const stepSize = lr / (1 - o.beta1 ** t);
      const bc2Sqrt = Math.sqrt(1 - o.beta2 ** t);
      variables.forEach((v, i) => {
        tf.tidy(() => {
          let g = gradients[i];
          let p: tf.Tensor = v;
          const wd = o.decay.weightDecay;
          const decayed = wd !== 0 && decays(o.decayScope, v);
          if (decayed && o.decay.mode === "decoupled") p = tf.mul(p, f32(1 - lr * wd));
          if (decayed && o.decay.mode === "coupled") g = tf.add(g, tf.mul(p, f32(wd)));
          const m0 = slots.get(v, "m") ?? tf.zerosLike(v);
          const v0 = slots.get(v, "v") ?? tf.zerosLike(v);
          const m = tf.add(tf.mul(m0, f32(o.beta1)), tf.mul(g, f32(1 - o.beta1)));
          const s = tf.add(tf.mul(v0, f32(o.beta2)), tf.mul(tf.mul(g, f32(1 - o.beta2)), g));
          slots.set(v, "m", m);
          slots.set(v, "v", s);
          const denom = tf.add(tf.div(tf.sqrt(s), f32(bc2Sqrt)), f32(o.eps));
          v.assign(tf.add(p, tf.div(tf.mul(m, f32(-stepSize)), denom)));
        });
      });
    },
    // The step count t drives the bias corrections; m and v are the moments.
    saveState: (variables, names) => ({ scalars: { t }, tensors: slots.save(where, ["m", "v"], variables, names) }),
    loadState(variables, names, state) {
      const counters = loadCounters(where, state, ["t"]);
      slots.load(where, ["m", "v"], variables, names, state.tensors);
      t = counters.t;
    },
    dispose: () => {
      slots.dispose();
      t = 0;
    },
  };
}
