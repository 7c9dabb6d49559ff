/** The optimizer and schedule plugins by name, straight from their folders (independent of the manifest). */
import type { Plugin } from "../../core/plugin.ts";
import sgd from "../../plugins/optimizers/sgd/index.ts";
import adam from "../../plugins/optimizers/adam/index.ts";
import adamw from "../../plugins/optimizers/adamw/index.ts";
import constant from "../../plugins/schedules/constant/index.ts";
import cosine from "../../plugins/schedules/cosine/index.ts";
import cosineRestarts from "../../plugins/schedules/cosine-restarts/index.ts";
import multistep from "../../plugins/schedules/multistep/index.ts";
import warmupCosine from "../../plugins/schedules/warmup-cosine/index.ts";

export function builtinOptimizersAndSchedules(): { optimizers: Record<string, Plugin<"optimizer">>; schedules: Record<string, Plugin<"schedule">> } {
  const byName = <K extends "optimizer" | "schedule">(ps: Plugin<K>[]) => Object.fromEntries(ps.map((p) => [p.meta.name, p]));
  return {
    optimizers: byName([sgd, adam, adamw]),
    schedules: byName([constant, cosine, cosineRestarts, multistep, warmupCosine]),
  };
}
