/**
 * Convolution gradient kernels for the wasm backend:
 *  - `Conv2DBackpropFilter` is one SIMD GEMM per kernel row (`rowGemmFilterGrad`), or per-tap
 *    matmuls for deep layers at small spatial size (gemm-conv.ts);
 *  - depthwise gradients with multiplier 1 and channels a multiple of 4 are direct SIMD loops
 *    (depthwise-grads.ts); other depthwise filter gradients are one XNNPACK depthwise convolution
 *    of the (transposed) input with the (transposed) output gradient as the kernel, stride =
 *    forward dilation and dilation = forward stride, and other depthwise input gradients one
 *    depthwise correlation per stride phase;
 *  - input gradients are one stride-1 convolution of dy per stride phase with only the filter taps
 *    that reach that phase (the registered `Conv2D`: Winograd or xfer's GEMM, same-padding.ts),
 *    interleaved afterwards (no zero-dilated dy, no stride^2 waste), or per-tap matmuls for deep
 *    layers (`inputGradPerTap`).
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Composer, explicitPad } from "./compose.ts";
import { directDepthwiseApplies, directDepthwiseFilterGrad, directDepthwiseInputGrad } from "./depthwise-grads.ts";
import { gemmFilterGrad, gemmInputGrad, rowGemmFilterGrad, weightsDominate } from "./gemm-conv.ts";
import { winogradApplies, winogradFilterGrad, winogradTakesInputGrad } from "./winograd.ts";
import { filterGradPadAfter, inputGradPhases, type Phase, type PhasePlan } from "./geometry.ts";

type Conv2DInfo = backend_util.Conv2DInfo;

function requireNHWC(kernel: string, info: Conv2DInfo): void {
  if (info.dataFormat !== "channelsLast") {
    throw new Error(`xfer wasm ${kernel}: dataFormat '${info.dataFormat}' is not supported; use NHWC (channelsLast)`);
  }
}

/**
 * A new [taps.h, taps.w, ...rest] tensor holding blocks src[tapsH[u], tapsW[v]] of a
 * [kh, kw, ...rest] tensor: the flipped, phase-subsampled filter.
 */
function gatherTaps(c: Composer, src: TensorInfo, tapsH: readonly number[], tapsW: readonly number[]): TensorInfo {
  const [, kw, ...rest] = src.shape;
  const block = rest.reduce((a, b) => a * b, 1);
  const out = c.empty([tapsH.length, tapsW.length, ...rest]);
  const from = c.view(src);
  const to = c.view(out);
  let o = 0;
  for (const i of tapsH) {
    for (const j of tapsW) {
      const start = (i * kw + j) * block;
      to.set(from.subarray(start, start + block), o);
      o += block;
    }
  }
  return out;
}

/** dy cropped where a phase's padding is negative; returns the tensor and non-negative pads. */
function cropForPhase(
  c: Composer,
  dy: TensorInfo,
  ph: Phase,
  pw: Phase,
): { input: TensorInfo; pad: [number, number][]; owned: boolean } | undefined {
  const [n, oh, ow, ch] = dy.shape;
  const top = Math.max(0, -ph.padBefore);
  const bottom = Math.max(0, -ph.padAfter);
  const left = Math.max(0, -pw.padBefore);
  const right = Math.max(0, -pw.padAfter);
  const pad = explicitPad(Math.max(0, ph.padBefore), Math.max(0, ph.padAfter), Math.max(0, pw.padBefore), Math.max(0, pw.padAfter));
  if (top + bottom >= oh || left + right >= ow) return undefined;
  if (top + bottom + left + right === 0) return { input: dy, pad, owned: false };
  const input = c.slice(dy, [0, top, left, 0], [n, oh - top - bottom, ow - left - right, ch]);
  return { input, pad, owned: true };
}

/**
 * Shared driver of the input gradients: one correlation per (row phase, column phase), then the
 * phases interleaved into [N, Qh*sh, Qw*sw, C] by two concatenations and reshapes, then cropped.
 */
function phasedInputGrad(
  c: Composer,
  dy: TensorInfo,
  inShape: [number, number, number, number],
  rows: PhasePlan,
  cols: PhasePlan,
  phaseConv: (dy: TensorInfo, ph: Phase, pw: Phase, pad: [number, number][]) => TensorInfo,
): TensorInfo {
  const [n, h, w, ch] = inShape;
  const qh = rows.rowsPerPhase;
  const qw = cols.rowsPerPhase;
  const rowBlocks: TensorInfo[] = [];
  for (const ph of rows.phases) {
    const parts: TensorInfo[] = [];
    for (const pw of cols.phases) {
      const cropped = ph && pw ? cropForPhase(c, dy, ph, pw) : undefined;
      if (ph === undefined || pw === undefined || cropped === undefined) {
        parts.push(c.zeros([n, qh, qw, ch]));
        continue;
      }
      parts.push(phaseConv(cropped.input, ph, pw, cropped.pad));
      if (cropped.owned) c.free(cropped.input);
    }
    if (parts.length === 1) {
      rowBlocks.push(parts[0]);
      continue;
    }
    const joined = c.concat(parts, 3);
    c.free(...parts);
    rowBlocks.push(c.then(joined, (t) => c.reshape(t, [n, qh, qw * cols.stride, ch])));
  }
  let full: TensorInfo;
  if (rowBlocks.length === 1) {
    full = rowBlocks[0];
  } else {
    const joined = c.concat(rowBlocks, 2);
    c.free(...rowBlocks);
    full = c.then(joined, (t) => c.reshape(t, [n, qh * rows.stride, qw * cols.stride, ch]));
  }
  if (rows.offset === 0 && cols.offset === 0 && full.shape[1] === h && full.shape[2] === w) return full;
  return c.then(full, (t) => c.slice(t, [0, rows.offset, cols.offset, 0], [n, h, w, ch]));
}

/**
 * Whether the input gradient goes per tap (gemm-conv.ts) rather than by stride phases: where the
 * weights dominate, except that a phase convolution by Winograd wins up to K = 16M (ResNet-18
 * 64px, batch 32: 4x4x256, K = 4.5M, 15 -> 9.5 ms; 2x2x512, K = 36M, stays per tap at 8-11 ms).
 */
function inputGradPerTap(info: Conv2DInfo): boolean {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const M = info.batchSize * info.outHeight * info.outWidth;
  return weightsDominate(info) && !(winogradTakesInputGrad(info) && K < 16 * M);
}

function conv2DBackpropInput({ inputs, backend, attrs }: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Conv2DBackpropInputAttrs }): TensorInfo {
  const c = new Composer(backend);
  const { dy, filter } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  requireNHWC(Conv2DBackpropInput, info);
  if (inputGradPerTap(info)) return gemmInputGrad(c, dy, filter, info);
  const rows = inputGradPhases(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, 1, info.padInfo.top);
  const cols = inputGradPhases(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, 1, info.padInfo.left);
  // [kh, kw, in, out] -> [kh, kw, out, in]: the phase correlations map dy's channels to x's.
  const swapped = c.transpose(filter, [0, 1, 3, 2]);
  const out = phasedInputGrad(c, dy, info.inShape, rows, cols, (x, ph, pw, padding) => {
    const f = gatherTaps(c, swapped, ph.taps, pw.taps);
    const y = c.run("Conv2D", { x, filter: f }, {
      strides: [1, 1], pad: padding, dilations: [ph.dilation, pw.dilation], dataFormat: "NHWC",
    } as unknown as NamedAttrMap);
    c.free(f);
    return y;
  });
  c.free(swapped);
  return out;
}

function depthwiseBackpropInput({ inputs, backend, attrs }: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: DepthwiseConv2dNativeBackpropInputAttrs }): TensorInfo {
  const c = new Composer(backend);
  const { dy, filter } = inputs;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, dilations, pad, dimRoundingMode, true,
  );
  const [, , channels, multiplier] = filter.shape;
  if (directDepthwiseApplies(info, multiplier)) return directDepthwiseInputGrad(c, dy, filter, info);
  const rows = inputGradPhases(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.dilationHeight, info.padInfo.top);
  const cols = inputGradPhases(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.dilationWidth, info.padInfo.left);
  return phasedInputGrad(c, dy, info.inShape, rows, cols, (x, ph, pw, padding) => {
    const taps = gatherTaps(c, filter, ph.taps, pw.taps);
    // With a channel multiplier m, dx[c] = sum_k (dy[c*m + k] conv f[c, k]): a depthwise
    // correlation over all C*m channels, then a sum over k.
    const f = multiplier === 1 ? taps : c.then(taps, (t) => c.reshape(t, [ph.taps.length, pw.taps.length, channels * multiplier, 1]));
    const y = c.run("DepthwiseConv2dNative", { x, filter: f }, {
      strides: [1, 1], pad: padding, dilations: [ph.dilation, pw.dilation],
    } as unknown as NamedAttrMap);
    c.free(f);
    if (multiplier === 1) return y;
    const [n, qh, qw] = y.shape;
    const split = c.then(y, (t) => c.reshape(t, [n, qh, qw, channels, multiplier]));
    return c.then(split, (t) => c.sum(t, [4]));
  });
}

/** x with trailing rows/columns the forward pass never reads cropped, and the pads that remain. */
function cropInputForFilterGrad(c: Composer, x: TensorInfo, info: Conv2DInfo) {
  const bottom = filterGradPadAfter(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.dilationHeight, info.padInfo.top);
  const right = filterGradPadAfter(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.dilationWidth, info.padInfo.left);
  const pad = explicitPad(info.padInfo.top, Math.max(0, bottom), info.padInfo.left, Math.max(0, right));
  if (bottom >= 0 && right >= 0) return { input: x, pad, owned: false };
  const [n, h, w, ch] = x.shape;
  const input = c.slice(x, [0, 0, 0, 0], [n, h + Math.min(0, bottom), w + Math.min(0, right), ch]);
  return { input, pad, owned: true };
}

function conv2DBackpropFilter({ inputs, backend, attrs }: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const c = new Composer(backend);
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  requireNHWC(Conv2DBackpropFilter, info);
  // (Conv2DBackpropFilter is always undilated: tfjs computes no gradient of a dilated conv2d.)
  // Measured alone (ms, per-kernel-row GEMM -> Winograd): tiny CNN 14x14x32 11.8 -> 10.3; ResNet-18
  // 16x16x64 14.4 -> 10.8, 8x8x128 13.4 -> 7.5, 4x4x256 12.6 -> 6.2 (per tap 13.5).
  if (winogradApplies(info)) return winogradFilterGrad(c, x, dy, info);
  return weightsDominate(info) ? gemmFilterGrad(c, x, dy, info) : rowGemmFilterGrad(c, x, dy, info);
}

function depthwiseBackpropFilter({ inputs, backend, attrs }: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: DepthwiseConv2dNativeBackpropFilterAttrs }): TensorInfo {
  const c = new Composer(backend);
  const { x, dy } = inputs;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, dilations, pad, dimRoundingMode, true,
  );
  const [kh, kw, channels, multiplier] = filterShape;
  if (directDepthwiseApplies(info, multiplier)) return directDepthwiseFilterGrad(c, x, dy, info);
  const cropped = cropInputForFilterGrad(c, x, info);
  const [n, h, w] = cropped.input.shape;
  // Each (sample, channel) pair becomes its own depthwise channel; dy supplies m kernels per pair.
  const xt = c.then(c.transpose(cropped.input, [1, 2, 0, 3]), (t) => c.reshape(t, [1, h, w, n * channels]));
  if (cropped.owned) c.free(cropped.input);
  const dyt = c.then(c.transpose(dy, [1, 2, 0, 3]), (t) => c.reshape(t, [info.outHeight, info.outWidth, n * channels, multiplier]));
  const grad = c.run("DepthwiseConv2dNative", { x: xt, filter: dyt }, {
    strides: [info.dilationHeight, info.dilationWidth], pad: cropped.pad,
    dilations: [info.strideHeight, info.strideWidth],
  } as unknown as NamedAttrMap);
  c.free(xt, dyt);
  const perSample = c.then(grad, (t) => c.reshape(t, [kh, kw, n, channels * multiplier]));
  const summed = c.then(perSample, (t) => c.sum(t, [2]));
  return c.then(summed, (t) => c.reshape(t, [kh, kw, channels, multiplier]));
}

export const convGradKernels: KernelConfig[] = [
  { kernelName: Conv2DBackpropInput, backendName: "wasm", kernelFunc: conv2DBackpropInput as unknown as KernelFunc },
  { kernelName: Conv2DBackpropFilter, backendName: "wasm", kernelFunc: conv2DBackpropFilter as unknown as KernelFunc },
  { kernelName: DepthwiseConv2dNativeBackpropInput, backendName: "wasm", kernelFunc: depthwiseBackpropInput as unknown as KernelFunc },
  { kernelName: DepthwiseConv2dNativeBackpropFilter, backendName: "wasm", kernelFunc: depthwiseBackpropFilter as unknown as KernelFunc },
];
