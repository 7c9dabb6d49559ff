/**
 * Linear warmup then cosine, per step: torch SequentialLR([LinearLR(startFactor, total_iters=W),
 * CosineAnnealingLR(T_max=T-W)], milestones=[W]) with W = round(warmupEpochs * stepsPerEpoch)
 * and T = epochs * stepsPerEpoch. Step s < W trains at baseLr * (startFactor + (1 - startFactor)
 * * s / W); step s >= W at the cosine from baseLr to etaMin over the remaining T - W steps.
 */
import { z } from "zod";
import { baseLrSchema, cosine, defineSchedule } from "../common.ts";

const schema = z.strictObject({
  baseLr: baseLrSchema,
  epochs: z.number().int().positive(),
  warmupEpochs: z.number().min(0),
  startFactor: z.number().gt(0).max(1).default(0.01),
  etaMin: z.number().min(0).default(0),
}).refine((o) => o.warmupEpochs < o.epochs, { message: "warmupEpochs must be less than epochs", path: ["warmupEpochs"] });

export const warmupCosineSchedule = defineSchedule(
  { name: "warmup-cosine", description: "Linear warmup then cosine annealing, per step" },
  schema,
  (o, p) => {
    const warm = Math.round(o.warmupEpochs * p.stepsPerEpoch);
    const total = o.epochs * p.stepsPerEpoch;
    const s = p.epoch * p.stepsPerEpoch + p.step;
    if (s < warm) return o.baseLr * (o.startFactor + ((1 - o.startFactor) * s) / warm);
    return cosine(o.baseLr, o.etaMin, s - warm, total - warm);
  },
  // The run's lr (and epochs) unless the recipe sets them here.
  (t) => ({ baseLr: t.lr, epochs: t.epochs }),
);

