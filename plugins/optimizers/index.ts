/** The optimizer plugins, in manifest order. */
import { adamOptimizer } from "./adam/index.ts";
import { adamwOptimizer } from "./adamw/index.ts";
import { sgdOptimizer } from "./sgd/index.ts";

export { adamOptimizer, adamwOptimizer, sgdOptimizer };
export const OPTIMIZER_PLUGINS = [adamOptimizer, adamwOptimizer, sgdOptimizer] as const;
