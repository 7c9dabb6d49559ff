/**
 * The helper thread of two-thread wasm (Node's worker_threads): a persistent worker holding its
 * own instances of xfer's kernel modules on the backend's shared heap, taking lanes of each
 * `Split` (kernels/parallel.ts). A split is published in one store: its lanes' calls (function id
 * and eight i32 arguments each) are written to a shared buffer, then the claim word becomes the
 * split's sequence number (high 16 bits) and next lane 0 (low 16), and is notified. Either thread
 * claims the next lane by compare-and-exchange on that word, so a lane runs exactly once and a
 * claim made late, for a split already finished, fails. The helper spins briefly on the word
 * before it sleeps in `Atomics.wait`, so back-to-back kernels do not pay a wake-up each. Modules
 * and larger call buffers reach it as messages it reads synchronously (`receiveMessageOnPort`)
 * before it claims.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { XferError } from "../../../core/errors.ts";
import type { Helper, RecordedCall } from "./kernels/parallel.ts";
import { MAX_ARGS } from "./kernels/parallel.ts";

/** Header words: the claim word, lanes done, lanes, failed, messages posted. */
const CLAIM = 0, DONE = 1, LANES = 2, FAILED = 3, POSTED = 4;
const WORDS_PER_CALL = 1 + MAX_ARGS;
/** At most this many lanes per split (the claim word's low half). */
const MAX_LANES = 1 << 16;
/** Loads of a word before sleeping on it: ~20-50 us on the helper, ~0.1 ms waiting here for a lane it runs. */
const HELPER_SPINS = 1 << 14, WAIT_SPINS = 1 << 16;
/** A helper silent this long has stopped (a step's largest kernel takes well under a second). */
const STALL_MS = 120_000;

/**
 * The worker: claim lanes of the published split while any is left, then wait for the claim word
 * to change. The calls buffer starts with each lane's first call index (lanes + 1 words).
 */
const WORKER = `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { memory, header: headerBuffer, port, spins } = workerData;
const header = new Int32Array(headerBuffer);
const table = [];
let calls = new Int32Array(0), received = 0;
function load() {
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
}
for (;;) {
  const word = Atomics.load(header, ${CLAIM});
  const lanes = Atomics.load(header, ${LANES});
  if ((word & 0xffff) < lanes) {
    load();
    if (Atomics.compareExchange(header, ${CLAIM}, word, word + 1) !== word) continue;
    const lane = word & 0xffff, base = lanes + 1;
    try {
      for (let i = base + calls[lane] * ${WORDS_PER_CALL}, end = base + calls[lane + 1] * ${WORDS_PER_CALL}; i < end; i += ${WORDS_PER_CALL}) {
        table[calls[i]](calls[i + 1], calls[i + 2], calls[i + 3], calls[i + 4], calls[i + 5], calls[i + 6], calls[i + 7], calls[i + 8]);
      }
    } catch (error) {
      if (Atomics.compareExchange(header, ${FAILED}, 0, 1) === 0) port.postMessage(String((error && error.stack) || error));
    }
    Atomics.add(header, ${DONE}, 1);
    Atomics.notify(header, ${DONE});
    continue;
  }
  for (let i = 0; i < spins && Atomics.load(header, ${CLAIM}) === word; i++);
  Atomics.wait(header, ${CLAIM}, word);
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
  #posted = 0;
  /** Lanes the helper thread ran so far. */
  #helped = 0;

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

  /** Lanes the helper thread ran so far. */
  get handovers(): number {
    return this.#helped;
  }

  run(lanes: readonly (readonly RecordedCall[])[]): void {
    if (lanes.length >= MAX_LANES) throw new Error(`xfer wasm: a split has at most ${MAX_LANES - 1} lanes, got ${lanes.length}`);
    const header = this.#header;
    this.#publish(lanes);
    let ranHere = 0, failure: unknown;
    for (;;) {
      const word = Atomics.load(header, CLAIM);
      if ((word & 0xffff) >= lanes.length) break;
      if (Atomics.compareExchange(header, CLAIM, word, word + 1) !== word) continue;
      ranHere++;
      if (failure !== undefined) continue;
      try {
        for (const { fn, args } of lanes[word & 0xffff]) fn(...args);
      } catch (error) {
        failure = error;
      }
    }
    this.#await(lanes.length - ranHere);
    this.#helped += lanes.length - ranHere;
    if (failure !== undefined) throw failure;
    if (Atomics.load(header, FAILED) === 1) {
      Atomics.store(header, FAILED, 0);
      throw new XferError(`the wasm helper thread failed: ${receiveMessageOnPort(this.#port)?.message ?? "no message"}`);
    }
  }

  /** Writes the lanes' calls and opens the split for claims. */
  #publish(lanes: readonly (readonly RecordedCall[])[]): void {
    const calls = lanes.reduce((sum, lane) => sum + lane.length, 0);
    const words = lanes.length + 1 + calls * WORDS_PER_CALL;
    if (this.#calls.length < words) {
      this.#calls = new Int32Array(new SharedArrayBuffer(2 * words * 4));
      this.#post({ buffer: this.#calls.buffer });
    }
    const out = this.#calls, base = lanes.length + 1;
    let at = 0;
    lanes.forEach((lane, i) => {
      out[i] = at;
      for (const { module, name, args } of lane) {
        const word = base + at++ * WORDS_PER_CALL;
        out[word] = this.#id(module, name);
        for (let j = 0; j < MAX_ARGS; j++) out[word + 1 + j] = args[j] ?? 0;
      }
    });
    out[lanes.length] = at;
    const header = this.#header;
    Atomics.store(header, DONE, 0);
    Atomics.store(header, LANES, lanes.length);
    this.#sequence = (this.#sequence + 1) & 0xffff;
    Atomics.store(header, CLAIM, this.#sequence << 16);
    Atomics.notify(header, CLAIM);
  }

  /** Waits until the helper has finished the `count` lanes it claimed. */
  #await(count: number): void {
    const header = this.#header;
    for (let i = 0; i < WAIT_SPINS && Atomics.load(header, DONE) < count; i++);
    for (let done = Atomics.load(header, DONE); done < count; done = Atomics.load(header, DONE)) {
      if (Atomics.wait(header, DONE, done, STALL_MS) === "timed-out" && Atomics.load(header, DONE) === done) {
        throw new XferError(`the wasm helper thread did not finish its part of a kernel within ${STALL_MS / 1000} s`);
      }
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
