/**
 * AdamW with torch.optim.AdamW semantics: param *= 1 - lr_t * weight_decay before the Adam step.
 * `decayConvention: "reference"` reproduces the reference code, which builds AdamW with
 * weight_decay = wd / lr_init, so the per-step shrink is 1 - wd * lr_t / lr_init; it needs `lr`
 * (the run's base learning rate, lr_init).
 */
import { z } from "zod";
import { InputError } from "../../../core/errors.ts";
import { adamBaseSchema, createAdamCore } from "../adam-core.ts";
import { defineOptimizer } from "../common.ts";

const schema = adamBaseSchema.extend({
  weightDecay: z.number().min(0).default(0.01),
  decayConvention: z.enum(["torch", "reference"]).default("torch"),
});

export const adamwOptimizer = defineOptimizer(
  {
    name: "adamw",
    version: "1.0.0",
    description: "AdamW with decoupled weight decay (torch.optim.AdamW; reference-code wd / lr_init convention optional)",
  },
  schema,
  (o) => {
    let weightDecay = o.weightDecay;
    if (o.decayConvention === "reference") {
      if (o.lr === undefined) {
        throw new InputError(`optimizer plugin "adamw"`, `option "lr": required with decayConvention "reference" (weight_decay = wd / lr)`);
      }
      weightDecay = o.weightDecay / o.lr;
    }
    return createAdamCore("optimizer adamw", { ...o, decay: { mode: "decoupled", weightDecay } });
  },
);
