/**
 * The epilogue of a fused convolution: y = act(y + bias) over an NHWC output in place, one SIMD
 * pass, four channels a vector. The sum is rounded once and the activation only selects, so the
 * result is what a separate `Add` and `Relu` / `Relu6` give on the same y, bit for bit but for the
 * sign of a zero (relu is `x < 0 ? 0 : x`, NaN passes through, as the cpu backend's kernels).
 */
import { type BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  countDown, f32x4Add, f32x4Const, get, I32, i32Add, instancePerMemory, set, simd, upTo, v128Load, v128Store,
} from "../../../../core/wasm/assembler.ts";
import { heapMemory } from "./compose.ts";
import { halves, Split } from "./parallel.ts";

/** The activations an epilogue applies; any other fused activation keeps the stock kernel. */
export type EpilogueActivation = "linear" | "relu" | "relu6";

export function isEpilogueActivation(name: unknown): name is EpilogueActivation {
  return name === "linear" || name === "relu" || name === "relu6";
}

// f32x4.pmax(a, b) = a < b ? b : a and f32x4.pmin(a, b) = b < a ? b : a: with the constant second,
// exactly relu's and relu6's comparisons.
const F32X4_PMIN = 0xea, F32X4_PMAX = 0xeb;
/** Code that applies the activation to the f32x4 on the stack (nothing for linear). */
export const CLAMP: Record<EpilogueActivation, number[]> = {
  linear: [],
  relu: [...f32x4Const(0), ...simd(F32X4_PMAX)],
  relu6: [...f32x4Const(0), ...simd(F32X4_PMAX), ...f32x4Const(6), ...simd(F32X4_PMIN)],
};

/**
 * name(y, pixels, cBytes, bias): each of `pixels` runs of cBytes bytes at y (cBytes a multiple of
 * 16) becomes act(run + bias), bias cBytes bytes. Locals: 4 offset.
 */
function epilogueCode(activation: EpilogueActivation): number[] {
  const [Y, PIXELS, CB, BIAS] = [0, 1, 2, 3];
  const C = 4;
  const at = (base: number) => [...get(base), ...get(C), ...i32Add];
  return countDown(PIXELS, [
    ...upTo(C, CB, 16, [
      ...at(Y), ...at(Y), ...v128Load(), ...at(BIAS), ...v128Load(), ...f32x4Add, ...CLAMP[activation], ...v128Store(),
    ]),
    ...get(Y), ...get(CB), ...i32Add, ...set(Y),
  ]);
}

type Epilogue = (y: number, pixels: number, cBytes: number, bias: number) => void;

const epilogueKernels = instancePerMemory<Record<EpilogueActivation, Epilogue>>(() =>
  (["linear", "relu", "relu6"] as const).map((activation) => ({ name: activation, params: [I32, I32, I32, I32], locals: [[1, I32]] as const, code: epilogueCode(activation) })),
);

const scalar: Record<EpilogueActivation, (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => (v < 0 ? 0 : v),
  relu6: (v) => (v < 0 ? 0 : 6 < v ? 6 : v),
};

/** Floats below which an epilogue stays in one lane: ~10 us of work, a handover's order. */
const MIN_SPLIT_FLOATS = 1 << 16;

/**
 * act(y + bias) in place on `y`, a float32 view of an NHWC tensor on the backend's heap with
 * `channels` innermost; `bias` a view of `channels` floats. SIMD when the channels fill whole
 * vectors, by halves of the pixels, one per lane (each element alone: the same bits on any
 * thread); else a scalar loop with the same arithmetic.
 */
export function applyEpilogue(backend: BackendWasm, y: Float32Array, channels: number, bias: Float32Array, activation: EpilogueActivation): void {
  const pixels = y.length / channels;
  if (channels % 4 === 0) {
    const memory = heapMemory(backend);
    const kernel = epilogueKernels(memory)[activation];
    const [first, rest] = y.length < MIN_SPLIT_FLOATS ? [pixels, 0] : halves(pixels);
    const split = new Split(memory);
    split.lanes[0].call(kernel, y.byteOffset, first, channels * 4, bias.byteOffset);
    if (rest > 0) split.lanes[1].call(kernel, y.byteOffset + first * channels * 4, rest, channels * 4, bias.byteOffset);
    split.run();
    return;
  }
  const act = scalar[activation];
  for (let p = 0, i = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++, i++) y[i] = act(Math.fround(y[i] + bias[c]));
  }
}
