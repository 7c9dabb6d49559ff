/**
 * Batch-norm training on the wasm backend as two kernels (names and gradient wiring in
 * core/ops/batch-norm.ts): the forward pass reads x three times (mean, centred variance, normalise) and
 * the backward pass reads dy and x twice (two per-channel sums, then dx as one per-channel affine
 * combination of dy and x), where tfjs's composed moments, batchNorm and their gradients run some
 * twenty whole-tensor kernels (~190 ms of a ResNet-18 64px training step). Channels are the last
 * axis; per-channel sums are float64, in pixel order, so results are deterministic.
 */
import { type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo, util } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  countDown, F32, f32Add, f32Load, f32Mul, f32Store, f32Sub, f32x4Add, f32x4Mul, f32x4Sub, f64Add, f64Load, f64PromoteF32, f64Store, f64x2Add,
  f64x2PromoteLow, get, I32, i32Add, i32And, i32Const, i32Mul, instancePerMemory, set, simd, upTo, V128, v128Load, v128Store, whileBelow,
} from "../../../../core/wasm/assembler.ts";
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from "../../../../core/ops/batch-norm.ts";
import { Composer, heapMemory } from "./compose.ts";

/** Lanes 2 and 3 of a f32x4 moved to lanes 0 and 1. */
const highHalf = (v: number) => [...get(v), ...get(v), ...simd(13, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15)];

/** Address local + c (the channel byte offset, local `c`). */
const at = (base: number, c: number) => [...get(base), ...get(c), ...i32Add];
/** Same for a float64 array: base + 2c. */
const at64 = (base: number, c: number) => [...get(base), ...get(c), ...get(c), ...i32Add, ...i32Add];

/**
 * The pixel loop both functions share: rows of C floats (`cBytes`), advancing `rows` locals by a
 * row each pixel; `vector` handles four channels at byte offset `c`, `scalar` one, for the last
 * C % 4.
 */
function pixelLoop(pixels: number, cBytes: number, c4Bytes: number, c: number, rows: number[], vector: number[], scalar: number[]): number[] {
  return countDown(pixels, [
    ...upTo(c, c4Bytes, 16, vector),
    ...whileBelow(c, cBytes, 4, scalar),
    ...rows.flatMap((row) => [...get(row), ...get(cBytes), ...i32Add, ...set(row)]),
  ]);
}

/** Byte counts of all channels and of the channels a vector loop covers, into locals. */
const channelBytes = (channels: number, cBytes: number, c4Bytes: number) => [
  ...get(channels), ...i32Const(4), ...i32Mul, ...set(cBytes),
  ...get(channels), ...i32Const(-4), ...i32And, ...i32Const(4), ...i32Mul, ...set(c4Bytes),
];

/**
 * centered(a, ca, x, cx, pixels, channels, sums, dots): per channel, sums += (a - ca) and
 * dots += (a - ca) * (x - cx) over the pixels (sums and dots float64, a and x [pixels, channels],
 * ca and cx [channels]). Locals: 8 channel byte offset, 9 bytes per pixel, 10 of them in vectors,
 * 11-12 the centred values.
 */
function centeredCode(): number[] {
  const [A, CA, X, CX, PIXELS, CHANNELS, SUMS, DOTS] = [0, 1, 2, 3, 4, 5, 6, 7];
  const C = 8, CB = 9, C4B = 10, DA = 11, DX = 12, FA = 13, FX = 14;
  const accumulate = (sums: number, value: number[]) => [
    ...at64(sums, C), ...at64(sums, C), ...v128Load(), ...value, ...f64x2PromoteLow, ...f64x2Add, ...v128Store(),
  ];
  const accumulateHigh = (sums: number, value: number[]) => [
    ...at64(sums, C), ...i32Const(16), ...i32Add, ...at64(sums, C), ...i32Const(16), ...i32Add, ...v128Load(),
    ...value, ...f64x2PromoteLow, ...f64x2Add, ...v128Store(),
  ];
  const vector = [
    ...at(A, C), ...v128Load(), ...at(CA, C), ...v128Load(), ...f32x4Sub, ...set(DA),
    ...at(X, C), ...v128Load(), ...at(CX, C), ...v128Load(), ...f32x4Sub, ...set(DX),
    ...accumulate(SUMS, get(DA)), ...accumulateHigh(SUMS, highHalf(DA)),
    ...get(DA), ...get(DX), ...f32x4Mul, ...set(DA),
    ...accumulate(DOTS, get(DA)), ...accumulateHigh(DOTS, highHalf(DA)),
  ];
  const scalar = [
    ...at(A, C), ...f32Load(), ...at(CA, C), ...f32Load(), ...f32Sub, ...set(FA),
    ...at(X, C), ...f32Load(), ...at(CX, C), ...f32Load(), ...f32Sub, ...set(FX),
    ...at64(SUMS, C), ...at64(SUMS, C), ...f64Load(), ...get(FA), ...f64PromoteF32, ...f64Add, ...f64Store(),
    ...at64(DOTS, C), ...at64(DOTS, C), ...f64Load(), ...get(FA), ...get(FX), ...f32Mul, ...f64PromoteF32, ...f64Add, ...f64Store(),
  ];
  return [...channelBytes(CHANNELS, CB, C4B), ...pixelLoop(PIXELS, CB, C4B, C, [A, X], vector, scalar)];
}

/**
 * affine(a, ca, ka, x, cx, kx, k0, pixels, channels, out): out = ka (a - ca) + kx (x - cx) + k0 per
 * channel (a, x and out [pixels, channels], the rest [channels]); centring first keeps a term that
 * should vanish (one pixel per channel) exactly zero. Locals: 10 channel byte offset, 11 bytes per
 * pixel, 12 of them in vectors.
 */
function affineCode(): number[] {
  const [A, CA, KA, X, CX, KX, K0, PIXELS, CHANNELS, OUT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const C = 10, CB = 11, C4B = 12;
  const term = (v: number, center: number, k: number, load: number[], sub: number[], mul: number[]) =>
    [...at(v, C), ...load, ...at(center, C), ...load, ...sub, ...at(k, C), ...load, ...mul];
  const vector = [
    ...at(OUT, C), ...term(A, CA, KA, v128Load(), f32x4Sub, f32x4Mul), ...term(X, CX, KX, v128Load(), f32x4Sub, f32x4Mul), ...f32x4Add,
    ...at(K0, C), ...v128Load(), ...f32x4Add, ...v128Store(),
  ];
  const scalar = [
    ...at(OUT, C), ...term(A, CA, KA, f32Load(), f32Sub, f32Mul), ...term(X, CX, KX, f32Load(), f32Sub, f32Mul), ...f32Add,
    ...at(K0, C), ...f32Load(), ...f32Add, ...f32Store(),
  ];
  return [...channelBytes(CHANNELS, CB, C4B), ...pixelLoop(PIXELS, CB, C4B, C, [A, X, OUT], vector, scalar)];
}

type Centered = (a: number, ca: number, x: number, cx: number, pixels: number, channels: number, sums: number, dots: number) => void;
type Affine = (a: number, ca: number, ka: number, x: number, cx: number, kx: number, k0: number, pixels: number, channels: number, out: number) => void;
interface ChannelKernels {
  readonly centered: Centered;
  readonly affine: Affine;
}

const channelKernels = instancePerMemory<ChannelKernels>(() => [
  { name: "centered", params: new Array(8).fill(I32), locals: [[3, I32], [2, V128], [2, F32]], code: centeredCode() },
  { name: "affine", params: new Array(10).fill(I32), locals: [[3, I32]], code: affineCode() },
]);

/**
 * Per-channel scratch on the heap: float64 sums and dots, and float32 vectors for the kernels'
 * per-channel operands. Views are made after every allocation, as heap growth detaches them.
 */
class ChannelScratch {
  readonly #f64: TensorInfo;
  readonly #f32: TensorInfo;

  constructor(readonly c: Composer, readonly channels: number, vectors: number) {
    this.#f64 = c.zeros([4 * channels]);
    this.#f32 = c.zeros([vectors * channels]);
  }

  /** Byte address of float32 vector `i`. */
  vector(i: number): number {
    return this.c.view(this.#f32).byteOffset + i * this.channels * 4;
  }

  /** Byte addresses of the float64 sums and dots. */
  get sums(): number {
    return this.c.view(this.#f64).byteOffset;
  }

  get dots(): number {
    return this.sums + this.channels * 8;
  }

  /** Float32 vector `i`, to write per-channel operands into. */
  floats(i: number): Float32Array {
    return this.c.view(this.#f32).subarray(i * this.channels, (i + 1) * this.channels);
  }

  /** The float64 sums and dots, read back. */
  results(): { sums: Float64Array; dots: Float64Array } {
    const bytes = new Float64Array(this.c.view(this.#f64).buffer, this.sums, 2 * this.channels);
    return { sums: bytes.slice(0, this.channels), dots: bytes.slice(this.channels) };
  }

  /** Sums and dots back to zero for the next pass. */
  clear(): void {
    new Float64Array(this.c.view(this.#f64).buffer, this.sums, 2 * this.channels).fill(0);
  }

  free(): void {
    this.c.free(this.#f64, this.#f32);
  }
}

type ForwardArgs = { inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }; backend: BackendWasm; attrs: NamedAttrMap };

/** [y, mean, variance] with the biased batch variance, as tf.moments gives and tf.batchNorm uses. */
function batchNormTraining({ inputs: { x, gamma, beta }, backend, attrs }: ForwardArgs): TensorInfo[] {
  const c = new Composer(backend);
  const epsilon = attrs.epsilon as number;
  const channels = x.shape[x.shape.length - 1];
  const pixels = util.sizeFromShape(x.shape) / channels;
  const [y, mean, variance] = [c.empty(x.shape), c.empty([channels]), c.empty([channels])];
  // Vectors: 0 zeros, 1 mean, 2 scale, 3 beta.
  const scratch = new ChannelScratch(c, channels, 4);
  const kernels = channelKernels(heapMemory(backend));
  const xAt = c.view(x).byteOffset;
  kernels.centered(xAt, scratch.vector(0), xAt, scratch.vector(0), pixels, channels, scratch.sums, scratch.dots);
  const meanValues = Float32Array.from(scratch.results().sums, (s) => s / pixels);
  scratch.floats(1).set(meanValues);
  scratch.clear();
  kernels.centered(xAt, scratch.vector(1), xAt, scratch.vector(1), pixels, channels, scratch.sums, scratch.dots);
  const varianceValues = Float32Array.from(scratch.results().dots, (d) => d / pixels);
  const g = c.view(gamma);
  scratch.floats(2).set(varianceValues.map((v, i) => g[i] / Math.sqrt(v + epsilon)));
  scratch.floats(3).set(c.view(beta));
  const zeros = scratch.vector(0);
  kernels.affine(xAt, scratch.vector(1), scratch.vector(2), xAt, zeros, zeros, scratch.vector(3), pixels, channels, c.view(y).byteOffset);
  c.view(mean).set(meanValues);
  c.view(variance).set(varianceValues);
  scratch.free();
  return [y, mean, variance];
}

type GradArgs = {
  inputs: { dy: TensorInfo; x: TensorInfo; gamma: TensorInfo; mean: TensorInfo; variance: TensorInfo; dMean: TensorInfo; dVariance: TensorInfo };
  backend: BackendWasm;
  attrs: NamedAttrMap;
};

/**
 * [dx, dgamma, dbeta], also carrying gradients that reach the mean and variance outputs. With
 * s = gamma / sqrt(var + eps), S = sum(dy) and D = sum(dy * (x - mean)) over P pixels:
 * dx = s (dy - S / P) + kx (x - mean) + dMean / P, kx = 2 dVariance / P - s D / (P (var + eps));
 * dgamma = D / sqrt(var + eps); dbeta = S.
 */
function batchNormTrainingGrad({ inputs, backend, attrs }: GradArgs): TensorInfo[] {
  const c = new Composer(backend);
  const epsilon = attrs.epsilon as number;
  const { dy, x } = inputs;
  const channels = x.shape[x.shape.length - 1];
  const pixels = util.sizeFromShape(x.shape) / channels;
  const [dx, dGamma, dBeta] = [c.empty(x.shape), c.empty([channels]), c.empty([channels])];
  // Vectors: 0 zeros, 1 mean, 2 s, 3 kx, 4 dMean / P, 5 mean of dy.
  const scratch = new ChannelScratch(c, channels, 6);
  const kernels = channelKernels(heapMemory(backend));
  const [gamma, mean, variance, dMean, dVariance] = [inputs.gamma, inputs.mean, inputs.variance, inputs.dMean, inputs.dVariance].map((t) => c.view(t).slice());
  scratch.floats(1).set(mean);
  kernels.centered(c.view(dy).byteOffset, scratch.vector(0), c.view(x).byteOffset, scratch.vector(1), pixels, channels, scratch.sums, scratch.dots);
  const { sums, dots } = scratch.results();
  const [s, kx, k0, dyMean] = [2, 3, 4, 5].map((i) => scratch.floats(i));
  const gammaGrad = c.view(dGamma), betaGrad = c.view(dBeta);
  for (let i = 0; i < channels; i++) {
    const varianceEps = variance[i] + epsilon;
    s[i] = gamma[i] / Math.sqrt(varianceEps);
    kx[i] = (2 * dVariance[i]) / pixels - (s[i] * dots[i]) / (pixels * varianceEps);
    k0[i] = dMean[i] / pixels;
    dyMean[i] = sums[i] / pixels;
    gammaGrad[i] = dots[i] / Math.sqrt(varianceEps);
    betaGrad[i] = sums[i];
  }
  kernels.affine(
    c.view(dy).byteOffset, scratch.vector(5), scratch.vector(2), c.view(x).byteOffset, scratch.vector(1), scratch.vector(3), scratch.vector(4),
    pixels, channels, c.view(dx).byteOffset,
  );
  scratch.free();
  return [dx, dGamma, dBeta];
}

export const batchNormKernels: KernelConfig[] = [
  { kernelName: BATCH_NORM_TRAINING, backendName: "wasm", kernelFunc: batchNormTraining as unknown as KernelFunc },
  { kernelName: BATCH_NORM_TRAINING_GRAD, backendName: "wasm", kernelFunc: batchNormTrainingGrad as unknown as KernelFunc },
];
