/** The optimizer and schedule plugins by name, from their folders' lists (independent of the manifest). */
import type { Plugin } from "../../core/plugin.ts";
import { OPTIMIZER_PLUGINS } from "../../plugins/optimizers/index.ts";
import { SCHEDULE_PLUGINS } from "../../plugins/schedules/index.ts";

export function builtinOptimizersAndSchedules(): { optimizers: Record<string, Plugin<"optimizer">>; schedules: Record<string, Plugin<"schedule">> } {
  return {
    optimizers: Object.fromEntries(OPTIMIZER_PLUGINS.map((p) => [p.meta.name, p])),
    schedules: Object.fromEntries(SCHEDULE_PLUGINS.map((p) => [p.meta.name, p])),
  };
}
