/** Adam with torch.optim.Adam semantics (L2 weight decay coupled into the gradient). */
import { adamBaseSchema, createAdamCore } from "../adam-core.ts";
import { defineOptimizer } from "../common.ts";

export const adamOptimizer = defineOptimizer(
  { name: "adam", version: "1.0.0", description: "Adam with coupled L2 weight decay (torch.optim.Adam semantics)" },
  adamBaseSchema,
  (o) => createAdamCore("optimizer adam", { ...o, decay: { mode: "coupled", weightDecay: o.weightDecay } }),
);
