// Bad input to the statistics: errors that say what was wrong, never a silent NaN.
import { describe, expect, it } from "vitest";
import { InputError, StatisticsError, withStatisticsContext } from "../../core/errors.ts";
import { weightedRocAuc } from "../../core/metrics/index.ts";
import {
  bootstrapCI, clopperPearson, frechetDistance, frechetDistanceFromStats, kendallTau, logit, mcnemarExact, moreyStandardErrors, nestedFTest,
  ols, pairedPermutationTest, pairedTTest, pearson, spearman,
} from "../../core/stats/index.ts";

describe("statistics input errors", () => {
  it("logit is defined on (0, 1) only", () => {
    expect(logit(0.5)).toBe(0);
    expect(logit(0.75)).toBeCloseTo(Math.log(3), 15);
    for (const p of [0, 1, -0.1, 1.5, Number.NaN]) expect(() => logit(p)).toThrow(StatisticsError);
  });
  it("correlations reject mismatched, non-finite and constant input", () => {
    expect(() => pearson([1, 2, 3], [1, 2])).toThrow(/differ in length/);
    expect(() => spearman([1, 2, Number.NaN], [1, 2, 3])).toThrow(/finite/);
    expect(() => kendallTau([1, 1, 1], [1, 2, 3])).toThrow(/constant/);
    expect(() => spearman([1, 2], [2, 1])).toThrow(/at least 3/);
  });
  it("ols rejects ragged or too-small designs", () => {
    expect(() => ols([1, 2, 3], [[1], [2]])).toThrow(/rows/);
    expect(() => ols([1, 2, 3], [[1, 2], [2], [3, 1]])).toThrow(/columns/);
    expect(() => ols([1, 2], [[1], [2]])).toThrow(/residual degrees of freedom/);
  });
  it("nestedFTest rejects swapped models", () => {
    const y = [1, 3, 2, 5, 4, 6];
    const X = y.map((_, i) => [i, (i * 7) % 3]);
    const full = ols(y, X);
    const restricted = ols(y, X.map((r) => [r[0]]));
    expect(() => nestedFTest(full, restricted)).toThrow(/swapped/);
    expect(nestedFTest(restricted, full).dfNum).toBe(1);
  });
  it("intervals and tests validate counts", () => {
    expect(() => clopperPearson(5, 4)).toThrow(InputError);
    expect(() => clopperPearson(1.5, 4)).toThrow(InputError);
    expect(() => clopperPearson(1, 4, 0)).toThrow(/alpha/);
    expect(() => mcnemarExact([true], [true, false])).toThrow(/differ in length/);
    expect(() => pairedTTest([1, 2, 3], [0, 1, 2])).toThrow(/equal/);
    expect(() => pairedPermutationTest([1, 2, 3], [0, 1, 2], { resamples: 4 })).toThrow(/seed/);
    expect(() => moreyStandardErrors([[1, 2]])).toThrow(/2 subjects/);
  });
  it("bootstrapCI refuses a statistic undefined on a resample", () => {
    const auc = weightedRocAuc([0, 1], [0.1, 0.9]);
    expect(() => bootstrapCI(2, auc, { resamples: 50, seed: 1 })).toThrow(/resample/);
    expect(() => bootstrapCI(3, () => Number.NaN, { resamples: 5, seed: 1 })).toThrow(/data itself/);
  });
  it("frechetDistance checks shapes and values", () => {
    expect(() => frechetDistance([[1, 2], [3, 4]], [[1], [2]])).toThrow(/dimension/);
    expect(() => frechetDistance([[1, Number.NaN], [3, 4]], [[1, 2], [2, 1]])).toThrow(/row 0, column 1/);
    expect(() => frechetDistance({ data: new Float64Array(5), rows: 2, cols: 3 }, [[1, 2, 3], [2, 1, 0]])).toThrow(/rows x cols/);
    const g = { mean: new Float64Array(2), dim: 2 };
    expect(() => frechetDistanceFromStats({ ...g, cov: Float64Array.from([1, 0.5, 0.4, 1]) }, { ...g, cov: Float64Array.from([1, 0, 0, 1]) })).toThrow(/not symmetric/);
  });
});

describe("pairedPermutationTest, randomized mode", () => {
  it("agrees with the exact test within Monte Carlo error and is reproducible", () => {
    const x = [0.3, -1.2, 0.8, 1.9, 0.4, -0.2, 1.1, 0.9, 1.4, -0.5, 0.7, 0.2];
    const y = x.map((v, i) => v - 0.35 + 0.6 * Math.sin(i * 7));
    const exact = pairedPermutationTest(x, y, { resamples: 2 ** x.length });
    expect(exact.exact).toBe(true);
    const random = pairedPermutationTest(x, y, { resamples: 2000, seed: 3 });
    expect(random.exact).toBe(false);
    // Binomial SE of a p-value estimate from 2,000 draws is <= 0.0112; allow 4 SE.
    expect(Math.abs(random.p - exact.p)).toBeLessThan(0.045);
    expect(pairedPermutationTest(x, y, { resamples: 2000, seed: 3 }).p).toBe(random.p);
  });
});

describe("statistics errors in an analysis's context", () => {
  it("prefix the table and task once, and leave other errors alone", () => {
    const inner = () => withStatisticsContext("runs.csv, dataset HPA", () => pearson([1], [2]));
    expect(inner).toThrow("runs.csv, dataset HPA: pearson: x needs at least 2 value(s), got 1");
    // An enclosing context does not prefix an error that already names its table.
    expect(() => withStatisticsContext("runs.csv, target dataset APTOS", inner)).toThrow(/^runs\.csv, dataset HPA: pearson:/);
    const notStatistics = new InputError("runs.csv, line 3", "column \"HPA\" must be a number");
    expect(() => withStatisticsContext("runs.csv, dataset HPA", () => { throw notStatistics; })).toThrow(notStatistics);
    expect(() => pearson([1, 2, 3], [1, 2])).toThrow(StatisticsError);
  });
});
