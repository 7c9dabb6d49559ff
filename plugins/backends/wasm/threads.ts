/**
 * Multi-threaded wasm under Node (opt-in: `wasmThreads` > 1 in the config). tfjs-backend-wasm 4.22
 * ships a threaded SIMD build but never starts it under Node (tfjs#3830). Three adjustments, each
 * tied to that exact build, make it start; anything else is refused with the reason:
 *
 * 1. `WASM_HAS_MULTITHREAD_SUPPORT` is forced on before the backend initialises.
 * 2. Emscripten starts its pthread workers from a `blob:` URL and then `importScripts` the glue as
 *    a Blob; Node's `worker_threads` can load neither. While the backend initialises (all workers
 *    start then), `worker_threads.Worker` runs the package's own worker script as an eval'd script
 *    whose `importScripts` reads the glue from `wasm-out/` instead.
 * 3. The C++ backend sizes XNNPACK's pool as `min(requested, logical cores / 2)`, i.e. 1 on a
 *    2-core machine; `os.cpus()` reports 2 x requested while it initialises. XNNPACK gets one
 *    thread fewer than `wasmThreads`: the last is xfer's helper thread (helper-thread.ts).
 * 4. Emscripten keeps a worker referenced while its pthread runs, so the pool's threads would keep
 *    Node from exiting; they are unreferenced once started.
 *
 * Deterministic: XNNPACK splits work by output tile and xfer's kernels by whole outputs, each
 * summed in the same order whatever the thread count (checked by test/backend/threads.test.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { XferError } from "../../../core/errors.ts";

const require = createRequire(import.meta.url);

/** The only build whose internals the adjustments above were written against. */
export const THREADED_WASM_VERSION = "4.22.0";

/** Where the worker script's `importScripts` starts; the hook is inserted right after it. */
const IMPORT_SCRIPTS_ANCHOR = "importScripts:function(f){";

function refuse(threads: number, why: string): never {
  throw new XferError(`wasmThreads=${threads}: ${why}; set wasmThreads to 1 (see docs/backends.md, "Threads")`);
}

/**
 * The package's pthread worker script (`wasmWorkerContents`) with its `importScripts` pointed at the
 * glue file `gluePath` when handed a `blob:` URL; throws when the script no longer looks as expected.
 */
export function patchWorkerScript(contents: string, gluePath: string): string {
  if (!contents.includes(IMPORT_SCRIPTS_ANCHOR)) {
    throw new XferError(`the wasm worker script no longer contains "${IMPORT_SCRIPTS_ANCHOR}" (tfjs-backend-wasm internals changed)`);
  }
  // The contents are a template literal: its newlines sit inside string literals ("\n").
  return contents
    .replace(/\n/g, "\\n")
    .replace(IMPORT_SCRIPTS_ANCHOR, `${IMPORT_SCRIPTS_ANCHOR}if(String(f).startsWith("blob:"))f=${JSON.stringify(gluePath)};`);
}

function workerScript(threads: number, wasmOut: string): string {
  const { wasmWorkerContents } = require(path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string };
  const glue = path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.js");
  if (!existsSync(glue)) refuse(threads, `the threaded glue ${glue} is missing`);
  try {
    return patchWorkerScript(wasmWorkerContents, glue);
  } catch (error) {
    return refuse(threads, (error as Error).message);
  }
}

/**
 * Initialises the threaded wasm backend (installed `version`) for `threads` threads in all: XNNPACK's
 * pool gets `threads - 1` (the calling thread alone for 2: pthreadpool's workers spin-wait after
 * every XNNPACK operator, which took the core from xfer's helper), xfer's helper thread the last
 * (started by the caller on the shared heap). Throws, naming the reason, when it cannot. The caller makes sure nothing initialised wasm before (selectBackend
 * does, and refuses a thread count other than the one a running backend has).
 */
export async function initThreadedWasm(threads: number, version: string): Promise<void> {
  if ("Deno" in globalThis) refuse(threads, "the threaded wasm build needs Node's worker_threads; Deno runs wasm on one thread");
  if (version !== THREADED_WASM_VERSION) {
    refuse(threads, `threaded wasm is adapted to @tensorflow/tfjs-backend-wasm ${THREADED_WASM_VERSION}, found ${version}`);
  }
  const wasmOut = path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "wasm-out");
  const script = workerScript(threads, wasmOut);

  const workerThreads = require("node:worker_threads") as typeof import("node:worker_threads");
  const os = require("node:os") as typeof import("node:os");
  const { Worker } = workerThreads;
  const { cpus } = os;
  class GlueWorker extends Worker {
    constructor(url: string | URL, options?: import("node:worker_threads").WorkerOptions) {
      const fromBlob = typeof url === "string" && url.startsWith("blob:");
      super(fromBlob ? script : url, fromBlob ? { ...options, eval: true } : options);
      // Pool workers idle between kernels; they must not keep the process alive.
      if (fromBlob) this.unref();
    }
  }
  workerThreads.Worker = GlueWorker;
  os.cpus = () => Array.from({ length: 2 * (threads - 1) }, () => cpus()[0]);
  try {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    setThreadsCount(threads - 1);
    if (!(await tf.setBackend("wasm"))) refuse(threads, "the threaded wasm backend failed to initialise");
    await tf.ready();
    // Emscripten refs a worker while its pthread runs; XNNPACK's pool threads run for the life of
    // the backend and only ever wait for the main thread, so they must not keep the process alive.
    const pthreads = (tf.backend() as unknown as { wasm?: { PThread?: { runningWorkers?: { unref(): void }[] } } }).wasm?.PThread;
    if (!Array.isArray(pthreads?.runningWorkers)) refuse(threads, "the threaded wasm module no longer exposes PThread.runningWorkers");
    for (const worker of pthreads.runningWorkers) worker.unref();
  } finally {
    workerThreads.Worker = Worker;
    os.cpus = cpus;
  }
}
