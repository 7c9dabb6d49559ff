/**
 * Runs a plan against a run store: a run whose result is already stored is skipped (resume);
 * every other run gets its own child container and is trained, and its result is stored by the
 * store's atomic write, so a run killed midway is simply run again next time.
 */
import type { DependencyContainer } from "tsyringe";
import type { JsonObject, RunResult } from "./contracts.ts";
import { createRunContainer, executeRun, TOKENS } from "./di.ts";
import type { PlannedRun } from "./recipe.ts";

export interface PlanProgress {
  readonly done: number;
  readonly total: number;
  readonly hash: string;
  readonly status: "skipped" | "trained";
}

export interface PlanOutcome {
  readonly trained: string[];
  readonly skipped: string[];
  readonly results: RunResult[];
}

export async function runPlan(
  root: DependencyContainer,
  runs: readonly PlannedRun[],
  onRunDone?: (progress: PlanProgress) => void,
): Promise<PlanOutcome> {
  const store = root.resolve(TOKENS.runStore);
  const outcome: PlanOutcome = { trained: [], skipped: [], results: [] };
  for (const [i, { hash, spec }] of runs.entries()) {
    const stored = await store.get(hash);
    if (stored) {
      outcome.skipped.push(hash);
      outcome.results.push(stored.result);
      onRunDone?.({ done: i + 1, total: runs.length, hash, status: "skipped" });
      continue;
    }
    await store.begin(hash, spec as unknown as JsonObject);
    const run = await createRunContainer(root, hash, spec);
    try {
      const result = await executeRun(run);
      await store.put(hash, spec as unknown as JsonObject, result);
      outcome.trained.push(hash);
      outcome.results.push(result);
    } finally {
      run.dispose();
    }
    onRunDone?.({ done: i + 1, total: runs.length, hash, status: "trained" });
  }
  return outcome;
}
