/**
 * A minimal WebAssembly binary assembler for the project's hand-written SIMD kernels (no binary is
 * shipped; modules are assembled from instruction lists at first use): LEB128 and vector encodings,
 * local access, SIMD opcodes, and a module of exported functions over one imported memory
 * (`env.memory`).
 */

export const I32 = 0x7f, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;

/** Unsigned LEB128. */
export function leb(value: number): number[] {
  const out: number[] = [];
  do {
    const byte = value & 0x7f;
    value >>>= 7;
    out.push(value ? byte | 0x80 : byte);
  } while (value);
  return out;
}

/** Signed LEB128 (the immediates of `i32.const`). */
export function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

export const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];

export const get = (local: number): number[] => [0x20, ...leb(local)];
export const set = (local: number): number[] => [0x21, ...leb(local)];
export const tee = (local: number): number[] => [0x22, ...leb(local)];
export const i32Const = (value: number): number[] => [0x41, ...sleb(value)];
export const i32Add = [0x6a], i32Sub = [0x6b], i32Mul = [0x6c], i32GeU = [0x4f], i32LtU = [0x49], i32Eqz = [0x45], i32And = [0x71], i32ShrU = [0x76];
/** `body`, then local `counter` decremented, while `counter` is non-zero (a block around a loop). */
export const countDown = (counter: number, body: readonly number[]): number[] => [
  0x02, 0x40, 0x03, 0x40, ...get(counter), ...i32Eqz, 0x0d, 1,
  ...body, ...get(counter), ...i32Const(1), ...i32Sub, ...set(counter),
  0x0c, 0, 0x0b, 0x0b,
];
/** `body` while local `local` < local `limit` (unsigned), adding `step` to `local` after each run. */
export const whileBelow = (local: number, limit: number, step: number, body: readonly number[]): number[] => [
  0x02, 0x40, 0x03, 0x40, ...get(local), ...get(limit), ...i32GeU, 0x0d, 1,
  ...body, ...get(local), ...i32Const(step), ...i32Add, ...set(local),
  0x0c, 0, 0x0b, 0x0b,
];
/** The same from `local` = 0. */
export const upTo = (local: number, limit: number, step: number, body: readonly number[]): number[] => [
  ...i32Const(0), ...set(local), ...whileBelow(local, limit, step, body),
];
/** Bulk memory: memory.copy(dst, src, bytes) and memory.fill(dst, byte, bytes) on memory 0. */
export const memoryCopy = [0xfc, 10, 0, 0], memoryFill = [0xfc, 11, 0];
/** Call of the module's function number `index`. */
export const call = (index: number): number[] => [0x10, ...leb(index)];
/** A SIMD instruction (prefix 0xfd) with its immediates. */
export const simd = (op: number, ...immediates: number[]): number[] => [0xfd, ...leb(op), ...immediates];

/** Memory immediates: alignment hint (log2 of bytes) and byte offset. */
const memarg = (align: number, offset: number): number[] => [align, ...leb(offset)];
export const i32Load = (offset = 0): number[] => [0x28, ...memarg(2, offset)];
export const i32Store = (offset = 0): number[] => [0x36, ...memarg(2, offset)];
export const f32Load = (offset = 0): number[] => [0x2a, ...memarg(2, offset)];
export const f32Store = (offset = 0): number[] => [0x38, ...memarg(2, offset)];
export const f64Load = (offset = 0): number[] => [0x2b, ...memarg(3, offset)];
export const f64Store = (offset = 0): number[] => [0x39, ...memarg(3, offset)];
/** v128 load and store with a 16-byte alignment hint (a hint only: any address works). */
export const v128Load = (offset = 0): number[] => simd(0, ...memarg(4, offset));
export const v128Store = (offset = 0): number[] => simd(11, ...memarg(4, offset));
export const f32Add = [0x92], f32Sub = [0x93], f32Mul = [0x94], f64Add = [0xa0], f64PromoteF32 = [0xbb];
export const f32x4Add = simd(228), f32x4Sub = simd(229), f32x4Mul = simd(230);
export const f64x2Add = simd(240), f64x2Sub = simd(241), f64x2Mul = simd(242), f64x2PromoteLow = simd(95);
/** v128.const of four f32 lanes, all `value`. */
export const f32x4Const = (value: number): number[] => simd(12, ...new Uint8Array(new Float32Array([value, value, value, value]).buffer));
/** v128.const of four i32 lanes. */
export const i32x4Const = (...lanes: number[]): number[] => simd(12, ...new Uint8Array(new Int32Array(lanes).buffer));

export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  /** Runs of (count, type) after the parameters. */
  readonly locals: readonly (readonly [number, number])[];
  /** The instructions, without the final `end`. */
  readonly code: readonly number[];
}

/** Whether `memory` is shared (a threaded program's): modules importing it must declare so. */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * A module exporting `functions` (no results), importing its memory as `env.memory`; `shared`
 * declares it shared (up to the 4 GiB of wasm32), as a threaded program's memory is.
 */
export function assembleModule(functions: readonly WasmFunction[], { shared = false } = {}): WebAssembly.Module {
  const memoryLimits = shared ? [0x03, 0x01, ...leb(65536)] : [0x00, 0x01];
  const body = (f: WasmFunction) => {
    const code = [...vec(f.locals.map(([count, type]) => [...leb(count), type])), ...f.code, 0x0b];
    return [...leb(code.length), ...code];
  };
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, vec(functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0]))),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, ...memoryLimits]])),
    ...section(3, vec(functions.map((_, i) => leb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...leb(i)]))),
    ...section(10, vec(functions.map(body))),
  ];
  return new WebAssembly.Module(new Uint8Array(bytes));
}

const provenance = new WeakMap<object, { module: WebAssembly.Module; name: string }>();

/**
 * An instance of `module` over `memory`; its exported functions remember their module and name,
 * so a call can be repeated on another thread's instance of the same module (`moduleOf`).
 */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): WebAssembly.Exports {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  for (const [name, value] of Object.entries(exports)) if (typeof value === "function") provenance.set(value, { module, name });
  return exports;
}

/** The module and export name of a function `instantiate` returned; throws for any other. */
export function moduleOf(fn: object): { module: WebAssembly.Module; name: string } {
  const origin = provenance.get(fn);
  if (origin === undefined) throw new Error("xfer wasm: this function was not instantiated through instantiate(), so no other thread can run it");
  return origin;
}

/**
 * `memory` -> the exports of a module of `functions`, assembled once per kind of memory (shared or
 * not) and instantiated once per memory.
 */
export function instancePerMemory<T>(functions: () => readonly WasmFunction[]): (memory: WebAssembly.Memory) => T {
  const modules = new Map<boolean, WebAssembly.Module>();
  const instances = new WeakMap<WebAssembly.Memory, T>();
  return (memory) => {
    let exports = instances.get(memory);
    if (exports === undefined) {
      const shared = isSharedMemory(memory);
      let module = modules.get(shared);
      if (module === undefined) modules.set(shared, (module = assembleModule(functions(), { shared })));
      exports = instantiate(module, memory) as unknown as T;
      instances.set(memory, exports);
    }
    return exports;
  };
}
