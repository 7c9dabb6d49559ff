/**
 * Multiply the rate by gamma at each milestone epoch (torch MultiStepLR stepped per epoch):
 * lr = baseLr * gamma^(number of milestones <= epoch); a repeated milestone counts twice.
 * The reference code uses gamma 0.1 at epochs 15, 20, 25 (5 for Melanoma).
 */
import { z } from "zod";
import type { Schedule } from "../../../core/contracts.ts";
import { definePlugin, parseOptions } from "../../../core/plugin.ts";
import { baseLrSchema, checkPosition } from "../common.ts";

const schema = z.strictObject({
  baseLr: baseLrSchema,
  milestones: z.array(z.number().int().positive()).min(1),
  gamma: z.number().positive().default(0.1),
});
const meta = { kind: "schedule", name: "multistep", version: "1.0.0", description: "Step decay by gamma at milestone epochs (torch MultiStepLR)" } as const;

export function createMultistep(options: z.input<typeof schema>): Schedule {
  const o = parseOptions(meta, schema, options);
  return {
    lr(p) {
      checkPosition("schedule multistep", p);
      const passed = o.milestones.filter((m) => m <= p.epoch).length;
      return o.baseLr * o.gamma ** passed;
    },
  };
}

// The run's lr, weight decay and epochs (one grid axis) unless the recipe sets them here.
export default definePlugin({ meta, create: (options, ctx) => createMultistep({ baseLr: ctx.training?.lr, ...options } as z.input<typeof schema>) });
