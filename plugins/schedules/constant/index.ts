/** The base learning rate at every step. */
import { z } from "zod";
import type { Schedule } from "../../../core/contracts.ts";
import { definePlugin, parseOptions } from "../../../core/plugin.ts";
import { baseLrSchema, checkPosition } from "../common.ts";

const schema = z.strictObject({ baseLr: baseLrSchema });
const meta = { kind: "schedule", name: "constant", version: "1.0.0", description: "Constant learning rate" } as const;

export function createConstant(options: z.input<typeof schema>): Schedule {
  const o = parseOptions(meta, schema, options);
  return {
    lr(position) {
      checkPosition("schedule constant", position);
      return o.baseLr;
    },
  };
}

// The run's lr, weight decay and epochs (one grid axis) unless the recipe sets them here.
export default definePlugin({ meta, create: (options, ctx) => createConstant({ baseLr: ctx.training?.lr, ...options } as z.input<typeof schema>) });
