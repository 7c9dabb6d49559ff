/**
 * The fused forward convolution on wasm (xfer's routes plus the bias/activation epilogue,
 * plugins/backends/wasm/kernels/fused-conv.ts) and eval-time batch-norm folding
 * (core/ops/fold-batch-norm.ts) against the pure-JS `cpu` backend's unfused ops on random shapes
 * (fast-check, fixed seed). Tolerance as the other kernels': max error <= 1e-5 of the largest
 * reference magnitude over the whole result.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { foldBatchNorm } from "../../core/ops/fold-batch-norm.ts";
import { winogradF4Pays } from "../../plugins/backends/wasm/kernels/winograd.ts";
import { initBackends, maxRelativeError, uniform, valuesOn } from "./helpers.ts";

const TOLERANCE = 1e-5;
/**
 * Where eval takes F(4x4, 3x3) (3x3 stride 1, outputs of at least 4x4): its transforms' constants
 * (4, 5, 1/6, 1/24) cost accuracy that grows with the channels summed, 1e-5 at 256 of them here.
 */
const F4_TOLERANCE = 5e-5;
const RUNS = { seed: 20261205, numRuns: 40 };
const ACTIVATIONS = ["linear", "relu", "relu6"] as const;

beforeAll(initBackends);

interface Case {
  n: number; h: number; w: number; cin: number; cout: number; k: number; stride: number;
  pad: "same" | "valid" | number; bias: boolean; activation: (typeof ACTIVATIONS)[number]; seed: number;
}

/**
 * Geometries for both routes: 3x3 stride 1 with Cin % 4 = 0 and Cout % 8 = 0 (Winograd), anything
 * else undilated (the stacked GEMM); Cout not a multiple of 4 takes the epilogue's scalar loop.
 */
const cases: fc.Arbitrary<Case> = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
    cin: fc.constantFrom(1, 3, 4, 8), cout: fc.constantFrom(1, 3, 8, 16), k: fc.constantFrom(1, 3, 5), stride: fc.constantFrom(1, 2),
    pad: fc.constantFrom<Case["pad"]>("same", "valid", 1), bias: fc.boolean(), activation: fc.constantFrom(...ACTIVATIONS),
    seed: fc.integer({ min: 1, max: 1e6 }),
  })
  .filter((c) => c.pad === "same" || (c.h + 2 * (c.pad === 1 ? 1 : 0) >= c.k && c.w + 2 * (c.pad === 1 ? 1 : 0) >= c.k));

type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
const explicit = (pad: Case["pad"]): "same" | "valid" | ExplicitPadding => (typeof pad === "number" ? [[0, 0], [pad, pad], [pad, pad], [0, 0]] : pad);
const x = (c: Case) => uniform([c.n, c.h, c.w, c.cin], c.seed) as tf.Tensor4D;
const filter = (c: Case) => tf.mul(uniform([c.k, c.k, c.cin, c.cout], c.seed + 1), 2) as tf.Tensor4D;
const bias = (c: Case) => uniform([c.cout], c.seed + 2) as tf.Tensor1D;

function unfused(c: Case, y: tf.Tensor): tf.Tensor {
  return c.activation === "relu" ? tf.relu(y) : c.activation === "relu6" ? tf.relu6(y) : y;
}

/** Convolution, bias add and activation as three ops. */
function separate(c: Case): tf.Tensor {
  const y = tf.conv2d(x(c), filter(c), c.stride, explicit(c.pad));
  return unfused(c, c.bias ? tf.add(y, bias(c)) : y);
}

/** Whether FusedConv2D takes F(4x4, 3x3) for this case (winograd.ts `winogradF4Pays`). */
function takesF4(c: Case): boolean {
  return winogradF4Pays(tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.cin], [c.k, c.k, c.cin, c.cout], c.stride, 1, explicit(c.pad)));
}

function fused(c: Case): tf.Tensor {
  return tf.fused.conv2d({ x: x(c), filter: filter(c), strides: c.stride, pad: explicit(c.pad), bias: c.bias ? bias(c) : undefined, activation: c.activation });
}

describe("FusedConv2D on wasm", () => {
  it("matches cpu's convolution, bias add and activation", async () => {
    await fc.assert(fc.asyncProperty(cases, async (c) => {
      const expected = await valuesOn("cpu", () => separate(c));
      const actual = await valuesOn("wasm", () => fused(c));
      expect(actual.shape).toEqual(expected.shape);
      expect(maxRelativeError(expected.values, actual.values)).toBeLessThanOrEqual(takesF4(c) ? F4_TOLERANCE : TOLERANCE);
    }), RUNS);
  });

  it("matches cpu within F4_TOLERANCE where it takes F(4x4, 3x3), at ResNet's channel counts and odd sizes", async () => {
    for (const c of [
      { n: 2, h: 16, w: 16, cin: 64, cout: 64 }, { n: 1, h: 8, w: 8, cin: 128, cout: 128 }, { n: 2, h: 4, w: 4, cin: 256, cout: 256 },
      { n: 1, h: 9, w: 6, cin: 16, cout: 24 }, { n: 3, h: 5, w: 13, cin: 8, cout: 8 },
      // linear and relu keep the largest output, which the tolerance is relative to (relu6 clips it to 6).
    ].map((s, i): Case => ({ ...s, k: 3, stride: 1, pad: "same", bias: true, activation: i % 2 === 0 ? "linear" : "relu", seed: 100 + i }))) {
      expect(takesF4(c)).toBe(true);
      const expected = await valuesOn("cpu", () => separate(c));
      const actual = await valuesOn("wasm", () => fused(c));
      expect(actual.shape).toEqual(expected.shape);
      expect(maxRelativeError(expected.values, actual.values)).toBeLessThanOrEqual(F4_TOLERANCE);
    }
  });

  it("gives wasm's own convolution, Add and activation, equal to the last bit (up to the sign of zero), where it takes the same route", async () => {
    await fc.assert(fc.asyncProperty(cases.filter((c) => !takesF4(c)), async (c) => {
      const expected = await valuesOn("wasm", () => separate(c));
      const actual = await valuesOn("wasm", () => fused(c));
      expect(Array.from(actual.values).every((v, i) => v === expected.values[i])).toBe(true);
    }), { ...RUNS, numRuns: 20 });
  });

  it("keeps the stock kernel's results for activations the epilogue does not apply", async () => {
    const c: Case = { n: 2, h: 6, w: 5, cin: 4, cout: 8, k: 3, stride: 1, pad: "same", bias: true, activation: "linear", seed: 11 };
    const leaky = () => tf.fused.conv2d({ x: x(c), filter: filter(c), strides: 1, pad: "same", bias: bias(c), activation: "leakyrelu", leakyreluAlpha: 0.1 });
    const expected = await valuesOn("cpu", leaky);
    const actual = await valuesOn("wasm", leaky);
    expect(maxRelativeError(expected.values, actual.values)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe("batch norm folded into the convolution", () => {
  it("is within the tolerance of cpu's convolution, batch norm (running statistics) and activation", async () => {
    const withNorm = cases.chain((c) => fc.record({ depthwise: fc.boolean(), eps: fc.constantFrom(1e-5, 1e-3) }).map((o) => ({ ...c, ...o })));
    await fc.assert(fc.asyncProperty(withNorm, async (c) => {
      const channels = c.depthwise ? c.cin : c.cout;
      const w = () => (c.depthwise ? tf.mul(uniform([c.k, c.k, c.cin, 1], c.seed + 1), 2) as tf.Tensor4D : filter(c));
      const stats = () => ({
        gamma: uniform([channels], c.seed + 3), beta: uniform([channels], c.seed + 4), mean: uniform([channels], c.seed + 5),
        // variances in [0.05, 2.05): a small one makes the folded scale large
        variance: tf.add(uniform([channels], c.seed + 6), 1.05), epsilon: c.eps,
      });
      const reference = () => {
        const s = stats();
        const conv = c.depthwise ? tf.depthwiseConv2d(x(c), w(), c.stride, c.pad) : tf.conv2d(x(c), w(), c.stride, explicit(c.pad));
        const y = tf.batchNorm(c.bias ? tf.add(conv, bias({ ...c, cout: channels })) : conv, s.mean, s.variance, s.beta, s.gamma, s.epsilon);
        return unfused(c, y);
      };
      const folded = () => {
        const f = foldBatchNorm(w(), c.bias ? bias({ ...c, cout: channels }) : null, stats(), c.depthwise);
        const args = { x: x(c), filter: f.filter, strides: c.stride, bias: f.bias, activation: c.activation } as const;
        return c.depthwise ? tf.fused.depthwiseConv2d({ ...args, pad: c.pad }) : tf.fused.conv2d({ ...args, pad: explicit(c.pad) });
      };
      const expected = await valuesOn("cpu", reference);
      const actual = await valuesOn("wasm", folded);
      expect(actual.shape).toEqual(expected.shape);
      expect(maxRelativeError(expected.values, actual.values)).toBeLessThanOrEqual(TOLERANCE);
    }), RUNS);
  });
});
