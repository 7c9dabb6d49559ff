/**
 * What `xfer run` prints at the end of a sweep: the events of its worker(s) (what this sweep
 * trained, resumed, took over, saw fail or stop), gathered in a SweepTally the same way from one
 * worker's logger or from N workers' IPC messages, and the state of every planned run read back
 * from the run store, so the summary holds whichever worker did the work (or died doing it).
 */
import type { PlanProgress, RunStartEvent } from "../../../../core/di.ts";
import { axesLabel, type PlannedRun } from "../../../../core/recipe.ts";
import type { DamagedRun, DiscardedResult, PlanOutcome } from "../../../../core/runner.ts";
import { sweepRows, type SweepRunRow, type SweepStatusOptions } from "./commands/status.ts";

export class SweepTally {
  readonly trained = new Set<string>();
  /** Run -> the completed epochs its resume state had. */
  readonly resumed = new Map<string, number>();
  /** Run -> the worker whose stale claim was taken over. */
  readonly tookOver = new Map<string, string>();
  readonly discarded: DiscardedResult[] = [];
  readonly damaged: DamagedRun[] = [];
  /** Runs stopped by a signal midway. */
  readonly stopped: { id: string; epochsDone?: number }[] = [];
  /** The run that ended the sweep under --fail-fast. */
  failFastAt: string | undefined;
  /** The run each worker is on (for a stop at once, and the live detail). */
  readonly current = new Map<number, RunStartEvent>();
  readonly #settled = new Map<string, PlanProgress["status"]>();

  runStart(event: RunStartEvent, worker = 1): void {
    this.current.set(worker, event);
    if (event.resumedFrom !== undefined) this.resumed.set(event.hash, event.resumedFrom);
    if (event.tookOverFrom !== undefined) this.tookOver.set(event.hash, event.tookOverFrom);
  }

  /** Returns how many distinct runs are settled (trained, found done, failed or exhausted), by any worker. */
  runDone(event: PlanProgress, worker = 1): number {
    if (this.current.get(worker)?.hash === event.hash) this.current.delete(worker);
    if (event.status === "trained") this.trained.add(event.hash);
    // "trained" by one worker wins over "skipped" (found done) by another.
    if (event.status !== "stopped" && this.#settled.get(event.hash) !== "trained") this.#settled.set(event.hash, event.status);
    return this.#settled.size;
  }

  outcome(outcome: { readonly discarded: readonly DiscardedResult[]; readonly damaged: readonly DamagedRun[]; readonly stopped?: PlanOutcome["stopped"] }, worker = 1): void {
    this.discarded.push(...outcome.discarded);
    this.damaged.push(...outcome.damaged);
    if (outcome.stopped?.reason === "signal" && outcome.stopped.id !== undefined) {
      this.stopped.push({ id: outcome.stopped.id, ...(outcome.stopped.epochsDone === undefined ? {} : { epochsDone: outcome.stopped.epochsDone }) });
    }
    if (outcome.stopped?.reason === "fail-fast") this.failFastAt ??= outcome.stopped.id;
    this.current.delete(worker);
  }
}

export interface SweepEnd {
  readonly rows: readonly SweepRunRow[];
  readonly done: number;
  readonly failed: readonly SweepRunRow[];
  readonly notDone: readonly SweepRunRow[];
}

/** Every planned run's state in the store, for the summary and the exit code. */
export async function sweepEnd(outDir: string, runs: readonly PlannedRun[], options: SweepStatusOptions): Promise<SweepEnd> {
  const { rows } = await sweepRows(outDir, runs, options);
  return {
    rows,
    done: rows.filter((r) => r.state === "done").length,
    failed: rows.filter((r) => r.state === "failed"),
    notDone: rows.filter((r) => r.state !== "done" && r.state !== "failed"),
  };
}

/**
 * The summary: one line of counts, then one line per run in plan order: done runs with their best
 * epoch and metrics (and where they were resumed from), failed ones with the first line of their
 * error and its error.json, the rest with why they are not done.
 */
export function summaryLines(recipe: string, outDir: string, runs: readonly PlannedRun[], end: SweepEnd, tally: SweepTally, maxAttempts: number, axes: readonly string[]): string[] {
  // The tally spans the sweep's stages; these lines are about this stage's runs.
  const here = new Set(end.rows.map((r) => r.id));
  const trained = [...tally.trained].filter((id) => here.has(id)).length;
  const resumedNow = [...tally.resumed.keys()].filter((id) => here.has(id) && tally.trained.has(id));
  const tookOver = [...tally.tookOver.keys()].filter((id) => here.has(id)).length;
  const discarded = tally.discarded.filter((d) => here.has(d.id)).length;
  const damaged = tally.damaged.filter((d) => here.has(d.id)).length;
  const exhausted = end.failed.filter((r) => r.exhausted).length;
  const notes = [
    ...(resumedNow.length > 0 ? [`${resumedNow.length} resumed mid-run`] : []),
    ...(tookOver > 0 ? [`${tookOver} taken over from a stale claim`] : []),
    ...(end.failed.length > 0 ? [`${end.failed.length} failed${exhausted > 0 ? ` (${exhausted} exhausted)` : ""}`] : []),
    ...(end.notDone.length > 0 ? [`${end.notDone.length} not done`] : []),
    ...(discarded > 0 ? [`${discarded} discarded (another process published first)`] : []),
    ...(damaged > 0 ? [`${damaged} damaged and kept aside`] : []),
  ];
  const alreadyDone = end.rows.filter((r) => r.state === "done" && !tally.trained.has(r.id)).length;
  const lines = [`${recipe}: ${trained} trained, ${alreadyDone} already done${notes.map((n) => `, ${n}`).join("")}; results in ${outDir}`];
  for (const [i, row] of end.rows.entries()) {
    const label = `  ${row.id.slice(0, 12)}${axes.length > 0 ? `  ${axesLabel(runs[i].spec, axes)}` : ""}`;
    if (row.state === "done" && row.result !== undefined) {
      const { result } = row;
      const best = Object.entries(result.best).map(([k, v]) => `${k}=${v.toFixed(4)}`).join(" ");
      const test = result.test ? ` | test ${Object.entries(result.test).map(([k, v]) => `${k}=${v.toFixed(4)}`).join(" ")}` : "";
      const resumed = tally.trained.has(row.id) && tally.resumed.has(row.id) ? ` (resumed from epoch ${tally.resumed.get(row.id)})` : "";
      lines.push(`${label}  best epoch ${result.bestEpoch}: ${best}${test}${resumed}`);
    } else if (row.state === "failed") {
      const tries = row.exhausted ? `failed ${row.failedAttempts} time(s), not tried again (--max-attempts ${maxAttempts})` : `failed (attempt ${row.failedAttempts} of ${maxAttempts})`;
      lines.push(`${label}  ${tries}: ${row.error?.firstLine ?? "(no error recorded)"}; see ${row.error?.file ?? "its attempts folder"}`);
    } else if (row.state !== "done") {
      lines.push(`${label}  not done: ${notDoneReason(row)}`);
    }
  }
  return lines;
}

function notDoneReason(row: SweepRunRow): string {
  if (row.state === "running") return `held by worker ${row.claim!.worker.id} (heartbeat ${row.claim!.heartbeatAgeSeconds}s ago)`;
  if (row.state === "stale") return `its claim is stale (${row.claim!.why}): the next xfer run takes it over`;
  if (row.resumableAfterEpoch !== undefined) return `stopped after epoch ${row.resumableAfterEpoch}; the next xfer run resumes it`;
  return row.damaged !== undefined ? `its result was damaged (${row.damaged}) and is kept aside` : "not started";
}
