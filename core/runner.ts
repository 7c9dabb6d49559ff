/**
 * Runs a plan against the run store of a container: a run whose result is already stored is
 * skipped (resume); every other run gets its own child container and is trained, and its result is
 * stored by the store's atomic write, so a run killed midway is simply run again next time.
 */
import type { DependencyContainer } from "tsyringe";
import type { JsonObject, RunResult } from "./contracts.ts";
import { createRunContainer, executeRun, TOKENS } from "./di.ts";
import { UnknownNameError } from "./errors.ts";
import type { PluginKind, PluginRegistry } from "./plugin.ts";
import type { PlannedRun } from "./recipe.ts";

export interface PlanOutcome {
  readonly trained: string[];
  readonly skipped: string[];
  readonly results: RunResult[];
}

/** Everything is resolved from `container`, so services it (or a parent) registers are the ones used. */
export async function runPlan(container: DependencyContainer, runs: readonly PlannedRun[]): Promise<PlanOutcome> {
  const store = container.resolve(TOKENS.runStore);
  const logger = container.resolve(TOKENS.logger);
  const outcome: PlanOutcome = { trained: [], skipped: [], results: [] };
  for (const [i, { hash, spec }] of runs.entries()) {
    const stored = await store.get(hash);
    if (stored) {
      outcome.skipped.push(hash);
      outcome.results.push(stored.result);
      logger.runDone({ done: i + 1, total: runs.length, hash, status: "skipped" });
      continue;
    }
    await store.begin(hash, spec as unknown as JsonObject);
    const run = await createRunContainer(container, hash, spec);
    try {
      const result = await executeRun(run);
      await store.put(hash, spec as unknown as JsonObject, result);
      outcome.trained.push(hash);
      outcome.results.push(result);
    } finally {
      run.dispose();
    }
    logger.runDone({ done: i + 1, total: runs.length, hash, status: "trained" });
  }
  return outcome;
}

/**
 * Names every plugin a plan refers to that the registry lacks, once each with the number of runs
 * that need it and the valid names, so a sweep fails before its first run rather than at its 500th.
 */
export function checkPlugins(registry: PluginRegistry, runs: readonly PlannedRun[]): string[] {
  const missing = new Map<string, number>();
  const need = (kind: PluginKind, name: string) => {
    if (!registry.has(kind, name)) missing.set(`${kind}\u0000${name}`, (missing.get(`${kind}\u0000${name}`) ?? 0) + 1);
  };
  for (const { spec } of runs) {
    need("dataset", spec.dataset.name);
    need("splitter", spec.splitter.name);
    need("backbone", spec.backbone.name);
    need("optimizer", spec.optimizer.name);
    need("schedule", spec.schedule.name);
    for (const ref of [...spec.augment.train, ...spec.augment.eval]) need("augmentation", ref.name);
    for (const ref of spec.augment.batch ?? []) need("batch-augmentation", ref.name);
    for (const metric of spec.metrics) need("metric", metric);
  }
  return [...missing].map(([key, count]) => {
    const [kind, name] = key.split("\u0000") as [PluginKind, string];
    return `${new UnknownNameError(kind, name, registry.names(kind)).message} (needed by ${count} run(s))`;
  });
}
