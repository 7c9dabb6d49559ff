/**
 * FusedConv2D on wasm keeps each filter prepared for its route (Winograd's transformed filter, the
 * stacked GEMM's packed panels) between calls, per filter data (plugins/backends/wasm/kernels/
 * fused-conv.ts `PreparedFilters`): calls that reuse it give the bits of a filter prepared afresh
 * (a copy of its data; where the route is not eval's F(4x4, 3x3), those are also wasm's own
 * convolution's, fused-conv.test.ts), new data (an `assign`) is prepared anew, and disposing the filter frees its
 * prepared forms; on two threads (the epilogue split by pixels or inside Winograd's output
 * transform) the outputs have the bits of one.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import fc from "fast-check";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { preparedFiltersOf } from "../../plugins/backends/wasm/kernels/fused-conv.ts";
import { expectTwoThreadsAsOne, initBackends, uniform } from "./helpers.ts";

beforeAll(initBackends);
beforeEach(() => tf.setBackend("wasm"));

const wasm = () => tf.engine().backend as BackendWasm;
const backendBuffers = () => wasm().numDataIds();

interface Case { n: number; h: number; w: number; cin: number; cout: number; k: number; stride: number; relu: boolean; seed: number }

/** Both routes: 3x3 stride 1 with Cin % 4 = 0 and Cout % 8 = 0 (Winograd), the rest (stacked GEMM). */
const cases: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }),
  cin: fc.constantFrom(3, 4, 8), cout: fc.constantFrom(3, 8, 16), k: fc.constantFrom(1, 3), stride: fc.constantFrom(1, 2),
  relu: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
});

/** FusedConv2D (the cached route). */
function fused(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, c: Case): tf.Tensor {
  return tf.fused.conv2d({ x, filter, bias, strides: c.stride, pad: "same", activation: c.relu ? "relu" : "linear" });
}
/** FusedConv2D through a copy of the filter's data, prepared on this call and dropped with the copy. */
function fresh(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, c: Case): tf.Tensor {
  const copy = tf.tensor(filter.dataSync(), filter.shape) as tf.Tensor4D;
  const y = fused(x, copy, bias, c);
  copy.dispose();
  return y;
}

/** Equal to the last bit, up to the sign of a zero (relu's, as fused-conv.test.ts). */
function sameValues(actual: tf.Tensor, expected: tf.Tensor): boolean {
  const [a, e] = [actual.dataSync(), expected.dataSync()];
  return a.length === e.length && a.every((v, i) => v === e[i]);
}

describe("prepared filters of FusedConv2D on wasm", () => {
  it("give the bits of a filter prepared afresh on every call that reuses them", () => {
    fc.assert(fc.property(cases, (c) => {
      tf.tidy(() => {
        const x = uniform([c.n, c.h, c.w, c.cin], c.seed) as tf.Tensor4D;
        const filter = uniform([c.k, c.k, c.cin, c.cout], c.seed + 1) as tf.Tensor4D;
        const bias = uniform([c.cout], c.seed + 2) as tf.Tensor1D;
        const cached = preparedFiltersOf(wasm()).size;
        const expected = fresh(x, filter, bias, c);
        expect(preparedFiltersOf(wasm()).size).toBe(cached);
        expect(sameValues(fused(x, filter, bias, c), expected)).toBe(true);
        expect(preparedFiltersOf(wasm()).size).toBe(cached + 1);
        // Another input through the same prepared filter.
        const x2 = uniform([c.n, c.h, c.w, c.cin], c.seed + 3) as tf.Tensor4D;
        expect(sameValues(fused(x2, filter, bias, c), fresh(x2, filter, bias, c))).toBe(true);
        expect(preparedFiltersOf(wasm()).size).toBe(cached + 1);
      });
    }), { seed: 20261205, numRuns: 30 });
  });

  it("give the bits of a filter prepared afresh on outputs large enough to split the epilogue by pixels, on both routes", () => {
    for (const c of [
      { n: 2, h: 32, w: 32, cin: 8, cout: 128, k: 3, stride: 2, relu: true, seed: 3 },
      { n: 2, h: 17, w: 15, cin: 8, cout: 136, k: 3, stride: 1, relu: true, seed: 4 },
    ]) {
      tf.tidy(() => {
        const x = uniform([c.n, c.h, c.w, c.cin], c.seed) as tf.Tensor4D;
        const filter = uniform([c.k, c.k, c.cin, c.cout], c.seed + 1) as tf.Tensor4D;
        const bias = uniform([c.cout], c.seed + 2) as tf.Tensor1D;
        const prepared = fused(x, filter, bias, c);
        expect(prepared.size).toBeGreaterThanOrEqual(1 << 16);
        expect(sameValues(fused(x, filter, bias, c), prepared)).toBe(true);
        expect(sameValues(fresh(x, filter, bias, c), prepared)).toBe(true);
      });
    }
  });

  it("prepares a variable's new data after an assign and frees what it prepared with the data, on both routes", () => {
    for (const k of [3, 1]) {
      const c: Case = { n: 2, h: 6, w: 5, cin: 8, cout: 16, k, stride: 1, relu: true, seed: 7 };
      const buffers = backendBuffers();
      const cached = preparedFiltersOf(wasm()).size;
      const x = uniform([c.n, c.h, c.w, c.cin], c.seed) as tf.Tensor4D;
      const bias = uniform([c.cout], c.seed + 2) as tf.Tensor1D;
      const initial = uniform([c.k, c.k, c.cin, c.cout], c.seed + 1);
      const weights = tf.variable(initial) as tf.Variable<tf.Rank.R4>;
      initial.dispose();
      const before = fused(x, weights, bias, c);
      tf.tidy(() => weights.assign(uniform([c.k, c.k, c.cin, c.cout], c.seed + 5) as tf.Tensor4D));
      // The old data was disposed by the assign, and its prepared filter with it.
      expect(preparedFiltersOf(wasm()).size).toBe(cached);
      const after = fused(x, weights, bias, c);
      expect(preparedFiltersOf(wasm()).size).toBe(cached + 1);
      const expected = tf.tidy(() => fresh(x, weights, bias, c));
      expect(sameValues(after, expected)).toBe(true);
      expect(sameValues(after, before)).toBe(false);
      tf.dispose([x, bias, weights, before, after, expected]);
      expect(preparedFiltersOf(wasm()).size).toBe(cached);
      expect(backendBuffers()).toBe(buffers);
    }
  });

  it("leave nothing on the heap once the filters are disposed, after many calls", () => {
    const buffers = backendBuffers();
    const engineBuffers = tf.memory().numDataBuffers;
    const filters = [3, 1, 5].map((k, i) => uniform([k, k, 4, 8], 30 + i) as tf.Tensor4D);
    const bias = uniform([8], 40) as tf.Tensor1D;
    const c = { n: 1, h: 5, w: 5, cin: 4, cout: 8, k: 0, stride: 1, relu: false, seed: 0 };
    for (let call = 0; call < 3; call++) {
      tf.tidy(() => filters.forEach((filter) => fused(uniform([1, 5, 5, 4], call) as tf.Tensor4D, filter, bias, c)));
    }
    // The prepared filters sit on the backend's heap only, one per filter.
    expect(backendBuffers() - buffers - (tf.memory().numDataBuffers - engineBuffers)).toBe(filters.length);
    tf.dispose([...filters, bias]);
    expect(backendBuffers()).toBe(buffers);
  });
});

describe("fused convolutions on two threads", () => {
  it("give the bits of one thread, the helper taking lanes", () => {
    // fused-run.ts in a process of its own per thread count (a backend initialises once per process).
    expectTwoThreadsAsOne("fused-run.ts", (threads) => [String(threads)]);
  });
});
