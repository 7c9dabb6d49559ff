/**
 * Linear warmup then cosine, per step: torch SequentialLR([LinearLR(startFactor, total_iters=W),
 * CosineAnnealingLR(T_max=T-W)], milestones=[W]) with W = round(warmupEpochs * stepsPerEpoch)
 * and T = epochs * stepsPerEpoch. Step s < W trains at baseLr * (startFactor + (1 - startFactor)
 * * s / W); step s >= W at the cosine from baseLr to etaMin over the remaining T - W steps.
 */
import { z } from "zod";
import type { Schedule } from "../../../core/contracts.ts";
import { definePlugin, parseOptions } from "../../../core/plugin.ts";
import { baseLrSchema, checkPosition, cosine } from "../common.ts";

const schema = z.strictObject({
  baseLr: baseLrSchema,
  epochs: z.number().int().positive(),
  warmupEpochs: z.number().min(0),
  startFactor: z.number().gt(0).max(1).default(0.01),
  etaMin: z.number().min(0).default(0),
}).refine((o) => o.warmupEpochs < o.epochs, { message: "warmupEpochs must be less than epochs", path: ["warmupEpochs"] });
const meta = { kind: "schedule", name: "warmup-cosine", version: "1.0.0", description: "Linear warmup then cosine annealing, per step" } as const;

export function createWarmupCosine(options: z.input<typeof schema>): Schedule {
  const o = parseOptions(meta, schema, options);
  return {
    lr(p) {
      checkPosition("schedule warmup-cosine", p);
      const warm = Math.round(o.warmupEpochs * p.stepsPerEpoch);
      const total = o.epochs * p.stepsPerEpoch;
      const s = p.epoch * p.stepsPerEpoch + p.step;
      if (s < warm) return o.baseLr * (o.startFactor + ((1 - o.startFactor) * s) / warm);
      return cosine(o.baseLr, o.etaMin, s - warm, total - warm);
    },
  };
}

// The run's lr, weight decay and epochs (one grid axis) unless the recipe sets them here.
export default definePlugin({ meta, create: (options, ctx) => createWarmupCosine({ baseLr: ctx.training?.lr, epochs: ctx.training?.epochs, ...options } as z.input<typeof schema>) });
