/**
 * `BatchMatMul` and `_FusedMatMul` with a transposed operand. The stock wasm kernels hand
 * XNNPACK only the non-transposed case and run a transposed operand through a slow generic loop
 * (a dense layer's backward pass, [64, 3136] x [3136, 128]: ~34 ms against ~3 ms). Here a
 * transposed operand is first copied into a contiguous transposed buffer (the stock `Transpose`,
 * well under a millisecond) and the non-transposed kernel does the product.
 */
import { _FusedMatMul, BatchMatMul, getKernel, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Composer } from "./compose.ts";

type Args = { inputs: { a: TensorInfo; b: TensorInfo } & Record<string, TensorInfo>; backend: BackendWasm; attrs: NamedAttrMap };

/** The last two axes swapped. */
function swapLast(c: Composer, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return c.transpose(x, perm);
}

function untransposed(stock: KernelFunc): KernelFunc {
  return ((args: Args) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = attrs as { transposeA?: boolean; transposeB?: boolean };
    if ((!transposeA && !transposeB) || inputs.a.dtype !== "float32" || inputs.b.dtype !== "float32") return stock(args as never);
    const c = new Composer(backend);
    const a = transposeA ? swapLast(c, inputs.a) : inputs.a;
    const b = transposeB ? swapLast(c, inputs.b) : inputs.b;
    const out = stock({ inputs: { ...inputs, a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } } as never) as TensorInfo;
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
  return stockConfigs.map((config) => ({ ...config, kernelFunc: untransposed(config.kernelFunc) }));
}
