// Properties of the statistics (fast-check, fixed seed; a failure prints seed and path to replay).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rocAuc, weightedRocAuc } from "../../core/metrics/index.ts";
import { SeedTree } from "../../core/rng.ts";
import {
  bootstrapCI, clopperPearson, pearson, rankAverage, resampledStatistic, spearman, weightedMean,
} from "../../core/stats/index.ts";

const SEED = 5_2024;
const opts = { seed: SEED, numRuns: 100 };

const pairedSample = fc
  .array(fc.tuple(fc.integer({ min: -20, max: 20 }), fc.double({ min: -1e3, max: 1e3, noNaN: true })), { minLength: 3, maxLength: 40 })
  .filter((rows) => new Set(rows.map(([a]) => a)).size > 1 && new Set(rows.map(([, b]) => b)).size > 1);

describe("correlation properties", () => {
  it("Spearman's rho is Pearson's r of the average ranks", () => {
    fc.assert(fc.property(pairedSample, (rows) => {
      const x = rows.map(([a]) => a);
      const y = rows.map(([, b]) => b);
      expect(spearman(x, y).rho).toBeCloseTo(pearson(rankAverage(x), rankAverage(y)).r, 12);
    }), opts);
  });
});

describe("clopperPearson properties", () => {
  const counts = fc.integer({ min: 1, max: 500 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n)));
  it("covers the point estimate", () => {
    fc.assert(fc.property(counts, ([x, n]) => {
      const { lower, upper } = clopperPearson(x, n);
      expect(lower).toBeLessThanOrEqual(x / n);
      expect(upper).toBeGreaterThanOrEqual(x / n);
    }), opts);
  });
  it("narrows as n grows at the same proportion", () => {
    fc.assert(fc.property(counts, fc.integer({ min: 2, max: 10 }), ([x, n], m) => {
      const a = clopperPearson(x, n);
      const b = clopperPearson(x * m, n * m);
      expect(b.upper - b.lower).toBeLessThan(a.upper - a.lower);
    }), opts);
  });
});

describe("bootstrapCI", () => {
  const data = fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 20 })), { minLength: 30, maxLength: 60 })
    .filter((rows) => rows.filter(([y]) => y === 1).length >= 10 && rows.filter(([y]) => y === 0).length >= 10);

  it("is reproducible for a seed and changes with the seed", () => {
    fc.assert(fc.property(data, fc.integer({ min: 0, max: 1e6 }), (rows, seed) => {
      const stat = weightedMean(rows.map(([, v]) => v));
      const a = bootstrapCI(rows.length, stat, { resamples: 200, seed });
      const b = bootstrapCI(rows.length, stat, { resamples: 200, seed: new SeedTree(seed).stream("bootstrap") });
      const c = bootstrapCI(rows.length, stat, { resamples: 200, seed: seed + 1 });
      expect(b.samples).toEqual(a.samples);
      expect(c.samples).not.toEqual(a.samples);
      expect(a.lower).toBeLessThanOrEqual(a.upper);
    }), { ...opts, numRuns: 20 });
  });

  it("weighted AUC on a resample equals AUC of the materialised resample", () => {
    fc.assert(fc.property(data, fc.integer({ min: 0, max: 1e6 }), (rows, seed) => {
      const y = rows.map(([l]) => l);
      const s = rows.map(([, v]) => v);
      const weighted = weightedRocAuc(y, s);
      const direct = resampledStatistic((idx) => rocAuc(Array.from(idx, (i) => y[i]), Array.from(idx, (i) => s[i])));
      const rng = new SeedTree(seed).stream("check");
      const w = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) w[rng.int(rows.length)]++;
      if (y.some((l, i) => l === 1 && w[i] > 0) && y.some((l, i) => l === 0 && w[i] > 0)) {
        expect(weighted(w)).toBeCloseTo(direct(w), 12);
      }
      expect(weighted(new Float64Array(rows.length).fill(1))).toBe(rocAuc(y, s));
    }), { ...opts, numRuns: 50 });
  });
});
