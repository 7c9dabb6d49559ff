/**
 * Runs a plan against the run store of a container. Each run is looked up by its identity (the
 * spec's hash, plus its external weights: core/run-identity.ts): a run whose result is published
 * is skipped (resume); a damaged one is reported and trained again; every other run gets its own
 * child container and attempt, is trained, and its result is published unless another process
 * published one first (then this one is discarded and reported). A run killed midway is simply
 * run again next time.
 */
import type { DependencyContainer } from "tsyringe";
import type { JsonObject, RunResult, WeightsRecord } from "./contracts.ts";
import { createRunContainer, executeRun, TOKENS } from "./di.ts";
import { UnknownNameError } from "./errors.ts";
import type { PluginKind, PluginRegistry } from "./plugin.ts";
import type { PlannedRun } from "./recipe.ts";
import { runIdentity, weightsSource } from "./run-identity.ts";

/** A run whose result this process computed but did not publish: another attempt had published first. */
export interface DiscardedResult {
  readonly id: string;
  /** The attempt whose result is published (and kept). */
  readonly kept: string;
  /** This process's attempt; its folder keeps what it wrote. */
  readonly discarded: string;
}

export interface DamagedRun {
  readonly id: string;
  readonly problem: string;
  readonly keptAs: readonly string[];
}

export interface PlanOutcome {
  /** Run identities trained by this call. */
  readonly trained: string[];
  readonly skipped: string[];
  /** The published result of every run, in plan order. */
  readonly results: RunResult[];
  readonly discarded: DiscardedResult[];
  readonly damaged: DamagedRun[];
}

/** Everything is resolved from `container`, so services it (or a parent) registers are the ones used. */
export async function runPlan(container: DependencyContainer, runs: readonly PlannedRun[]): Promise<PlanOutcome> {
  const store = container.resolve(TOKENS.runStore);
  const logger = container.resolve(TOKENS.logger);
  const environment = container.resolve(TOKENS.environment);
  const outcome: PlanOutcome = { trained: [], skipped: [], results: [], discarded: [], damaged: [] };
  for (const [i, { hash: specHash, spec }] of runs.entries()) {
    const weights = await weightsOf(container, spec);
    const id = runIdentity({ specHash, weights });
    const found = await store.lookup(id);
    if (found.state === "done") {
      outcome.skipped.push(id);
      outcome.results.push(found.run.result);
      logger.runDone({ done: i + 1, total: runs.length, hash: id, status: "skipped" });
      continue;
    }
    if (found.state === "damaged") {
      outcome.damaged.push({ id, problem: found.problem, keptAs: found.keptAs });
      logger.warn?.(`run ${id} is damaged and will be trained again: ${found.problem}${found.keptAs.length > 0 ? `; kept aside as ${found.keptAs.join(", ")}` : ""}`);
    }
    const attempt = await store.begin(id, spec as unknown as JsonObject, environment);
    const run = await createRunContainer(container, id, spec);
    try {
      const result = await executeRun(run, attempt);
      const finished = await attempt.finish(weights === undefined ? result : { ...result, weights });
      if (finished.published) {
        outcome.results.push(finished.result);
      } else {
        const kept = finished.winner.attempt ?? "(an attempt from before attempts were recorded)";
        outcome.discarded.push({ id, kept, discarded: attempt.id });
        outcome.results.push(finished.winner);
        logger.warn?.(`run ${id} was finished by two attempts: kept ${kept} (published first), discarded ${attempt.id} (left unpublished in its attempt folder)`);
      }
      outcome.trained.push(id);
    } finally {
      run.dispose();
    }
    logger.runDone({ done: i + 1, total: runs.length, hash: id, status: "trained" });
  }
  return outcome;
}

/** The run's external weights (hashed by the container's weightsHash service), or undefined. */
async function weightsOf(container: DependencyContainer, spec: PlannedRun["spec"]): Promise<WeightsRecord | undefined> {
  const path = weightsSource(spec, container.resolve(TOKENS.config).weights);
  if (path === undefined) return undefined;
  return { backbone: spec.backbone.name, tensorsSha256: await container.resolve(TOKENS.weightsHash)(path) };
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
