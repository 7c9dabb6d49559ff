/**
 * `xfer status <recipe>`: where a sweep stands, from the run store alone: each planned run is
 * done, running (a live claim: worker, host, heartbeat age), stale (a claim whose worker stopped
 * heartbeating or died: the next worker takes it over), failed (the first line of its latest
 * error.json and the failed attempts; exhausted once --max-attempts is reached) or pending (with
 * the epoch a kept resume state goes on from). When running claims name SLURM jobs, squeue's view
 * of them is added (never sacct: often disabled). `xfer slurm status` registers the same command.
 *
 * Runs are matched to run folders by the hash of their spec.json, as `xfer runs` does; a run with
 * no folder yet but no external weights has its spec hash as identity, so its claim is found even
 * before its spec is written.
 */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type { RunResult, WorkerIdentity } from "../../../../../core/contracts.ts";
import { XferError } from "../../../../../core/errors.ts";
import { axisValueText, displayAxes, parseFilter, type PlannedRun } from "../../../../../core/recipe.ts";
import { DEFAULT_SWEEP } from "../../../../../core/runner.ts";
import { weightsSource } from "../../../../../core/run-identity.ts";
import { loadConfig } from "../../config.ts";
import { FsRunStore } from "../../run-store.ts";
import { loadRecipe, planRecipeStages } from "../recipes.ts";
import { sweepSettings } from "../workers.ts";
import { formatColumns, storedBySpecHash } from "./runs.ts";

export type SweepRunState = "done" | "running" | "stale" | "failed" | "pending";
export const SWEEP_STATES: readonly SweepRunState[] = ["done", "running", "stale", "failed", "pending"];

export interface SweepRunRow {
  /** The run folder's name; the spec hash while the run has no folder. */
  readonly id: string;
  readonly specHash: string;
  readonly axes: Readonly<Record<string, string>>;
  readonly state: SweepRunState;
  /** running and stale: the claim. */
  readonly claim?: { readonly worker: WorkerIdentity; readonly attempt?: string; readonly heartbeatAgeSeconds: number; readonly why?: string };
  /** Failed attempts so far (error.json files). */
  readonly failedAttempts: number;
  /** failed: tried --max-attempts times; no worker tries it again. */
  readonly exhausted?: boolean;
  /** The latest failure: its first line and where its error.json is. */
  readonly error?: { readonly firstLine: string; readonly file: string };
  /** A kept resume state: training goes on after this many completed epochs. */
  readonly resumableAfterEpoch?: number;
  /** done: the published result. */
  readonly result?: RunResult;
  /** A damaged published result was kept aside: the run counts as not done. */
  readonly damaged?: string;
}

export interface SweepStatusOptions {
  readonly leaseMs: number;
  readonly maxAttempts: number;
  /** The config's weights (which runs have external weights, whose identity is not the spec hash). */
  readonly weights: Readonly<Record<string, string>>;
}

export function firstLine(message: string): string {
  return message.split("\n", 1)[0].trim();
}

/** Each planned run's state in the run store of `dir` (runs/<recipe>), in plan order. */
export async function sweepRows(dir: string, runs: readonly PlannedRun[], options: SweepStatusOptions): Promise<{ axes: string[]; rows: SweepRunRow[] }> {
  const store = new FsRunStore(dir);
  const stored = await storedBySpecHash(dir);
  const axes = displayAxes(runs.map((r) => r.spec));
  const rows: SweepRunRow[] = [];
  for (const { hash, spec } of runs) {
    const found = stored.get(hash);
    const base = { specHash: hash, axes: Object.fromEntries(axes.map((axis) => [axis, axisValueText(spec.point[axis])])) };
    if (found?.state === "done") {
      rows.push({ ...base, id: found.id, state: "done", failedAttempts: 0, ...(found.result === undefined ? {} : { result: found.result }) });
      continue;
    }
    const id = found?.id ?? (weightsSource(spec, options.weights) === undefined ? hash : undefined);
    if (id === undefined) {
      rows.push({ ...base, id: hash, state: "pending", failedAttempts: 0 });
      continue;
    }
    const report = await store.report(id, options);
    const latest = report.failures.at(-1);
    const failed = latest === undefined ? {} : {
      error: { firstLine: firstLine(latest.message), file: join(dir, id, "attempts", latest.attempt, "error.json") },
    };
    const claim = report.claim === undefined ? {} : {
      claim: {
        worker: report.claim.by.worker, heartbeatAgeSeconds: Math.round(report.claim.heartbeatAgeMs / 1000),
        ...(report.claim.by.attempt === undefined ? {} : { attempt: report.claim.by.attempt }),
        ...(report.claim.stale ? { why: report.claim.heartbeatAgeMs > options.leaseMs ? `no heartbeat for ${Math.round(report.claim.heartbeatAgeMs / 1000)} s (lease ${options.leaseMs / 1000} s)` : `its process ${report.claim.by.worker.pid} on this host is gone` } : {}),
      },
    };
    // The epoch a kept resume state goes on from (read only for runs nobody is training).
    const resume = report.resumable && report.state !== "running" ? await store.resume(id) : undefined;
    const state: SweepRunState = report.state === "exhausted" ? "failed"
      : report.state === "pending" && report.claim?.stale ? "stale"
      : report.state;
    rows.push({
      ...base, id, state, failedAttempts: report.failures.length, ...failed, ...claim,
      ...(report.state === "exhausted" ? { exhausted: true } : {}),
      ...(resume === undefined ? {} : { resumableAfterEpoch: resume.epochsDone }),
      ...(report.damaged === undefined ? {} : { damaged: report.damaged }),
    });
  }
  return { axes, rows };
}

export function stateCounts(rows: readonly SweepRunRow[]): Record<SweepRunState, number> & { exhausted: number } {
  const counts = Object.fromEntries(SWEEP_STATES.map((s) => [s, rows.filter((r) => r.state === s).length])) as Record<SweepRunState, number>;
  return { ...counts, exhausted: rows.filter((r) => r.exhausted).length };
}

function ago(seconds: number): string {
  if (seconds < 120) return `${seconds}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  return `${Math.round(seconds / 3600)}h ago`;
}

function note(row: SweepRunRow, maxAttempts: number): string {
  const parts: string[] = [];
  if (row.claim?.why !== undefined) parts.push(`stale: ${row.claim.why}; the next worker takes it over`);
  if (row.exhausted) parts.push(`exhausted: failed ${row.failedAttempts} time(s), not tried again (--max-attempts ${maxAttempts})`);
  if (row.error !== undefined && row.state !== "done") parts.push(`${row.error.firstLine} (${row.error.file})`);
  if (row.resumableAfterEpoch !== undefined) parts.push(`resumes after epoch ${row.resumableAfterEpoch}`);
  if (row.damaged !== undefined) parts.push(`damaged result kept aside: ${row.damaged}`);
  return parts.join("; ");
}

function workerText(worker: WorkerIdentity): string {
  const slurm = worker.slurm === undefined ? ""
    : ` slurm ${worker.slurm.arrayJobId !== undefined ? `${worker.slurm.arrayJobId}_${worker.slurm.arrayTaskId ?? "?"}` : worker.slurm.jobId}`;
  return `${worker.host}:${worker.pid}${slurm}`;
}

/** The table: id, varying axes, status, worker, heartbeat, failed attempts, note; empty columns dropped. */
export function statusTable(axes: readonly string[], rows: readonly SweepRunRow[], maxAttempts: number): string[] {
  const header = ["id", ...axes, "status", "worker", "heartbeat", "failed", "note"];
  return formatColumns([header, ...rows.map((r) => [
    r.id.slice(0, 12), ...axes.map((a) => r.axes[a]), r.exhausted ? "exhausted" : r.state,
    r.claim === undefined ? "" : workerText(r.claim.worker), r.claim === undefined ? "" : ago(r.claim.heartbeatAgeSeconds),
    r.failedAttempts === 0 ? "" : String(r.failedAttempts), note(r, maxAttempts),
  ])]);
}

export interface SqueueReport {
  readonly jobs: readonly string[];
  /** squeue's lines (`%i %T %M %R`: job, state, time used, nodes or reason). */
  readonly lines?: readonly string[];
  /** Why squeue gave nothing: not installed, or its error. */
  readonly problem?: string;
}

/** The SLURM jobs the live claims name (the array's job id for array tasks), sorted. */
export function slurmJobs(rows: readonly SweepRunRow[]): string[] {
  const jobs = rows.flatMap((r) => {
    const slurm = r.state === "running" ? r.claim?.worker.slurm : undefined;
    return slurm === undefined ? [] : [slurm.arrayJobId ?? slurm.jobId];
  });
  return [...new Set(jobs)].sort();
}

/** `squeue -h -j <jobs> -o '%i %T %M %R'`; a missing squeue or its failure is reported, not thrown. */
export function squeue(jobs: readonly string[], command = "squeue"): Promise<SqueueReport> {
  return new Promise((done) => {
    execFile(command, ["-h", "-j", jobs.join(","), "-o", "%i %T %M %R"], { timeout: 15_000, encoding: "utf8" }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") {
        done({ jobs, problem: `${command} is not installed here (PATH): cannot ask SLURM about job(s) ${jobs.join(", ")}` });
      } else if (error) {
        done({ jobs, problem: `${command} failed: ${firstLine(stderr || error.message)}` });
      } else {
        done({ jobs, lines: stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "") });
      }
    });
  });
}

export interface StatusFlags {
  readonly out?: string;
  readonly smoke?: boolean;
  readonly seed?: string;
  readonly filter: string[];
  readonly json?: boolean;
  readonly lease?: string;
  readonly maxAttempts?: string;
}

/** Registers `status` on `parent` (the program for `xfer status`, the slurm command for `xfer slurm status`). */
export function registerStatusCommand(parent: Command, io: { out(text: string): void; err(text: string): void }): Command {
  return parent
    .command("status")
    .description("where a sweep stands, from the run store: done / running (worker, heartbeat age) / stale / failed (first error line, attempts) / pending; plus squeue for SLURM workers")
    .argument("<recipe>", "built-in recipe name or path to a recipe folder")
    .option("--out <dir>", "output directory the recipe runs into (default: config outDir, else ./runs)")
    .option("--smoke", "the recipe's smoke mode")
    .option("--seed <n>", "root seed the runs were planned with")
    .option("--filter <path=value>", "only runs whose spec has this value (repeatable)", (value: string, previous: string[]) => [...previous, value], [])
    .option("--lease <seconds>", "a claim whose heartbeat is older counts as stale (default 300, as xfer run)")
    .option("--max-attempts <n>", "a run that failed this many times counts as exhausted (default 3, as xfer run)")
    .option("--json", "print JSON")
    .action(async (ref: string, opts: StatusFlags, command: Command) => {
      const { config, registry } = await loadConfig({ file: command.optsWithGlobals().config as string | undefined });
      const { recipe } = await loadRecipe(ref, registry);
      if (recipe.kind === "analysis") throw new XferError(`status: ${recipe.name} is an analysis recipe; it trains no runs`);
      const { leaseMs, maxAttempts } = sweepSettings({ lease: opts.lease, maxAttempts: opts.maxAttempts });
      const seed = opts.seed === undefined ? undefined : Number(opts.seed);
      if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) throw new XferError(`--seed: expected a non-negative integer, got "${opts.seed}"`);
      const stages = await planRecipeStages(recipe, { seed, defaultSeed: config.seed, smoke: opts.smoke ?? false, filters: opts.filter.map(parseFilter) }, registry, config);
      const reports = [];
      for (const stage of stages) {
        const dir = resolve(opts.out ?? config.outDir, stage.recipe.name);
        const { axes, rows } = await sweepRows(dir, stage.runs, { leaseMs, maxAttempts, weights: config.weights });
        reports.push({ recipe: stage.recipe.name, dir, axes, rows, counts: stateCounts(rows) });
      }
      const jobs = slurmJobs(reports.flatMap((r) => r.rows));
      const queue = jobs.length === 0 ? undefined : await squeue(jobs);
      const { dir, rows, counts } = reports.at(-1)!;
      if (opts.json) {
        // The recipe's own runs as before; the stages it loads weights from, when any, under `upstream`.
        const upstream = reports.slice(0, -1).map((r) => ({ recipe: r.recipe, dir: r.dir, counts: r.counts, runs: r.rows.map(({ result: _result, ...row }) => row) }));
        io.out(JSON.stringify({
          recipe: recipe.name, dir, leaseSeconds: leaseMs / 1000, maxAttempts, counts, runs: rows.map(({ result: _result, ...row }) => row),
          ...(upstream.length > 0 ? { upstream } : {}), ...(queue === undefined ? {} : { squeue: queue }),
        }, null, 2));
        return;
      }
      for (const [i, report] of reports.entries()) {
        const failed = report.counts.failed === 0 ? "0 failed" : `${report.counts.failed} failed${report.counts.exhausted > 0 ? ` (${report.counts.exhausted} exhausted)` : ""}`;
        const role = i < reports.length - 1 ? ` (upstream of ${reports[i + 1].recipe})` : "";
        io.out(`${report.recipe}${role} in ${report.dir}: ${report.rows.length} run(s): ${report.counts.done} done, ${report.counts.running} running, ${report.counts.stale} stale, ${failed}, ${report.counts.pending} pending`);
        for (const line of statusTable(report.axes, report.rows, maxAttempts)) io.out(`  ${line}`);
      }
      if (queue !== undefined) {
        if (queue.problem !== undefined) io.out(`squeue: ${queue.problem}`);
        else io.out([`squeue (job ${queue.jobs.join(", ")}):`, ...(queue.lines!.length > 0 ? queue.lines!.map((l) => `  ${l}`) : ["  (no such job in the queue any more)"])].join("\n"));
      }
    });
}
