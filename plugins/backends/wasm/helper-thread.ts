/**
 * The helper thread of two-thread wasm (Node's worker_threads): a persistent worker holding its
 * own instances of xfer's kernel modules on the backend's shared heap, running the second lane of
 * each `Split` (kernels/parallel.ts). One handover per split: the calls (function id and seven i32
 * arguments each) are written to a shared buffer, a sequence number is stored and notified; the
 * worker spins briefly on it before it sleeps in `Atomics.wait`, so back-to-back kernels do not pay
 * a wake-up each, and sleeps between steps. Modules and larger call buffers reach it as messages it
 * reads synchronously (`receiveMessageOnPort`) before the calls that need them.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { XferError } from "../../../core/errors.ts";
import type { Helper, RecordedCall } from "./kernels/parallel.ts";
import { MAX_ARGS } from "./kernels/parallel.ts";

/** Header words: handed sequence, done sequence, calls, failed, messages posted. */
const HANDED = 0, DONE = 1, COUNT = 2, FAILED = 3, POSTED = 4;
const WORDS_PER_CALL = 1 + MAX_ARGS;
/** Loads of the sequence word before sleeping: ~0.1 ms on the helper, ~1 ms waiting here. */
const HELPER_SPINS = 1 << 16, WAIT_SPINS = 1 << 20;
/** A helper silent this long has stopped (a step's largest kernel takes well under a second). */
const STALL_MS = 120_000;

const WORKER = `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { memory, header: headerBuffer, port, spins } = workerData;
const header = new Int32Array(headerBuffer);
const table = [];
let calls = new Int32Array(0), seen = 0, received = 0;
for (;;) {
  for (let i = 0; i < spins && Atomics.load(header, ${HANDED}) === seen; i++);
  Atomics.wait(header, ${HANDED}, seen);
  seen = Atomics.load(header, ${HANDED});
  try {
    while (received < Atomics.load(header, ${POSTED})) {
      const got = receiveMessageOnPort(port);
      if (got === undefined) continue;
      received++;
      const { module, buffer } = got.message;
      if (buffer !== undefined) {
        calls = new Int32Array(buffer);
        continue;
      }
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      for (const { name, kind } of WebAssembly.Module.exports(module)) if (kind === "function") table.push(instance.exports[name]);
    }
    for (let i = 0, end = Atomics.load(header, ${COUNT}) * ${WORDS_PER_CALL}; i < end; i += ${WORDS_PER_CALL}) {
      table[calls[i]](calls[i + 1], calls[i + 2], calls[i + 3], calls[i + 4], calls[i + 5], calls[i + 6], calls[i + 7]);
    }
  } catch (error) {
    Atomics.store(header, ${FAILED}, 1);
    port.postMessage(String((error && error.stack) || error));
  }
  Atomics.store(header, ${DONE}, seen);
  Atomics.notify(header, ${DONE});
}
`;

class WorkerHelper implements Helper {
  readonly #header = new Int32Array(new SharedArrayBuffer(8 * 4));
  readonly #port: import("node:worker_threads").MessagePort;
  /** Function ids per module, in the order the worker numbers them. */
  readonly #ids = new Map<WebAssembly.Module, Map<string, number>>();
  #functions = 0;
  #calls = new Int32Array(new SharedArrayBuffer(0));
  #sequence = 0;
  /** Splits handed over so far. */
  get handovers(): number {
    return this.#sequence;
  }

  #posted = 0;
  #running = false;

  constructor(readonly memory: WebAssembly.Memory) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const worker = new Worker(WORKER, {
      eval: true, execArgv: [], workerData: { memory, header: this.#header.buffer, port: port2, spins: HELPER_SPINS }, transferList: [port2],
    });
    // The worker waits for work for the life of the backend; it must not keep the process alive.
    worker.unref();
    port1.unref();
  }

  start(calls: readonly RecordedCall[]): void {
    if (this.#running) throw new Error("xfer wasm: a split was started on the helper thread while another runs");
    if (this.#calls.length < calls.length * WORDS_PER_CALL) {
      this.#calls = new Int32Array(new SharedArrayBuffer(2 * calls.length * WORDS_PER_CALL * 4));
      this.#post({ buffer: this.#calls.buffer });
    }
    const words = this.#calls;
    for (let i = 0; i < calls.length; i++) {
      const { module, name, args } = calls[i];
      const at = i * WORDS_PER_CALL;
      words[at] = this.#id(module, name);
      for (let j = 0; j < MAX_ARGS; j++) words[at + 1 + j] = args[j] ?? 0;
    }
    Atomics.store(this.#header, COUNT, calls.length);
    this.#running = true;
    Atomics.store(this.#header, HANDED, ++this.#sequence);
    Atomics.notify(this.#header, HANDED);
  }

  finish(): void {
    const header = this.#header, target = this.#sequence;
    for (let i = 0; i < WAIT_SPINS && Atomics.load(header, DONE) !== target; i++);
    while (Atomics.load(header, DONE) !== target) {
      if (Atomics.wait(header, DONE, target - 1, STALL_MS) === "timed-out" && Atomics.load(header, DONE) !== target) {
        throw new XferError(`the wasm helper thread did not finish its part of a kernel within ${STALL_MS / 1000} s`);
      }
    }
    this.#running = false;
    if (Atomics.load(header, FAILED) === 1) {
      Atomics.store(header, FAILED, 0);
      throw new XferError(`the wasm helper thread failed: ${receiveMessageOnPort(this.#port)?.message ?? "no message"}`);
    }
  }

  #id(module: WebAssembly.Module, name: string): number {
    let ids = this.#ids.get(module);
    if (ids === undefined) {
      ids = new Map();
      for (const { name: exported, kind } of WebAssembly.Module.exports(module)) if (kind === "function") ids.set(exported, this.#functions++);
      this.#ids.set(module, ids);
      this.#post({ module });
    }
    const id = ids.get(name);
    if (id === undefined) throw new Error(`xfer wasm: the module has no exported function ${name}`);
    return id;
  }

  #post(message: { module?: WebAssembly.Module; buffer?: SharedArrayBuffer }): void {
    this.#port.postMessage(message);
    Atomics.store(this.#header, POSTED, ++this.#posted);
  }
}

/** A helper thread for the kernels over `memory`, the threaded backend's shared heap. */
export function startHelperThread(memory: WebAssembly.Memory): Helper {
  if (!(memory.buffer instanceof SharedArrayBuffer)) throw new Error("xfer wasm: a helper thread needs the threaded backend's shared heap");
  return new WorkerHelper(memory);
}
