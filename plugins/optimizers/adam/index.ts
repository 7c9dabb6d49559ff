/** Adam with torch.optim.Adam semantics (L2 weight decay coupled into the gradient). */
import { z } from "zod";
import type { Optimizer } from "../../../core/contracts.ts";
import { parseOptions } from "../../../core/plugin.ts";
import { decayScopeSchema, optimizerPlugin } from "../common.ts";
import { createAdamCore } from "./core.ts";

export const adamBaseSchema = z.strictObject({
  /** Base learning rate of the run (the schedule scales it). */
  lr: z.number().positive().optional(),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().positive().default(1e-8),
  weightDecay: z.number().min(0).default(0),
  decayScope: decayScopeSchema,
});
export type AdamOptions = z.input<typeof adamBaseSchema>;

const meta = {
  kind: "optimizer",
  name: "adam",
  version: "1.0.0",
  description: "Adam with coupled L2 weight decay (torch.optim.Adam semantics)",
} as const;

export function createAdam(options: AdamOptions = {}): Optimizer {
  const o = parseOptions(meta, adamBaseSchema, options);
  return createAdamCore("optimizer adam", { ...o, decay: { mode: "coupled", weightDecay: o.weightDecay } });
}

export default optimizerPlugin(meta, (options: AdamOptions) => createAdam(options));
