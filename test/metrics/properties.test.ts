// Properties of the metric functions (fast-check, fixed seed: a failure prints the seed and path
// to replay with { seed, path }).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyThresholds, fitThresholds, macroF1, qwk, rocAuc } from "../../core/metrics/index.ts";

const SEED = 5_2023;
const opts = { seed: SEED, numRuns: 150 };

/** Paired class labels over 2..6 classes with at least two distinct values overall. */
const labelPairs = fc
  .integer({ min: 2, max: 6 })
  .chain((k) => fc.array(fc.tuple(fc.integer({ min: 0, max: k - 1 }), fc.integer({ min: 0, max: k - 1 })), { minLength: 2, maxLength: 40 }))
  .filter((pairs) => new Set(pairs.flat()).size > 1);

/** Binary labels (both classes present) with integer scores, so transforms are exact. */
const binaryScored = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: -50, max: 50 })), { minLength: 2, maxLength: 60 })
  .filter((rows) => rows.some(([y]) => y === 1) && rows.some(([y]) => y === 0));

describe("qwk properties", () => {
  it("is 1 for perfect agreement", () => {
    fc.assert(fc.property(labelPairs, (pairs) => {
      const y = pairs.map(([a]) => a).concat(pairs.map(([, b]) => b));
      expect(qwk(y, y)).toBe(1);
    }), opts);
  });
  it("is symmetric in its two raters", () => {
    fc.assert(fc.property(labelPairs, (pairs) => {
      const a = pairs.map(([x]) => x);
      const b = pairs.map(([, x]) => x);
      expect(qwk(a, b)).toBeCloseTo(qwk(b, a), 12);
    }), opts);
  });
  it("is invariant to an order-preserving relabeling", () => {
    fc.assert(fc.property(labelPairs, fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 6, maxLength: 6 }), (pairs, gaps) => {
      // Strictly increasing map: class c -> sum of the first c+1 positive gaps.
      const map = (c: number) => gaps.slice(0, c + 1).reduce((s, g) => s + g, 0);
      const a = pairs.map(([x]) => x);
      const b = pairs.map(([, x]) => x);
      expect(qwk(a.map(map), b.map(map))).toBeCloseTo(qwk(a, b), 12);
    }), opts);
  });
});

describe("rocAuc properties", () => {
  it("is invariant under strictly increasing transforms of the scores", () => {
    fc.assert(fc.property(binaryScored, (rows) => {
      const y = rows.map(([l]) => l);
      const s = rows.map(([, v]) => v);
      const base = rocAuc(y, s);
      expect(rocAuc(y, s.map((v) => v ** 3 + 2 * v))).toBe(base);
      expect(rocAuc(y, s.map((v) => 3 * v - 7))).toBe(base);
    }), opts);
  });
  it("AUC(-s) = 1 - AUC(s) (reversed ranking)", () => {
    fc.assert(fc.property(binaryScored, (rows) => {
      const y = rows.map(([l]) => l);
      const s = rows.map(([, v]) => v);
      expect(rocAuc(y, s.map((v) => 1 - v))).toBeCloseTo(1 - rocAuc(y, s), 14);
    }), opts);
  });
});

/** Multi-hot labels and scores rounded to a grid (ties) for 1..5 classes. */
const multilabel = fc.integer({ min: 1, max: 5 }).chain((k) =>
  fc.array(
    fc.tuple(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: k, maxLength: k }), fc.array(fc.integer({ min: 0, max: 10 }).map((v) => v / 10), { minLength: k, maxLength: k })),
    { minLength: 1, maxLength: 30 },
  ));

describe("macroF1 and thresholds", () => {
  it("F1 lies in [0, 1]", () => {
    fc.assert(fc.property(multilabel, (rows) => {
      const y = rows.map(([t]) => t);
      const pred = applyThresholds(rows.map(([, s]) => s), new Float64Array(rows[0][0].length).fill(0.5));
      const f = macroF1(y, pred);
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThanOrEqual(1);
    }), opts);
  });
  it("f1-max thresholds are at least as good as every candidate threshold, per class", () => {
    fc.assert(fc.property(multilabel, (rows) => {
      const y = rows.map(([t]) => t);
      const s = rows.map(([, v]) => v);
      const k = y[0].length;
      const th = fitThresholds(y, s, { kind: "f1-max" });
      const perClass = (c: number, t: number) => macroF1(y.map((r) => [r[c]]), s.map((r) => [r[c] >= t ? 1 : 0]));
      for (let c = 0; c < k; c++) {
        const best = perClass(c, th[c]);
        for (const cand of [Infinity, ...s.map((r) => r[c])]) expect(best).toBeGreaterThanOrEqual(perClass(c, cand));
      }
    }), opts);
  });
  it("proportion thresholds best match each class's positive rate", () => {
    fc.assert(fc.property(multilabel, (rows) => {
      const y = rows.map(([t]) => t);
      const s = rows.map(([, v]) => v);
      const n = y.length;
      const th = fitThresholds(y, s, { kind: "proportion" });
      th.forEach((t, c) => {
        const target = y.reduce((acc, r) => acc + r[c], 0) / n;
        const gap = (u: number) => Math.abs(s.filter((r) => r[c] >= u).length / n - target);
        for (const cand of [Infinity, ...s.map((r) => r[c])]) expect(gap(t)).toBeLessThanOrEqual(gap(cand));
      });
    }), opts);
  });
});
