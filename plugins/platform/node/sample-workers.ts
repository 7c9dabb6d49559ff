/**
 * The Node runtime's sample workers (core SampleWorkers): worker threads that load, decode and
 * augment training samples while the main thread runs the synchronous wasm step, which would
 * otherwise hold back every continuation of a decode until the step ends. Each thread rebuilds the
 * run's dataset and augmentations from the built-in plugins (sample-worker.ts), so a run whose
 * dataset or train augmentations come from elsewhere (a recipe's own plugin) is prepared on the
 * main thread as before. Threads start on a run's first use, are shared by the runs of a process,
 * and keep the process alive only while they have work.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { BackboneMeta, Sample } from "../../../core/contracts.ts";
import { XferError } from "../../../core/errors.ts";
import type { PluginRef, PluginRegistry } from "../../../core/plugin.ts";
import type { RunSpec } from "../../../core/recipe.ts";
import type { BatchRow, RunSampleWorkers, SampleWorkers } from "../../../core/train/trainer.ts";
import { BUILTIN_PLUGINS } from "../../manifest.ts";

/** What a worker thread is started with. */
export interface SampleWorkerData {
  readonly dataRoots: Readonly<Record<string, string>>;
  readonly allowedDataDirs: readonly string[];
}

/** What a worker needs to rebuild one run's sample pipeline. */
export interface SampleSetup {
  readonly seed: number;
  readonly dataset: PluginRef;
  readonly augmentations: readonly PluginRef[];
  readonly decodeResize?: RunSpec["training"]["decodeResize"];
  readonly preprocess: Pick<BackboneMeta, "mean" | "std">;
}

export interface SampleRequest {
  readonly id: number;
  readonly setupKey: string;
  readonly setup: SampleSetup;
  readonly sample: Sample;
  readonly augmentKey: string;
}

export interface SampleReply {
  readonly id: number;
  readonly row?: BatchRow;
  readonly error?: string;
}

export interface SampleWorkersOptions {
  /** The plugins runs are built from: only built-in datasets and augmentations are rebuilt in a worker. */
  readonly registry: PluginRegistry;
  readonly dataRoots: Readonly<Record<string, string>>;
  readonly allowedDataDirs: readonly string[];
  /** Worker threads (default: one less than the CPUs, at least one: the main thread computes the steps). */
  readonly threads?: number;
  /** A run's batches go to the threads once one took this long (ms) on the main thread (default 50). */
  readonly afterMs?: number;
}

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (row: BatchRow) => void; reject: (error: Error) => void }>;
  /** Settles once the thread has loaded the plugins (seconds under tsx) and can take work. */
  readonly ready: Promise<void>;
  started: boolean;
}

const BUILTIN = new Set(BUILTIN_PLUGINS);

export class NodeSampleWorkers implements SampleWorkers {
  readonly afterMs: number;
  readonly #options: SampleWorkersOptions;
  readonly #threads: Thread[] = [];
  #nextId = 0;
  #rows = 0;
  #failedToStart = false;

  constructor(options: SampleWorkersOptions) {
    this.#options = options;
    this.afterMs = options.afterMs ?? 50;
  }

  /** Rows the threads have delivered. */
  get rows(): number {
    return this.#rows;
  }

  forRun(spec: RunSpec, preprocess: Pick<BackboneMeta, "mean" | "std">): RunSampleWorkers | undefined {
    const { registry } = this.#options;
    const own = (kind: "dataset" | "augmentation", ref: PluginRef) => !BUILTIN.has(registry.get(kind, ref.name));
    if (own("dataset", spec.dataset) || spec.augment.train.some((ref) => own("augmentation", ref))) return undefined;
    // Until the threads have loaded the plugins, batches are quicker on the main thread; a thread
    // that could not load them (a broken install) leaves every batch there.
    if (this.#failedToStart || !this.#ensureThreads().every((t) => t.started)) return undefined;
    const setup: SampleSetup = {
      seed: spec.seed,
      dataset: spec.dataset,
      augmentations: spec.augment.train,
      ...(spec.training.decodeResize === undefined ? {} : { decodeResize: spec.training.decodeResize }),
      preprocess: { mean: [...preprocess.mean], std: [...preprocess.std] },
    };
    const setupKey = JSON.stringify(setup);
    return { row: (sample, augmentKey) => this.#request({ id: this.#nextId++, setupKey, setup, sample, augmentKey }) };
  }

  /** Starts the threads ahead of use; settles once every one can take work (until then forRun gives undefined). */
  async start(): Promise<void> {
    await Promise.all(this.#ensureThreads().map((t) => t.ready));
  }

  /** Ends the threads (requests in flight fail); the next run starts new ones. */
  async close(): Promise<void> {
    const threads = this.#threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  #request(request: SampleRequest): Promise<BatchRow> {
    const thread = this.#leastBusy();
    return new Promise<BatchRow>((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(request.id, { resolve, reject });
      thread.worker.postMessage(request);
    });
  }

  #ensureThreads(): Thread[] {
    const wanted = this.#options.threads ?? Math.max(1, availableParallelism() - 1);
    while (this.#threads.length < wanted) this.#threads.push(this.#start());
    return this.#threads;
  }

  #leastBusy(): Thread {
    return this.#ensureThreads().reduce((best, t) => (t.pending.size < best.pending.size ? t : best));
  }

  #start(): Thread {
    const workerData: SampleWorkerData = { dataRoots: this.#options.dataRoots, allowedDataDirs: this.#options.allowedDataDirs };
    const worker = new Worker(new URL("./sample-worker.mjs", import.meta.url), { workerData });
    let loaded = () => {};
    const thread: Thread = { worker, pending: new Map(), ready: new Promise<void>((resolve) => (loaded = resolve)), started: false };
    const settle = (id: number) => {
      const waiting = thread.pending.get(id);
      thread.pending.delete(id);
      if (thread.pending.size === 0) worker.unref();
      return waiting;
    };
    worker.on("message", (reply: SampleReply | "ready") => {
      if (reply === "ready") {
        thread.started = true;
        loaded();
        return;
      }
      const waiting = settle(reply.id);
      if (reply.row) {
        this.#rows++;
        waiting?.resolve(reply.row);
      }
      else waiting?.reject(new XferError(reply.error ?? "sample worker: no row and no error"));
    });
    // A thread that dies fails what it was asked; the next request starts a new one.
    const fail = (why: string) => {
      const index = this.#threads.indexOf(thread);
      if (index >= 0) this.#threads.splice(index, 1);
      for (const id of [...thread.pending.keys()]) settle(id)?.reject(new XferError(`sample worker stopped: ${why}`));
      if (!thread.started) this.#failedToStart = true;
      loaded();
    };
    worker.on("error", (error) => fail(error.message));
    worker.on("exit", (code) => fail(`exit code ${code}`));
    worker.unref();
    return thread;
  }
}
