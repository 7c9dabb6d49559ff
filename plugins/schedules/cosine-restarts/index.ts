/**
 * Cosine with warm restarts (SGDR; torch CosineAnnealingWarmRestarts): the first cycle lasts t0
 * epochs, each next one tMult times longer. per "epoch" steps it with the integer epoch; per
 * "step" with the fractional epoch epoch + step / stepsPerEpoch, as torch's documented
 * `scheduler.step(epoch + i / iters)`.
 */
import { z } from "zod";
import { baseLrSchema, cosine, perSchema, defineSchedule } from "../common.ts";

const schema = z.strictObject({
  baseLr: baseLrSchema,
  t0: z.number().int().positive(),
  tMult: z.number().int().min(1).default(1),
  etaMin: z.number().min(0).default(0),
  per: perSchema,
});

export const cosineRestartsSchedule = defineSchedule(
  { name: "cosine-restarts", description: "Cosine annealing with warm restarts (torch CosineAnnealingWarmRestarts)" },
  schema,
  (o, p) => {
    const e = o.per === "epoch" ? p.epoch : p.epoch + p.step / p.stepsPerEpoch;
    let tCur = e;
    let period = o.t0;
    if (e >= o.t0) {
      if (o.tMult === 1) {
        tCur = e % o.t0;
      } else {
        const n = Math.floor(Math.log((e / o.t0) * (o.tMult - 1) + 1) / Math.log(o.tMult));
        tCur = e - (o.t0 * (o.tMult ** n - 1)) / (o.tMult - 1);
        period = o.t0 * o.tMult ** n;
      }
    }
    return cosine(o.baseLr, o.etaMin, tCur, period);
  },
  // The run's lr (and epochs) unless the recipe sets them here.
  (t) => ({ baseLr: t.lr }),
);

