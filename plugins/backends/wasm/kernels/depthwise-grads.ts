/**
 * Depthwise convolution gradients (channel multiplier 1, channels a multiple of 4) as direct SIMD
 * loops over NHWC rows, four channels a vector. The compositions of XNNPACK's depthwise
 * convolution they replace (conv-grads.ts keeps them for other shapes) transposed x and dy
 * whole and ran the filter gradient as a depthwise convolution with a kernel as large as the
 * output (EfficientNet-B0 at 224 px, batch 8: 2.3 s of a ~10 s step), and ran the input gradient
 * as one convolution per stride phase with concatenations and a crop.
 *
 * Both walk (sample, output row, tap row, tap column) in JS and hand wasm one row segment: the
 * output columns `ow` for which tap (i, j) reads inside the input, so no padding is materialised.
 * Summation order depends on the shapes alone (never on threads): the filter gradient sums each
 * row segment in registers and adds it to the accumulator in (sample, output row) order; the input
 * gradient adds each dx element's terms in (output row, tap row, tap column) order.
 */
import { backend_util, type TensorInfo } from "@tensorflow/tfjs";
import {
  countDown, f32x4Add, f32x4Const, f32x4Mul, get, I32, i32Add, i32And, i32Const, instancePerMemory, set, V128, v128Load, v128Store, whileBelow,
} from "../../../../core/wasm/assembler.ts";
import { Composer, heapMemory } from "./compose.ts";

type Conv2DInfo = backend_util.Conv2DInfo;

/** Channel blocks of 16 floats (four vectors in flight, so the adds' latency hides), then of 4. */
const WIDE = 4;

/** Parameter and local indices of both row functions (see rowFunction). */
const COUNT = 3, BYTES = 6, AT = 7, LIMIT = 8, P = 9, Q = 10, K = 11, V = 12;

/**
 * The two row functions' common frame. Parameters: 0-2 addresses, 3 count, 4-5 byte steps, 6
 * channel bytes. Locals: 7 channel offset AT, 8 wide limit, 9 and 10 walking pointers P and Q, 11
 * counter, 12.. vectors. For each channel block of `lanes` vectors at offset AT: `before`, then
 * `count` times `inner` with P walking from param `p` + AT by param `pStep` and Q from `q` + AT by
 * `qStep`, then `after`.
 */
function rowFunction(
  walk: { p: number; pStep: number; q: number; qStep: number },
  step: { before: (lanes: number[]) => number[]; inner: (lanes: number[]) => number[]; after: (lanes: number[]) => number[] },
): number[] {
  const body = (count: number) => {
    const lanes = Array.from({ length: count }, (_, l) => l);
    return [
      ...step.before(lanes),
      ...get(walk.p), ...get(AT), ...i32Add, ...set(P),
      ...get(walk.q), ...get(AT), ...i32Add, ...set(Q),
      ...get(COUNT), ...set(K),
      ...countDown(K, [
        ...step.inner(lanes),
        ...get(P), ...get(walk.pStep), ...i32Add, ...set(P),
        ...get(Q), ...get(walk.qStep), ...i32Add, ...set(Q),
      ]),
      ...step.after(lanes),
    ];
  };
  return [
    ...i32Const(0), ...set(AT),
    ...get(BYTES), ...i32Const(-16 * WIDE), ...i32And, ...set(LIMIT),
    ...whileBelow(AT, LIMIT, 16 * WIDE, body(WIDE)),
    ...whileBelow(AT, BYTES, 16, body(1)),
  ];
}

/**
 * filterRow(x, dy, acc, count, xStep, dyStep, channelBytes): for every channel c,
 * acc[c] += sum over k < count of x[k*xStep + c] * dy[k*dyStep + c] (addresses in bytes; the sum
 * in registers first, then added to acc).
 */
function filterRowCode(): number[] {
  const [X, DY, ACC, X_STEP, DY_STEP] = [0, 1, 2, 4, 5];
  return rowFunction({ p: X, pStep: X_STEP, q: DY, qStep: DY_STEP }, {
    before: (lanes) => lanes.flatMap((l) => [...f32x4Const(0), ...set(V + l)]),
    inner: (lanes) => lanes.flatMap((l) => [...get(V + l), ...get(P), ...v128Load(16 * l), ...get(Q), ...v128Load(16 * l), ...f32x4Mul, ...f32x4Add, ...set(V + l)]),
    after: (lanes) => [
      ...get(ACC), ...get(AT), ...i32Add, ...set(P),
      ...lanes.flatMap((l) => [...get(P), ...get(P), ...v128Load(16 * l), ...get(V + l), ...f32x4Add, ...v128Store(16 * l)]),
    ],
  });
}

/**
 * inputRow(dy, f, dx, count, dxStep, dyStep, channelBytes): for every channel c and k < count,
 * dx[k*dxStep + c] += dy[k*dyStep + c] * f[c].
 */
function inputRowCode(): number[] {
  const [DY, F, DX, DX_STEP, DY_STEP] = [0, 1, 2, 4, 5];
  return rowFunction({ p: DX, pStep: DX_STEP, q: DY, qStep: DY_STEP }, {
    before: (lanes) => [...get(F), ...get(AT), ...i32Add, ...set(P), ...lanes.flatMap((l) => [...get(P), ...v128Load(16 * l), ...set(V + l)])],
    inner: (lanes) => lanes.flatMap((l) => [...get(P), ...get(P), ...v128Load(16 * l), ...get(Q), ...v128Load(16 * l), ...get(V + l), ...f32x4Mul, ...f32x4Add, ...v128Store(16 * l)]),
    after: () => [],
  });
}

type RowFn = (a: number, b: number, c: number, count: number, step1: number, step2: number, channelBytes: number) => void;

const rowKernels = instancePerMemory<{ filterRow: RowFn; inputRow: RowFn }>(() => [
  { name: "filterRow", params: [I32, I32, I32, I32, I32, I32, I32], locals: [[5, I32], [WIDE, V128]], code: filterRowCode() },
  { name: "inputRow", params: [I32, I32, I32, I32, I32, I32, I32], locals: [[5, I32], [WIDE, V128]], code: inputRowCode() },
]);

/** Whether the direct kernels take this depthwise convolution (else conv-grads.ts composes XNNPACK's). */
export function directDepthwiseApplies(info: Conv2DInfo, multiplier: number): boolean {
  return multiplier === 1 && info.inChannels % 4 === 0 && info.dataFormat === "channelsLast";
}

/** The output positions [lo, hi) along one axis whose tap at offset `tap` (= index * dilation) lands in [0, size). */
function validRange(size: number, outSize: number, stride: number, pad: number, tap: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - tap) / stride));
  const hi = Math.min(outSize, Math.floor((size - 1 + pad - tap) / stride) + 1);
  return [lo, hi];
}

/**
 * Visits every row segment: each (sample, output row, tap) whose input row lies inside x, with the
 * byte offsets of its first input (x or dx) and dy pixels and of its tap (in dW or the filter), and
 * its count of output columns (those whose tap column lands inside the input): the loop both
 * kernels share.
 */
function forEachSegment(info: Conv2DInfo, visit: (inputAt: number, dyAt: number, tapAt: number, count: number) => void): void {
  const { batchSize, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = info;
  const bytes = info.inChannels * 4;
  const cols = Array.from({ length: KW }, (_, j) => validRange(W, OW, info.strideWidth, info.padInfo.left, j * info.dilationWidth));
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let i = 0; i < KH; i++) {
        const h = oh * info.strideHeight - info.padInfo.top + i * info.dilationHeight;
        if (h < 0 || h >= H) continue;
        for (let j = 0; j < KW; j++) {
          const [ow0, ow1] = cols[j];
          if (ow1 <= ow0) continue;
          const column = ow0 * info.strideWidth - info.padInfo.left + j * info.dilationWidth;
          visit(((n * H + h) * W + column) * bytes, ((n * OH + oh) * OW + ow0) * bytes, (i * KW + j) * bytes, ow1 - ow0);
        }
      }
    }
  }
}

/** dW [kh, kw, C, 1] of a depthwise convolution with multiplier 1. */
export function directDepthwiseFilterGrad(c: Composer, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const out = c.zeros([info.filterHeight, info.filterWidth, info.inChannels, 1]);
  const { filterRow } = rowKernels(heapMemory(c.backend));
  const [xAt, dyAt, accAt] = [x, dy, out].map((t) => c.view(t).byteOffset);
  const bytes = info.inChannels * 4;
  forEachSegment(info, (inputAt, dyOffset, tapAt, count) => filterRow(xAt + inputAt, dyAt + dyOffset, accAt + tapAt, count, info.strideWidth * bytes, bytes, bytes));
  return out;
}

/** dx [N, H, W, C] of a depthwise convolution with multiplier 1. */
export function directDepthwiseInputGrad(c: Composer, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo {
  const out = c.zeros(info.inShape);
  const { inputRow } = rowKernels(heapMemory(c.backend));
  const [dyAt, fAt, dxAt] = [dy, filter, out].map((t) => c.view(t).byteOffset);
  const bytes = info.inChannels * 4;
  forEachSegment(info, (inputAt, dyOffset, tapAt, count) => inputRow(dyAt + dyOffset, fAt + tapAt, dxAt + inputAt, count, info.strideWidth * bytes, bytes, bytes));
  return out;
}
