/**
 * The processes of a sweep on one machine (docs/training.md, "Sweeps on every core").
 *
 * `xfer run --jobs N` with N > 1 makes the process a parent: it forks N workers of the same CLI
 * entry (the hidden `--worker <n>` flag, an IPC channel), each a worker of the sweep on the same
 * run store, where claims split the runs between them and any other worker on the file system.
 * Workers send their events over IPC; the parent draws the one progress display and prints the
 * one summary. With N = 1 the process is itself the worker.
 *
 * Also here: the sweep flags and the stop signals.
 */
import { fork, type ChildProcess } from "node:child_process";
import { availableParallelism, constants } from "node:os";
import { createInterface } from "node:readline";
import type { TrainProgress } from "../../../../core/train/trainer.ts";
import type { PlanProgress, RunStartEvent } from "../../../../core/di.ts";
import type { DamagedRun, DiscardedResult, PlanOutcome, SweepOptions } from "../../../../core/runner.ts";
import { DEFAULT_SWEEP } from "../../../../core/runner.ts";
import { XferError } from "../../../../core/errors.ts";

/** The signals that stop a worker at the next step boundary, its run resumable. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGUSR1"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** 128 + the signal's number, as shells report a process ended by it: 130, 143, 138 on Linux. */
export function stopExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** `xfer run`'s sweep flags as commander hands them over (strings, unparsed). */
export interface SweepFlags {
  readonly jobs?: string;
  readonly failFast?: boolean;
  readonly maxAttempts?: string;
  readonly lease?: string;
  /** Internal: the parent's sweep start, given to its workers. */
  readonly sweepSince?: string;
}

export type SweepSettings = Pick<SweepOptions, "leaseMs" | "heartbeatMs" | "maxAttempts" | "failFast" | "since"> & {
  /** --jobs as given; undefined: the default, known once the backend's threads are. */
  readonly jobs?: number;
};

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new XferError(`${flag}: expected a positive integer, got "${text}"`);
  return value;
}

/** Validates the flags before anything starts; the heartbeat is lease/10, at most DEFAULT_SWEEP's 30 s. */
export function sweepSettings(flags: SweepFlags): SweepSettings {
  let leaseMs: number = DEFAULT_SWEEP.leaseMs;
  if (flags.lease !== undefined) {
    const seconds = Number(flags.lease);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new XferError(`--lease: expected a positive number of seconds, got "${flags.lease}"`);
    leaseMs = Math.round(seconds * 1000);
  }
  return {
    ...(flags.jobs === undefined ? {} : { jobs: positiveInteger("--jobs", flags.jobs) }),
    leaseMs,
    heartbeatMs: Math.min(DEFAULT_SWEEP.heartbeatMs, Math.max(1, Math.round(leaseMs / 10))),
    maxAttempts: flags.maxAttempts === undefined ? DEFAULT_SWEEP.maxAttempts : positiveInteger("--max-attempts", flags.maxAttempts),
    failFast: flags.failFast ?? false,
    // A failure recorded after this process started is this sweep's (workers get their parent's start).
    since: flags.sweepSince === undefined ? Math.floor(performance.timeOrigin) : positiveInteger("--sweep-since", flags.sweepSince),
  };
}

/**
 * The default --jobs: as many workers as the cores hold at the backend's threads per worker (1 for
 * wasm unless --wasm-threads), never more than the planned runs nor fewer than one.
 */
export function defaultJobs(threadsPerWorker: number, runs: number, cores = availableParallelism()): number {
  return Math.max(1, Math.min(runs, Math.floor(cores / Math.max(1, threadsPerWorker))));
}

/** What a worker tells its parent, one IPC message each. */
export type WorkerMessage =
  | { readonly kind: "runStart"; readonly event: RunStartEvent }
  | { readonly kind: "runDone"; readonly event: PlanProgress }
  | { readonly kind: "progress"; readonly event: TrainProgress }
  | { readonly kind: "warn"; readonly message: string }
  /** Last, before the worker disconnects: what its summary needs beyond the run store. */
  | { readonly kind: "outcome"; readonly discarded: readonly DiscardedResult[]; readonly damaged: readonly DamagedRun[]; readonly stopped?: PlanOutcome["stopped"] };

/**
 * What the parent tells a worker. stop: the parent got a stop signal (forwarded this way: see
 * startWorkers). finish: every planned run is settled (by some worker), so a worker that is only
 * waiting for runs held by others has nothing left to wait for (it would poll once per heartbeat,
 * up to 30 s, for runs that are done). halt: --fail-fast, another worker's run failed: stop at the
 * next step boundary as on a signal (the run keeps its resume state).
 */
export type ParentMessage =
  | { readonly kind: "stop"; readonly signal: StopSignal }
  | { readonly kind: "finish" | "halt" };

export function isParentMessage(value: unknown): value is ParentMessage {
  if (value === null || typeof value !== "object") return false;
  const { kind, signal } = value as { kind?: unknown; signal?: unknown };
  return kind === "finish" || kind === "halt" || (kind === "stop" && (STOP_SIGNALS as readonly unknown[]).includes(signal));
}

const KINDS = new Set(["runStart", "runDone", "progress", "warn", "outcome"]);

/** A message from a child is checked for its shape before the parent uses it. */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (value === null || typeof value !== "object") return false;
  const { kind } = value as { kind?: unknown };
  if (typeof kind !== "string" || !KINDS.has(kind)) return false;
  if (kind === "warn") return typeof (value as { message?: unknown }).message === "string";
  if (kind === "outcome") return Array.isArray((value as { discarded?: unknown }).discarded) && Array.isArray((value as { damaged?: unknown }).damaged);
  const event = (value as { event?: unknown }).event;
  return event !== null && typeof event === "object";
}

/** Sends to the parent and resolves once the message is handed to the channel (so none is lost at exit). */
export function sendToParent(message: WorkerMessage): Promise<void> {
  return new Promise((done) => {
    if (process.send === undefined || !process.connected) {
      done();
      return;
    }
    process.send(message, undefined, {}, () => done());
  });
}

/**
 * Step-level progress goes to the parent at most every `intervalMs` (and at every epoch's end):
 * the parent only draws a live detail line from it, and tiny runs take thousands of steps.
 */
export function throttledProgress(send: (event: TrainProgress) => void, intervalMs = 200, now = Date.now): (event: TrainProgress) => void {
  let last = -Infinity;
  return (event) => {
    const t = now();
    if (event.step !== event.stepsPerEpoch && t - last < intervalMs) return;
    last = t;
    send(event);
  };
}

export interface WorkerExit {
  /** 1-based, as the parent's prefixes name workers. */
  readonly worker: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WorkerPool {
  /** Resolves when every worker has exited (and its output is read). */
  readonly exited: Promise<WorkerExit[]>;
  /** Sends `message` to every worker still connected. */
  tell(message: ParentMessage): void;
  /** The workers' pids, for tests and messages. */
  readonly pids: readonly number[];
}

export interface PoolOptions {
  /** The CLI entry the workers run (xfer.mjs). */
  readonly entry: string;
  /** The parent's arguments (argv without node and the script); each worker gets them plus `--jobs 1 --worker <n>`. */
  readonly args: readonly string[];
  readonly jobs: number;
  onMessage(worker: number, message: WorkerMessage): void;
  /** Every line a worker writes to stdout or stderr. */
  onLine(worker: number, line: string): void;
}

/**
 * Forks the workers, in the parent's process group, so what a terminal sends the group reaches
 * them all: Ctrl-Z suspends the sweep, closing the terminal ends it. Ctrl-C would reach every
 * worker too, and again through the parent when a script signals only the parent; so a worker
 * under a parent ignores SIGINT and the parent forwards every stop signal as a message, once. A
 * worker whose parent goes away (IPC disconnect) stops as on SIGTERM.
 */
export function startWorkers(options: PoolOptions): WorkerPool {
  // One start for the whole sweep: a run one worker failed is not retried by another (core/runner.ts SweepOptions.since).
  const since = Math.floor(performance.timeOrigin);
  const children: ChildProcess[] = [];
  const exits: Promise<WorkerExit>[] = [];
  for (let n = 1; n <= options.jobs; n++) {
    const child = fork(options.entry, [...options.args, "--jobs", "1", "--worker", String(n), "--sweep-since", String(since)], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // The parent's own node flags (a test runner's loader, --inspect) are not the worker's business.
      execArgv: [],
    });
    children.push(child);
    child.on("message", (message) => {
      if (isWorkerMessage(message)) options.onMessage(n, message);
      else options.onLine(n, `xfer: worker sent an unknown message: ${JSON.stringify(message).slice(0, 200)}`);
    });
    const streams = [child.stdout!, child.stderr!].map((stream) => new Promise<void>((done) => {
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => options.onLine(n, line)).on("close", done);
    }));
    exits.push(new Promise((done, fail) => {
      child.on("error", fail);
      child.on("exit", (code, signal) => void Promise.all(streams).then(() => done({ worker: n, code, signal })));
    }));
  }
  return {
    exited: Promise.all(exits),
    pids: children.map((c) => c.pid ?? -1),
    tell(message) {
      // A worker that exited meanwhile closed its channel: the message has nobody to reach.
      for (const child of children) if (child.connected) child.send(message, () => {});
    },
  };
}

export interface StopSignals {
  /** The first stop signal received (or requested), if any. */
  readonly received: StopSignal | undefined;
  /** Stops as if `signal` had arrived (a worker whose parent went away). */
  request(signal: StopSignal): void;
  release(): void;
}

/**
 * Until released, the stop signals set `received` (and call `onFirst`) instead of ending the
 * process; a second SIGINT calls `onSecondInterrupt` (which exits at once). Other repeats are
 * ignored: the process is already stopping. With `ignoreInterrupt` (a worker under a parent) a
 * SIGINT is ignored: the parent forwards it, through `request`.
 */
export function onStopSignals(onFirst: (signal: StopSignal) => void, onSecondInterrupt: () => void, ignoreInterrupt = false): StopSignals {
  let received: StopSignal | undefined;
  const request = (signal: StopSignal) => {
    if (received === undefined) {
      received = signal;
      onFirst(signal);
    } else if (signal === "SIGINT") {
      onSecondInterrupt();
    }
  };
  const handlers = STOP_SIGNALS.map((signal) => [signal, ignoreInterrupt && signal === "SIGINT" ? () => {} : () => request(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return {
    get received() {
      return received;
    },
    request,
    release() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}
