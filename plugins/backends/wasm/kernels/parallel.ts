/**
 * Work split between this thread and a helper thread over the threaded backend's shared heap.
 * A kernel records its wasm calls into the lanes of a `Split` (a fixed partition chosen by the
 * kernel: output panels, tile rows or whole products, never a sum split in two), then `run` runs
 * every lane once, each on whichever thread claims it first: this thread takes lanes until none is
 * left and waits only for a lane the helper has begun, so a helper that is descheduled or asleep
 * never holds a step up. Without a helper the lanes run here in order. A lane is the same calls on
 * the same data whoever runs it, so every output has the same bits whatever the thread count.
 * Recorded calls run later, so a kernel records only wasm calls whose inputs the earlier calls of
 * the same lane (or work done before recording) produce.
 *
 * Runtime-neutral: the helper itself (a Node worker, `helper-thread.ts`) registers here.
 */
import { moduleOf } from "../../../../core/wasm/assembler.ts";

export type WasmCall = (...args: number[]) => void;

/** At most this many i32 arguments per recorded call. */
export const MAX_ARGS = 8;

/** A thread that runs recorded calls of wasm functions instantiated on its heap. */
export interface Helper {
  /**
   * Runs each lane's calls once, on this thread or the helper, and returns when all are done;
   * throws what either thread threw.
   */
  run(lanes: readonly (readonly RecordedCall[])[]): void;
  /** Lanes the helper thread ran so far. */
  readonly handovers: number;
}

export interface RecordedCall {
  readonly fn: WasmCall;
  readonly module: WebAssembly.Module;
  readonly name: string;
  readonly args: readonly number[];
}

const helpers = new WeakMap<WebAssembly.Memory, Helper>();

/** Makes `helper` run the second lane of every split on `memory` from now on. */
export function setHelper(memory: WebAssembly.Memory, helper: Helper): void {
  helpers.set(memory, helper);
}

/** The helper thread of `memory`, if it has one. */
export function helperOn(memory: WebAssembly.Memory): Helper | undefined {
  return helpers.get(memory);
}

/** The calls of one thread, in order. */
export class Lane {
  readonly calls: RecordedCall[] = [];

  call(fn: WasmCall, ...args: number[]): void {
    if (args.length > MAX_ARGS) throw new Error(`xfer wasm kernels: a recorded call takes at most ${MAX_ARGS} arguments, got ${args.length}`);
    const { module, name } = moduleOf(fn);
    this.calls.push({ fn, module, name, args });
  }

  run(): void {
    for (const { fn, args } of this.calls) fn(...args);
  }
}

/** Lanes of wasm calls over one heap, shared between threads when the heap has a helper. */
export class Split {
  readonly lanes: readonly Lane[];

  constructor(readonly memory: WebAssembly.Memory, count = 2) {
    this.lanes = Array.from({ length: count }, () => new Lane());
  }

  run(): void {
    const helper = helpers.get(this.memory);
    const busy = this.lanes.filter((lane) => lane.calls.length > 0);
    if (helper === undefined || busy.length < 2) {
      for (const lane of busy) lane.run();
      return;
    }
    helper.run(busy.map((lane) => lane.calls));
  }
}

/** [0, count) in two parts, the first `unit`-aligned and the larger when it cannot be even. */
export function halves(count: number, unit = 1): readonly [number, number] {
  const cut = Math.min(count, unit * Math.ceil(Math.ceil(count / unit) / 2));
  return [cut, count - cut];
}
