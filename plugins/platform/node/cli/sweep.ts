/**
 * The two roles of `xfer run` for a training recipe (docs/training.md, "Sweeps on every core"):
 * - a worker (`--jobs 1`, or a process forked by a parent) goes through the plan with runPlan,
 *   claiming each run; a stop signal makes it finish nothing new and stop at the next step
 *   boundary, its run keeping the last completed epoch's resume state;
 * - a parent (`--jobs N`, N > 1) forks N workers, draws one progress display from their events
 *   and forwards stop signals to them.
 * Either prints the summary, read back from the run store, and returns the exit code: 0 every
 * planned run done, 1 some failed or not done, 128 + the signal's number when stopped by one.
 */
import { resolve } from "node:path";
import type { DependencyContainer } from "tsyringe";
import type { Logger, PlanProgress, RunStartEvent } from "../../../../core/di.ts";
import { displayAxes, type PlannedRun } from "../../../../core/recipe.ts";
import { runStages } from "../../../../core/runner.ts";
import type { TrainProgress } from "../../../../core/train/trainer.ts";
import { workerIdentity } from "../claims.ts";
import { createProgress, interruptNotice, type Progress } from "./progress.ts";
import { summaryLines, sweepEnd, SweepTally, type SweepEnd } from "./sweep-summary.ts";
import {
  isParentMessage, onStopSignals, sendToParent, startWorkers, stopExitCode, throttledProgress,
  type StopSignal, type SweepSettings, type WorkerExit, type WorkerMessage,
} from "./workers.ts";

const XFER_ENTRY = resolve(import.meta.dirname, "xfer.mjs");

interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** A recipe's runs in a sweep: upstream stages first, the recipe asked for last (core/stages.ts). */
export interface SweepStageContext {
  readonly recipe: string;
  readonly runs: readonly PlannedRun[];
  /** runs/<recipe>. */
  readonly outDir: string;
}

export interface SweepContext {
  readonly recipe: string;
  readonly stages: readonly SweepStageContext[];
  /** Every stage's runs: what the progress display counts. */
  readonly runs: readonly PlannedRun[];
  /** runs/<recipe> of the recipe asked for. */
  readonly outDir: string;
  readonly settings: SweepSettings;
  /** The config's weights: which runs have external weights (see commands/status.ts). */
  readonly weights: Readonly<Record<string, string>>;
  readonly io: Io;
  /** The command line as typed (node, script, arguments): for the resume hint and the workers' arguments. */
  readonly argv: readonly string[];
}

function progressText({ epoch, epochs, step, stepsPerEpoch, loss }: TrainProgress): string {
  return `epoch ${epoch + 1}/${epochs} step ${step}/${stepsPerEpoch} loss ${loss.toFixed(4)}`;
}

function startLine(event: RunStartEvent, who = ""): string | undefined {
  const took = event.tookOverFrom === undefined ? "" : ` (took it over from worker ${event.tookOverFrom}, whose claim went stale)`;
  if (event.resumedFrom !== undefined) return `xfer: ${who}resumed ${event.hash} from epoch ${event.resumedFrom}${took}`;
  return took === "" ? undefined : `xfer: ${who}started ${event.hash}${took}`;
}

/** Lines go above the bar on a terminal; elsewhere to the command's stderr, in order with its other lines. */
function sayer(bar: Progress, io: Io): (line: string) => void {
  return (line) => (process.stderr.isTTY ? bar.log(line) : io.err(line));
}

/**
 * The end of a sweep: on a signal, the notice of what was kept and how to resume; otherwise the
 * summary (stdout) and, when runs failed or are not done, one line saying so (stderr).
 */
async function finish(ctx: SweepContext, tally: SweepTally, signal: StopSignal | undefined, extra: readonly string[] = []): Promise<number> {
  const { maxAttempts, leaseMs } = ctx.settings;
  const ends: SweepEnd[] = [];
  for (const stage of ctx.stages) ends.push(await sweepEnd(stage.outDir, stage.runs, { leaseMs, maxAttempts, weights: ctx.weights }));
  for (const line of extra) ctx.io.err(line);
  const total = (count: (end: SweepEnd) => number) => ends.reduce((n, end) => n + count(end), 0);
  if (signal !== undefined) {
    const trained = total((end) => end.rows.filter((r) => r.state === "done" && tally.trained.has(r.id)).length);
    ctx.io.err(interruptNotice({
      recipe: ctx.recipe, outDir: ctx.outDir, total: ctx.runs.length, trained, skipped: total((end) => end.done) - trained, signal, stopped: tally.stopped,
    }, ctx.argv));
    return stopExitCode(signal);
  }
  for (const [i, stage] of ctx.stages.entries()) {
    const axes = displayAxes(stage.runs.map((r) => r.spec));
    for (const line of summaryLines(stage.recipe, stage.outDir, stage.runs, ends[i], tally, maxAttempts, axes)) ctx.io.out(line);
  }
  const notDone = total((end) => end.notDone.length);
  const failed = total((end) => end.failed.length);
  if (tally.failFastAt !== undefined) {
    ctx.io.err(`xfer: --fail-fast: the sweep stopped at the failed run ${tally.failFastAt} (named above); ${notDone} run(s) not done`);
    return 1;
  }
  if (failed > 0 || notDone > 0) {
    const what = [...(failed > 0 ? [`${failed} failed`] : []), ...(notDone > 0 ? [`${notDone} not done`] : [])].join(", ");
    ctx.io.err(`xfer: ${what} of ${ctx.runs.length} run(s) (named above); the same command retries failed runs (up to --max-attempts ${maxAttempts}) and goes on with the rest`);
    return 1;
  }
  return 0;
}

/**
 * Runs the plan in this process. `worker` is set when a parent forked it: events then go to the
 * parent over IPC and the parent prints the summary; the exit code still tells how it ended.
 */
export async function runWorker(ctx: SweepContext, makeRoot: (logger: Logger) => DependencyContainer, worker?: number): Promise<number> {
  const tally = new SweepTally();
  const send = (message: WorkerMessage) => void sendToParent(message);
  const bar = worker === undefined ? createProgress(ctx.recipe, ctx.runs.length) : undefined;
  const say = bar === undefined ? () => {} : sayer(bar, ctx.io);
  let settled = 0;
  const logger: Logger = worker !== undefined
    ? {
      progress: throttledProgress((event) => send({ kind: "progress", event })),
      runStart: (event) => {
        tally.runStart(event);
        send({ kind: "runStart", event });
      },
      runDone: (event) => {
        tally.runDone(event);
        send({ kind: "runDone", event });
      },
      warn: (message) => send({ kind: "warn", message }),
    }
    : {
      progress: (event) => {
        const where = `run ${Math.min(settled + 1, ctx.runs.length)}/${ctx.runs.length} ${progressText(event)}`;
        if (event.step === event.stepsPerEpoch) bar!.update(settled, where);
        else bar!.detail(where);
      },
      runStart: (event) => {
        tally.runStart(event);
        const line = startLine(event);
        if (line !== undefined) say(line);
      },
      runDone: (event: PlanProgress) => {
        settled = tally.runDone(event);
        bar!.update(settled, `${event.hash.slice(0, 12)} ${event.status}${event.message === undefined ? "" : `: ${event.message}`}`);
      },
      warn: (message) => say(`xfer: warning: ${message}`),
    };
  const stop = onStopSignals(
    (signal) => say(`xfer: ${signal}: starting nothing new, stopping at the next step boundary (the run in progress keeps its last completed epoch)${signal === "SIGINT" ? "; Ctrl-C again exits at once" : ""}`),
    () => {
      bar?.stop();
      // Under a parent, the parent says it.
      if (worker === undefined) {
        const stopped = [...tally.current.values()].map((event) => ({ id: event.hash }));
        ctx.io.err(interruptNotice({
          recipe: ctx.recipe, outDir: ctx.outDir, total: ctx.runs.length, trained: tally.trained.size, skipped: 0, signal: "SIGINT", stopped, atOnce: true,
        }, ctx.argv));
      }
      process.exit(stopExitCode("SIGINT"));
    },
    worker !== undefined,
  );
  // A worker whose parent is gone (killed) stops as on SIGTERM: nobody is left to report to.
  const orphaned = () => stop.request("SIGTERM");
  // Once the parent says every run is settled, this worker stops waiting for runs held by others
  // (never a run it trains: its own runs are settled only when they end).
  let allSettled = false;
  let halted = false;
  const onParent = (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.kind === "stop") stop.request(message.signal);
    if (message.kind === "finish") allSettled = true;
    if (message.kind === "halt") halted = true;
  };
  if (worker !== undefined) {
    process.once("disconnect", orphaned);
    process.on("message", onParent);
  }
  const root = makeRoot(logger);
  const { jobs: _jobs, ...sweep } = ctx.settings;
  try {
    const stages = await runStages(root, ctx.stages, {
      worker: workerIdentity(), ...sweep, shouldStop: () => stop.received !== undefined || halted || (allSettled && tally.current.size === 0),
    });
    const outcomes = stages.map((stage) => stage.outcome);
    for (const outcome of outcomes) tally.outcome(outcome);
    if (worker !== undefined) {
      process.off("disconnect", orphaned);
      process.off("message", onParent);
      const stopped = outcomes.find((outcome) => outcome.stopped !== undefined)?.stopped;
      await sendToParent({
        kind: "outcome", discarded: outcomes.flatMap((o) => o.discarded), damaged: outcomes.flatMap((o) => o.damaged), ...(stopped === undefined ? {} : { stopped }),
      });
      if (stop.received !== undefined) return stopExitCode(stop.received);
      const failed = outcomes.some((o) => o.failed.length > 0 || o.exhausted.length > 0) || stages.some((stage) => stage.blocked.length > 0);
      return halted || failed || stopped?.reason === "fail-fast" ? 1 : 0;
    }
  } finally {
    stop.release();
    process.off("disconnect", orphaned);
    process.off("message", onParent);
    bar?.stop();
  }
  return finish(ctx, tally, stop.received);
}

/** How a worker ended, unless as expected (done, runs failed, or stopped by the signal forwarded to it). */
function unexpectedExit(exit: WorkerExit, signal: StopSignal | undefined): string | undefined {
  if (exit.code === 0 || exit.code === 1) return undefined;
  if (signal !== undefined && exit.code === stopExitCode(signal)) return undefined;
  return exit.signal !== null ? `was killed by ${exit.signal}` : `ended with exit code ${exit.code}`;
}

/** Forks `jobs` workers on the plan and waits for them: one progress display, one summary. */
export async function runParent(ctx: SweepContext, jobs: number): Promise<number> {
  const tally = new SweepTally();
  const bar = createProgress(ctx.recipe, ctx.runs.length);
  const say = sayer(bar, ctx.io);
  const details = new Map<number, string>();
  let settled = 0;
  const onMessage = (n: number, message: WorkerMessage) => {
    switch (message.kind) {
      case "runStart": {
        tally.runStart(message.event, n);
        const line = startLine(message.event, `[w${n}] `);
        if (line !== undefined) say(line);
        break;
      }
      case "runDone": {
        const before = settled;
        settled = tally.runDone(message.event, n);
        details.delete(n);
        const { hash, status, message: why } = message.event;
        // A run another worker settled already (found done by this one) is not news.
        if (settled > before) bar.update(settled, `w${n} ${hash.slice(0, 12)} ${status}${why === undefined ? "" : `: ${why}`}`);
        if (settled === ctx.runs.length) pool.tell({ kind: "finish" });
        // --fail-fast ends the whole sweep, not only the worker whose run failed.
        if (status === "failed" && ctx.settings.failFast) {
          tally.failFastAt ??= hash;
          pool.tell({ kind: "halt" });
        }
        break;
      }
      case "progress":
        details.set(n, `w${n} ${progressText(message.event)}`);
        bar.detail([...details.entries()].sort(([a], [b]) => a - b).map(([, text]) => text).join(" | "));
        break;
      case "warn":
        say(`xfer: [w${n}] warning: ${message.message}`);
        break;
      case "outcome":
        tally.outcome(message, n);
        break;
    }
  };
  const pool = startWorkers({ entry: XFER_ENTRY, args: ctx.argv.slice(2), jobs, onMessage, onLine: (n, line) => say(`[w${n}] ${line}`) });
  say(`xfer: ${jobs} workers (pids ${pool.pids.join(", ")}) share the runs through claims in ${ctx.outDir}`);
  const stop = onStopSignals(
    (signal) => {
      say(`xfer: ${signal}: asking the ${jobs} workers to start nothing new and stop at the next step boundary${signal === "SIGINT" ? "; Ctrl-C again exits at once" : ""}`);
      pool.tell({ kind: "stop", signal });
    },
    () => {
      pool.tell({ kind: "stop", signal: "SIGINT" });
      bar.stop();
      const stopped = [...tally.current.values()].map((event) => ({ id: event.hash }));
      ctx.io.err(interruptNotice({
        recipe: ctx.recipe, outDir: ctx.outDir, total: ctx.runs.length, trained: tally.trained.size, skipped: 0, signal: "SIGINT", stopped, atOnce: true,
      }, ctx.argv));
      process.exit(stopExitCode("SIGINT"));
    },
  );
  let exits: WorkerExit[];
  try {
    exits = await pool.exited;
  } finally {
    stop.release();
    bar.stop();
  }
  const problems = exits.flatMap((exit) => {
    const how = unexpectedExit(exit, stop.received);
    return how === undefined ? [] : [`xfer: worker ${exit.worker} (pid ${pool.pids[exit.worker - 1]}) ${how}; the run it held is taken over by another worker (at once on this host) or the next xfer run`];
  });
  return finish(ctx, tally, stop.received, problems);
}
