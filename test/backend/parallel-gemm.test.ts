/**
 * xfer's GEMM split with a helper thread gives the bits of the same GEMM on one thread: products of
 * random shapes (partial panels, m % 6 rows, one panel split by rows) on a shared heap with a
 * helper and on one without, both also checked against a float64 product. A call that traps is
 * reported to the caller whichever thread ran it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { startHelperThread } from "../../plugins/backends/wasm/helper-thread.ts";
import { EDGE_SCRATCH_FLOATS, gemmVariant, packedFloats, SimdGemm, TILE_ROWS } from "../../plugins/backends/wasm/kernels/gemm-simd.ts";
import { helperOn, setHelper, Split } from "../../plugins/backends/wasm/kernels/parallel.ts";
import { maxRelativeError, uniform } from "./helpers.ts";

const RUNS = { seed: 20261205, numRuns: 30 };
const PAGES = 128;

function sharedHeap(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true });
}

const helped = sharedHeap();
setHelper(helped, startHelperThread(helped));
const alone = sharedHeap();
const variant = gemmVariant();
const gemms = [new SimdGemm(helped, variant), new SimdGemm(alone, variant)];

/** Byte offsets of the operands, 64 bytes apart and past a guard. */
function layout(m: number, n: number, k: number, lda: number) {
  const sizes = { a: m * lda, b: k * n, packed: packedFloats(n, k), c: m * n, scratch: EDGE_SCRATCH_FLOATS, table: Math.ceil(m / TILE_ROWS) * TILE_ROWS };
  let at = 256;
  const out = {} as Record<keyof typeof sizes, number>;
  for (const [name, floats] of Object.entries(sizes)) {
    out[name as keyof typeof sizes] = at;
    at += Math.ceil((floats * 4) / 64) * 64 + 64;
  }
  return out;
}

/** `count` deterministic floats in [-1, 1) (the kernels tests' generator). */
function values(count: number, seed: number): Float32Array {
  const t = uniform([count], seed);
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return out;
}

const shapes = fc.record({
  m: fc.integer({ min: 1, max: 200 }),
  n: fc.integer({ min: 1, max: 72 }),
  k: fc.integer({ min: 1, max: 96 }),
  pad: fc.integer({ min: 0, max: 3 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  rowsRoute: fc.boolean(),
});

describe("xfer's GEMM split with a helper thread", () => {
  it("computes every product bit for bit as one thread does, and correctly", () => {
    fc.assert(fc.property(shapes, ({ m, n, k, pad, seed, rowsRoute }) => {
      const lda = k + pad;
      const at = layout(m, n, k, lda);
      const results = gemms.map((gemm) => {
        const heap = new Float32Array(gemm.memory.buffer);
        heap.set(values(m * lda, seed), at.a / 4);
        heap.set(values(k * n, seed + 1), at.b / 4);
        heap.fill(Number.NaN, at.c / 4, at.c / 4 + m * n);
        gemm.pack(at.b, n, k, at.packed);
        if (rowsRoute) {
          // Rows of A in reverse order through the table; its spare entries repeat row 0.
          const table = new Int32Array(gemm.memory.buffer, at.table, Math.ceil(m / TILE_ROWS) * TILE_ROWS);
          table.fill(at.a);
          for (let r = 0; r < m; r++) table[r] = at.a + (m - 1 - r) * lda * 4;
          gemm.multiplyRows(m, n, k, at.table, at.packed, at.c, at.scratch);
        } else {
          gemm.multiplyPacked(m, n, k, at.a, at.packed, at.c, at.scratch, lda * 4);
        }
        return { heap, c: heap.slice(at.c / 4, at.c / 4 + m * n) };
      });
      expect(new Uint8Array(results[0].c.buffer)).toEqual(new Uint8Array(results[1].c.buffer));
      const { heap, c } = results[1];
      const reference = new Float32Array(m * n);
      for (let i = 0; i < m; i++) {
        const row = rowsRoute ? m - 1 - i : i;
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let p = 0; p < k; p++) sum += heap[at.a / 4 + row * lda + p] * heap[at.b / 4 + p * n + j];
          reference[i * n + j] = sum;
        }
      }
      expect(maxRelativeError(reference, c)).toBeLessThanOrEqual(1e-5);
    }), RUNS);
  });

  it("runs a lane on the helper while this thread is busy with another, with the same bits", () => {
    const [m, n, k] = [97, 44, 61];
    const at = layout(m, n, k, k);
    const [busyFrom, busyTo, busyBytes] = [4 << 20, 6 << 20, 1 << 20];
    const before = helperOn(helped)!.handovers;
    const results = gemms.map((gemm) => {
      const heap = new Float32Array(gemm.memory.buffer);
      heap.set(values(m * k, 3), at.a / 4);
      heap.set(values(k * n, 4), at.b / 4);
      gemm.pack(at.b, n, k, at.packed);
      // This thread claims lane 0 first: ~100 MB of copies, time enough for the helper to take lane 1.
      const split = new Split(gemm.memory);
      for (let i = 0; i < 100; i++) split.lanes[0].call(gemm.copy, busyFrom, busyBytes, busyTo, busyBytes, 1, busyBytes);
      gemm.queuePacked(split.lanes[1], m, n, k, at.a, at.packed, at.c, at.scratch);
      split.run();
      return heap.slice(at.c / 4, at.c / 4 + m * n);
    });
    expect(helperOn(helped)!.handovers).toBe(before + 1);
    expect(new Uint8Array(results[0].buffer)).toEqual(new Uint8Array(results[1].buffer));
  });

  it("reports a call that traps, on either thread, to the caller, and keeps working", () => {
    const gemm = gemms[0];
    const split = new Split(helped);
    split.lanes[0].call(gemm.copy, 0, 4, 64, 4, 1, 4);
    split.lanes[1].call(gemm.copy, PAGES * 65536, 4, 64, 4, 1, 4);
    // Whichever thread claimed the trapping lane, the trap reaches the caller.
    expect(() => split.run()).toThrow(/memory access out of bounds/);
    const next = new Split(helped);
    next.lanes[0].call(gemm.copy, 0, 4, 64, 4, 1, 4);
    next.lanes[1].call(gemm.copy, 0, 4, 128, 4, 1, 4);
    expect(() => next.run()).not.toThrow();
  });
});
