/**
 * Helpers for writing wasm kernels as compositions of the wasm backend's own kernels (which run
 * through XNNPACK or native loops). Kernel functions are called directly, not through the engine,
 * so intermediates never reach the autodiff tape; every intermediate is released with `free`.
 */
import { getKernel, type DataType, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

export class Composer {
  constructor(readonly backend: BackendWasm) {}

  run(kernelName: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(kernelName, "wasm");
    if (kernel === undefined) throw new Error(`xfer wasm kernels: the wasm backend has no ${kernelName} kernel`);
    return kernel.kernelFunc({ inputs: inputs as NamedTensorInfoMap, attrs, backend: this.backend }) as TensorInfo;
  }

  free(...tensors: TensorInfo[]): void {
    for (const t of tensors) this.backend.disposeData(t.dataId);
  }

  /** Float view on the wasm heap; valid until the next allocation (views die when memory grows). */
  view(t: TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(t) as Float32Array;
  }

  empty(shape: number[], dtype: DataType = "float32"): TensorInfo {
    return this.backend.makeOutput(shape, dtype);
  }

  zeros(shape: number[]): TensorInfo {
    return this.run("Fill", {}, { shape, value: 0, dtype: "float32" });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run("Transpose", { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    return this.run("Slice", { x }, { begin, size });
  }

  concat(tensors: TensorInfo[], axis: number): TensorInfo {
    if (tensors.length === 1) return this.run("Identity", { x: tensors[0] });
    // Concat takes its inputs as an array, unlike every other kernel.
    return this.run("Concat", tensors, { axis });
  }

  sum(x: TensorInfo, axis: number[]): TensorInfo {
    return this.run("Sum", { x }, { axis, keepDims: false });
  }

  /** `fn` on `x`, freeing `x` afterwards: for chains of temporaries. */
  then(x: TensorInfo, fn: (x: TensorInfo) => TensorInfo): TensorInfo {
    const out = fn(x);
    this.free(x);
    return out;
  }
}

/** Explicit-padding attribute in the NHWC layout tfjs kernels take. */
export function explicitPad(top: number, bottom: number, left: number, right: number): [number, number][] {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/** The wasm backend's heap: exported by the single-thread build, imported (shared) by the threaded one. */
export function heapMemory(backend: BackendWasm): WebAssembly.Memory {
  const module = (backend as unknown as { wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } }).wasm;
  const memory = module.wasmMemory ?? module.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error("xfer wasm kernels: the wasm backend exposes no WebAssembly.Memory");
  return memory;
}
