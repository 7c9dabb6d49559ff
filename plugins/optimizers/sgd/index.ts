/**
 * SGD with torch.optim.SGD semantics: coupled L2 weight decay added to the gradient, a momentum
 * buffer initialised with the first (decayed) gradient, optional dampening and Nesterov.
 * The reference code uses momentum 0.9, Nesterov, coupled decay.
 */
import * as tf from "@tensorflow/tfjs-core";
import { z } from "zod";
import { checkStepArgs, decayScopeSchema, decays, defineOptimizer, f32, loadCounters, SlotStore } from "../common.ts";

const schema = z.strictObject({
  /** Base learning rate of the run (the schedule scales it); SGD itself uses only step()'s lr. */
  lr: z.number().positive().optional(),
  momentum: z.number().min(0).default(0.9),
  dampening: z.number().min(0).max(1).default(0),
  nesterov: z.boolean().default(true),
  weightDecay: z.number().min(0).default(0),
  decayScope: decayScopeSchema,
});

export const sgdOptimizer = defineOptimizer(
  { name: "sgd", version: "1.0.0", description: "SGD with momentum, Nesterov and coupled L2 weight decay (torch.optim.SGD semantics)" },
  schema,
  (o) => {
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(`optimizer "sgd": Nesterov needs momentum > 0 and dampening 0 (as torch.optim.SGD)`);
    }
    const slots = new SlotStore();
    return {
      step(variables, gradients, lr) {
        checkStepArgs("optimizer sgd", variables, gradients, lr);
        variables.forEach((v, i) => {
          tf.tidy(() => {
            let d = gradients[i];
            if (o.weightDecay !== 0 && decays(o.decayScope, v)) d = tf.add(d, tf.mul(v, f32(o.weightDecay)));
            if (o.momentum !== 0) {
              const prev = slots.get(v, "momentum");
              const buf = prev
                ? tf.add(tf.mul(prev, f32(o.momentum)), tf.mul(d, f32(1 - o.dampening)))
                : tf.clone(d);
              slots.set(v, "momentum", buf);
              d = o.nesterov ? tf.add(d, tf.mul(buf, f32(o.momentum))) : buf;
            }
            v.assign(tf.add(v, tf.mul(d, f32(-lr))));
          });
        });
      },
      // Only momentum buffers: one exists once its variable took a step, which is all SGD remembers.
      saveState: (variables, names) => ({ scalars: {}, tensors: slots.save("optimizer sgd", ["momentum"], variables, names) }),
      loadState(variables, names, state) {
        loadCounters("optimizer sgd", state, []);
        slots.load("optimizer sgd", ["momentum"], variables, names, state.tensors);
      },
      dispose: () => slots.dispose(),
    };
  },
);
