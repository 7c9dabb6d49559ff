/**
 * `BatchMatMul` and `_FusedMatMul` with a transposed operand. The stock wasm kernels hand
 * XNNPACK only the non-transposed case and run a transposed operand through a slow generic loop
 * (a dense layer's backward pass, [64, 3136] x [3136, 128]: ~34 ms against ~3 ms). Here a
 * transposed operand is first copied into a contiguous transposed buffer (the stock `Transpose`,
 * well under a millisecond) and the non-transposed kernel does the product. `BatchMatMul`
 * a . b^T with a large b is computed as (b . a^T)^T (`packsMore`). Fused matmuls keep the order
 * (their bias and activation apply to the untransposed result). `BatchMatMul`'s products
 * themselves run xfer's SIMD GEMM (`simdProduct`).
 */
import { _FusedMatMul, BatchMatMul, getKernel, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Composer, heapMemory } from "./compose.ts";
import { gemmOn, gemmScratchFloats } from "./gemm-simd.ts";

type Args = { inputs: { a: TensorInfo; b: TensorInfo } & Record<string, TensorInfo>; backend: BackendWasm; attrs: NamedAttrMap };

/** The last two axes swapped. */
function swapLast(c: Composer, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return c.transpose(x, perm);
}

/**
 * Whether a . b^T should be computed as (b . a^T)^T: the right operand is packed on every call (by
 * xfer's GEMM as by XNNPACK, whose cache misses because its id is new each step in training), so a
 * weight-sized b costs more to pack than transposing a and the result (a dense layer's input
 * gradient dy . W^T, [64, 128] x [3136, 128]^T: 8.5 ms with XNNPACK).
 */
function packsMore(a: TensorInfo, b: TensorInfo): boolean {
  const size = (t: TensorInfo) => t.shape.reduce((x, y) => x * y, 1);
  const rows = a.shape[a.shape.length - 2];
  const cols = b.shape[b.shape.length - 2];
  return size(b) > size(a) + rows * cols;
}

/** Leading (batch) dimensions of a matrix operand, multiplied out. */
const batchOf = (t: TensorInfo) => t.shape.slice(0, -2).reduce((x, y) => x * y, 1);

/**
 * a . b for float32 operands with no transpose flags, by xfer's SIMD GEMM (gemm-simd.ts) on the
 * calling thread, whatever `wasmThreads` says, so products round the same on one thread and on
 * several (one thread of it matches XNNPACK's products on two). Batch shapes other than equal or
 * one-sided go to the stock kernel.
 */
function simdProduct(stock: KernelFunc): KernelFunc {
  return ((args: Args) => {
    const { inputs: { a, b }, backend } = args;
    const batchA = batchOf(a), batchB = batchOf(b);
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return stock(args as never);
    const c = new Composer(backend);
    const [m, k] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    const batchShape = (batchA >= batchB ? a : b).shape.slice(0, -2);
    const out = c.empty([...batchShape, m, n]);
    const scratch = c.empty([gemmScratchFloats(n, k)]);
    const gemm = gemmOn(heapMemory(backend));
    const [aAt, bAt, outAt, scratchAt] = [a, b, out, scratch].map((t) => c.view(t).byteOffset);
    for (let i = 0; i < Math.max(batchA, batchB); i++) {
      gemm.multiply(m, n, k, {
        a: aAt + (batchA === 1 ? 0 : i * m * k * 4), b: bAt + (batchB === 1 ? 0 : i * k * n * 4), c: outAt + i * m * n * 4, scratch: scratchAt,
      });
    }
    c.free(scratch);
    return out;
  }) as unknown as KernelFunc;
}

function untransposed(stock: KernelFunc, batchMatMul: boolean): KernelFunc {
  // Fused matmuls keep the stock kernel: their bias and activation apply to its result.
  const product = batchMatMul ? simdProduct(stock) : stock;
  return ((args: Args) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = attrs as { transposeA?: boolean; transposeB?: boolean };
    if (inputs.a.dtype !== "float32" || inputs.b.dtype !== "float32") return stock(args as never);
    if (!transposeA && !transposeB) return product(args as never);
    const c = new Composer(backend);
    if (batchMatMul && transposeB && !transposeA && packsMore(inputs.a, inputs.b)) {
      // a . b^T = (b . a^T)^T: b as stored becomes the left operand, which is not packed.
      const aT = swapLast(c, inputs.a);
      const outT = product({ inputs: { a: inputs.b, b: aT }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } } as never) as TensorInfo;
      c.free(aT);
      return c.then(outT, (t) => swapLast(c, t));
    }
    const a = transposeA ? swapLast(c, inputs.a) : inputs.a;
    const b = transposeB ? swapLast(c, inputs.b) : inputs.b;
    const out = product({ inputs: { ...inputs, a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } } as never) as TensorInfo;
    if (transposeA) c.free(a);
    if (transposeB) c.free(b);
    return out;
  }) as unknown as KernelFunc;
}

let stockConfigs: KernelConfig[] | undefined;

/** Built lazily around the stock kernels, captured once so registering twice never wraps a wrapper. */
export function matMulKernels(): KernelConfig[] {
  stockConfigs ??= [BatchMatMul, _FusedMatMul].map((name) => {
    const config = getKernel(name, "wasm");
    if (config === undefined) throw new Error(`xfer wasm kernels: the wasm backend has no ${name} kernel to wrap`);
    return config;
  });
  return stockConfigs.map((config) => ({ ...config, kernelFunc: untransposed(config.kernelFunc, config.kernelName === BatchMatMul) }));
}
