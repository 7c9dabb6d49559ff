/**
 * Faster paths for kernels that dominate batch-norm training on wasm after the convolutions:
 *  - `Sum`/`Mean` over the leading axes of a float tensor (batch-norm statistics and gradients,
 *    bias gradients): the stock kernels first transpose the whole tensor so the reduced axes come
 *    last; here the tensor is read once as [rows, columns] and summed per column (float64
 *    accumulators, fixed order, so results are deterministic).
 *  - `Tile` of float32/int32 tensors (the batch-norm gradient tiles the 1/sqrt(var) vector to the
 *    activation shape): the stock kernel computes an index per element; here rows of the last axis
 *    are copied as blocks, and a tensor whose leading axes are all 1 by doubling copies.
 *  - `Slice` of float32/int32 tensors (the gradient of a padding, e.g. before a max pool): the
 *    stock kernel indexes every element in JS (32 ms for [32, 34, 34, 64] -> [32, 32, 32, 64]);
 *    here each run of whole trailing axes is one block copy.
 * Everything else is passed to the stock wasm kernel, whose setup function is kept.
 */
import {
  getKernel, Mean, Slice, slice_util, Sum, Tile, util,
  type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo,
} from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Composer } from "./compose.ts";

type Args = { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: NamedAttrMap };

function stock(name: string): KernelConfig {
  const config = getKernel(name, "wasm");
  if (config === undefined) throw new Error(`xfer wasm kernels: the wasm backend has no ${name} kernel to extend`);
  return config;
}

/** How many leading axes `axis` names, if it names exactly the leading ones (0..r-1); else 0. */
function leadingAxes(axis: number | number[], rank: number): number {
  const axes = [...new Set(util.parseAxisParam(axis, new Array(rank).fill(1)))].sort((a, b) => a - b);
  return axes.every((a, i) => a === i) && axes.length < rank ? axes.length : 0;
}

function columnReduction(kind: "sum" | "mean", fallback: KernelFunc): KernelFunc {
  return ((args: Args) => {
    const { inputs: { x }, backend, attrs } = args;
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const lead = x.dtype === "float32" ? leadingAxes(axis, x.shape.length) : 0;
    if (lead === 0) return fallback(args as never);
    const c = new Composer(backend);
    const rows = util.sizeFromShape(x.shape.slice(0, lead));
    const cols = util.sizeFromShape(x.shape.slice(lead));
    const kept = x.shape.slice(lead);
    const outShape = keepDims ? [...new Array(lead).fill(1), ...kept] : kept;
    const out = c.empty(outShape);
    const acc = new Float64Array(cols);
    const src = c.view(x);
    let r = 0;
    let base = 0;
    // Four rows per pass: a quarter of the accumulator traffic (~3x faster in V8); the float64
    // partial sums of float32 values are exact or nearly so, and the order is fixed.
    for (; r + 4 <= rows; r += 4, base += 4 * cols) {
      const b1 = base + cols;
      const b2 = b1 + cols;
      const b3 = b2 + cols;
      for (let j = 0; j < cols; j++) acc[j] += (src[base + j] + src[b1 + j]) + (src[b2 + j] + src[b3 + j]);
    }
    for (; r < rows; r++, base += cols) {
      for (let j = 0; j < cols; j++) acc[j] += src[base + j];
    }
    const dst = c.view(out);
    const scale = kind === "mean" ? 1 / rows : 1;
    for (let j = 0; j < cols; j++) dst[j] = acc[j] * scale;
    return out;
  }) as unknown as KernelFunc;
}

function tile(fallback: KernelFunc): KernelFunc {
  return ((args: Args) => {
    const { inputs: { x }, backend, attrs } = args;
    if (x.dtype !== "float32" && x.dtype !== "int32") return fallback(args as never);
    const reps = (attrs as unknown as { reps: number[] }).reps;
    const c = new Composer(backend);
    const inShape = x.shape.length === 0 ? [1] : x.shape;
    const outShape = inShape.map((d, i) => d * reps[i]);
    const out = c.empty(outShape, x.dtype);
    const rank = inShape.length;
    const width = inShape[rank - 1];
    const rowReps = reps[rank - 1];
    const inStrides = util.computeStrides(inShape);
    const outRows = util.sizeFromShape(outShape.slice(0, rank - 1));
    const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    if (inShape.slice(0, -1).every((d) => d === 1)) {
      // Every output row is the same (the batch-norm case, [1,1,1,C] -> [N,H,W,C]): write one and
      // double the filled prefix, ~20 block copies instead of one per row.
      for (let k = 0; k < rowReps; k++) dst.set(src.subarray(0, width), k * width);
      for (let filled = width * rowReps; filled < dst.length; filled *= 2) dst.copyWithin(filled, 0, Math.min(filled, dst.length - filled));
      return out;
    }
    const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
    for (let row = 0, o = 0; row < outRows; row++) {
      // Input row of this output row: each leading coordinate modulo the input's extent.
      let start = 0;
      for (let a = 0; a < rank - 1; a++) start += (index[a] % inShape[a]) * inStrides[a];
      const block = src.subarray(start, start + width);
      for (let k = 0; k < rowReps; k++, o += width) dst.set(block, o);
      for (let a = rank - 2; a >= 0; a--) {
        if (++index[a] < outShape[a]) break;
        index[a] = 0;
      }
    }
    return out;
  }) as unknown as KernelFunc;
}

function slice(fallback: KernelFunc): KernelFunc {
  return ((args: Args) => {
    const { inputs: { x }, backend, attrs } = args;
    if (x.dtype !== "float32" && x.dtype !== "int32") return fallback(args as never);
    const { begin: beginAttr, size: sizeAttr } = attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [begin, size] = slice_util.parseSliceParams(x as never, beginAttr, sizeAttr);
    const c = new Composer(backend);
    const out = c.empty(size, x.dtype);
    const rank = x.shape.length;
    // The innermost axis not taken whole: everything inside it is one contiguous run per index.
    let axis = rank - 1;
    while (axis > 0 && begin[axis] === 0 && size[axis] === x.shape[axis]) axis--;
    const inner = util.sizeFromShape(x.shape.slice(axis + 1));
    const run = (size[axis] ?? 1) * inner;
    const strides = util.computeStrides(x.shape);
    const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const dst = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    const index = new Array<number>(Math.max(axis, 0)).fill(0);
    const runs = util.sizeFromShape(size.slice(0, axis));
    for (let r = 0, o = 0; r < runs; r++, o += run) {
      let start = (begin[axis] ?? 0) * inner;
      for (let a = 0; a < axis; a++) start += (begin[a] + index[a]) * strides[a];
      dst.set(src.subarray(start, start + run), o);
      for (let a = axis - 1; a >= 0; a--) {
        if (++index[a] < size[a]) break;
        index[a] = 0;
      }
    }
    return out;
  }) as unknown as KernelFunc;
}

let stockConfigs: { sum: KernelConfig; mean: KernelConfig; tiled: KernelConfig; sliced: KernelConfig } | undefined;

/**
 * Built lazily: they wrap the stock kernels, captured once (before the first replacement) so that
 * registering twice never wraps a wrapper.
 */
export function reductionKernels(): KernelConfig[] {
  stockConfigs ??= { sum: stock(Sum), mean: stock(Mean), tiled: stock(Tile), sliced: stock(Slice) };
  const { sum, mean, tiled, sliced } = stockConfigs;
  return [
    { ...sum, kernelFunc: columnReduction("sum", sum.kernelFunc) },
    { ...mean, kernelFunc: columnReduction("mean", mean.kernelFunc) },
    { ...tiled, kernelFunc: tile(tiled.kernelFunc) },
    { ...sliced, kernelFunc: slice(sliced.kernelFunc) },
  ];
}
