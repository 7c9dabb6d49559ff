/**
 * Multiply the rate by gamma at each milestone epoch (torch MultiStepLR stepped per epoch):
 * lr = baseLr * gamma^(number of milestones <= epoch); a repeated milestone counts twice.
 * The reference code uses gamma 0.1 at epochs 15, 20, 25 (5 for Melanoma).
 */
import { z } from "zod";
import { baseLrSchema, defineSchedule } from "../common.ts";

const schema = z.strictObject({
  baseLr: baseLrSchema,
  milestones: z.array(z.number().int().positive()).min(1),
  gamma: z.number().positive().default(0.1),
});

export const multistepSchedule = defineSchedule(
  { name: "multistep", description: "Step decay by gamma at milestone epochs (torch MultiStepLR)" },
  schema,
  (o, p) => {
    const passed = o.milestones.filter((m) => m <= p.epoch).length;
    return o.baseLr * o.gamma ** passed;
  },
  // The run's lr (and epochs) unless the recipe sets them here.
  (t) => ({ baseLr: t.lr }),
);

