/**
 * Cosine annealing from baseLr to etaMin over `epochs` (torch CosineAnnealingLR, T_max = epochs).
 * per "epoch" (the reference code: scheduler.step() after each epoch, so epoch e trains at
 * cos(pi e / T)); per "step": T_max = epochs * stepsPerEpoch, stepped after every batch.
 */
import { z } from "zod";
import { baseLrSchema, cosine, perSchema, defineSchedule } from "../common.ts";

const schema = z.strictObject({
  baseLr: baseLrSchema,
  epochs: z.number().int().positive(),
  etaMin: z.number().min(0).default(0),
  per: perSchema,
});

export const cosineSchedule = defineSchedule(
  { name: "cosine", description: "Cosine annealing per epoch or per step (torch CosineAnnealingLR)" },
  schema,
  (o, p) => {
    return o.per === "epoch"
      ? cosine(o.baseLr, o.etaMin, p.epoch, o.epochs)
      : cosine(o.baseLr, o.etaMin, p.epoch * p.stepsPerEpoch + p.step, o.epochs * p.stepsPerEpoch);
  },
  // The run's lr (and epochs) unless the recipe sets them here.
  (t) => ({ baseLr: t.lr, epochs: t.epochs }),
);

