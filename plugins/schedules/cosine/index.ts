/**
 * Cosine annealing from baseLr to etaMin over `epochs` (torch CosineAnnealingLR, T_max = epochs).
 * per "epoch" (the reference code: scheduler.step() after each epoch, so epoch e trains at
 * cos(pi e / T)); per "step": T_max = epochs * stepsPerEpoch, stepped after every batch.
 */
import { z } from "zod";
import type { Schedule } from "../../../core/contracts.ts";
import { definePlugin, parseOptions } from "../../../core/plugin.ts";
import { baseLrSchema, checkPosition, cosine, perSchema } from "../common.ts";

const schema = z.strictObject({
  baseLr: baseLrSchema,
  epochs: z.number().int().positive(),
  etaMin: z.number().min(0).default(0),
  per: perSchema,
});
const meta = { kind: "schedule", name: "cosine", version: "1.0.0", description: "Cosine annealing per epoch or per step (torch CosineAnnealingLR)" } as const;

export function createCosine(options: z.input<typeof schema>): Schedule {
  const o = parseOptions(meta, schema, options);
  return {
    lr(p) {
      checkPosition("schedule cosine", p);
      return o.per === "epoch"
        ? cosine(o.baseLr, o.etaMin, p.epoch, o.epochs)
        : cosine(o.baseLr, o.etaMin, p.epoch * p.stepsPerEpoch + p.step, o.epochs * p.stepsPerEpoch);
    },
  };
}

// The run's lr, weight decay and epochs (one grid axis) unless the recipe sets them here.
export default definePlugin({ meta, create: (options, ctx) => createCosine({ baseLr: ctx.training?.lr, epochs: ctx.training?.epochs, ...options } as z.input<typeof schema>) });
