// Parity with SciPy / statsmodels on the vectors written by fixtures/generators/stats-parity.py.
import { describe, expect, it } from "vitest";
import {
  clopperPearson, frechetDistance, frechetDistanceFromStats, kendallTau, mcnemarExactFromCounts,
  moreyStandardErrors, nestedFTest, ols, pairedPermutationTest, pairedTTest, pearson, percentileSorted,
  rankAverage, spearman,
} from "../../core/stats/index.ts";
import { expectAllClose, expectClose, readParity, REL_P } from "./helpers.ts";

interface OlsExpected { coef: number[]; se: number[]; t: number[]; p: number[]; r2: number; adjR2: number; dfResid: number; ssr: number }
interface Fixture {
  correlations: { x: number[]; y: number[]; pearson: { r: number; p: number }; spearman?: { rho: number; p: number }; kendall: { tau: number; p: number } }[];
  ols: { name: string; y: number[]; X: number[][]; intercept: boolean; expected: OlsExpected }[];
  ftest: { y: number[]; X: number[][]; restrictedColumns: number; expected: { F: number; p: number; dfNum: number; dfDen: number } }[];
  clopperPearson: { x: number; n: number; alpha: number; lower: number; upper: number }[];
  mcnemar: { b: number; c: number; statistic: number; p: number }[];
  ttest: { x: number[]; y: number[]; t: number; p: number; df: number }[];
  permutation: { x: number[]; y: number[]; statistic: number; p: number }[];
  morey: { scores: number[][]; means: number[]; se: number[] }[];
  frechet: { a: number[][]; b: number[][]; mean1: number[]; cov1: number[]; mean2: number[]; cov2: number[]; fidSqrtm: number; fidEigh: number; scale: number }[];
  percentile: { values: number[]; q: number[]; expected: number[] }[];
  rank: { x: number[]; ranks: number[] }[];
}
const fx = readParity<Fixture>("stats.json");

describe("correlations match scipy.stats", () => {
  fx.correlations.forEach((c, i) => {
    it(`case ${i} (n=${c.x.length})`, () => {
      const p = pearson(c.x, c.y);
      expectClose(p.r, c.pearson.r);
      expectClose(p.p, c.pearson.p, REL_P);
      if (c.spearman) {
        const s = spearman(c.x, c.y);
        expectClose(s.rho, c.spearman.rho);
        expectClose(s.p, c.spearman.p, REL_P);
      }
      const k = kendallTau(c.x, c.y);
      expectClose(k.tau, c.kendall.tau);
      expectClose(k.p, c.kendall.p, REL_P);
    });
  });
});

describe("ols matches statsmodels OLS", () => {
  for (const c of fx.ols) {
    it(c.name, () => {
      const r = ols(c.y, c.X, { intercept: c.intercept });
      const e = c.expected;
      // Coefficient-level quantities are compared with an absolute floor at the data's scale:
      // a zero true coefficient has no relative precision.
      expectAllClose(r.coef, e.coef, 1e-9, 1e-12);
      expectAllClose(r.se, e.se, 1e-9, 1e-12);
      expectAllClose(r.t, e.t, 1e-9, 1e-10);
      expectAllClose(r.p, e.p, REL_P, 1e-12);
      expectClose(r.r2, e.r2);
      expectClose(r.adjR2, e.adjR2);
      expect(r.dfResid).toBe(e.dfResid);
      expectClose(r.ssr, e.ssr);
    });
  }
});

describe("nestedFTest matches statsmodels compare_f_test", () => {
  fx.ftest.forEach((c, i) => {
    it(`case ${i}`, () => {
      const full = ols(c.y, c.X);
      const restricted = ols(c.y, c.X.map((row) => row.slice(0, c.restrictedColumns)));
      const r = nestedFTest(restricted, full);
      expectClose(r.F, c.expected.F);
      expect(r.dfNum).toBe(c.expected.dfNum);
      expect(r.dfDen).toBe(c.expected.dfDen);
      expectClose(r.p, c.expected.p, REL_P);
    });
  });
});

describe("exact tests and intervals", () => {
  it("clopperPearson matches proportion_confint(method='beta')", () => {
    for (const c of fx.clopperPearson) {
      const r = clopperPearson(c.x, c.n, c.alpha);
      expectClose(r.lower, c.lower, REL_P);
      expectClose(r.upper, c.upper, REL_P);
    }
  });
  it("mcnemarExact matches statsmodels mcnemar(exact=True)", () => {
    for (const c of fx.mcnemar) {
      const r = mcnemarExactFromCounts(c.b, c.c);
      expect(r.statistic).toBe(c.statistic);
      expectClose(r.p, c.p, REL_P);
    }
  });
  it("pairedTTest matches scipy ttest_rel", () => {
    for (const c of fx.ttest) {
      const r = pairedTTest(c.x, c.y);
      expectClose(r.t, c.t);
      expect(r.df).toBe(c.df);
      expectClose(r.p, c.p, REL_P);
    }
  });
  it("exact pairedPermutationTest matches scipy permutation_test(permutation_type='samples')", () => {
    for (const c of fx.permutation) {
      const r = pairedPermutationTest(c.x, c.y, { resamples: 9999 });
      expect(r.exact).toBe(true);
      expectClose(r.statistic, c.statistic);
      expectClose(r.p, c.p);
    }
  });
  it("moreyStandardErrors matches the Cousineau-Morey formula", () => {
    for (const c of fx.morey) {
      const r = moreyStandardErrors(c.scores);
      expectAllClose(r.means, c.means);
      expectAllClose(r.se, c.se);
    }
  });
});

describe("frechetDistance", () => {
  fx.frechet.forEach((c, i) => {
    it(`case ${i}: matches the symmetric (eigh) and pytorch-fid sqrtm forms`, () => {
      const fromFeatures = frechetDistance(c.a, c.b);
      const d = c.mean1.length;
      const fromStats = frechetDistanceFromStats(
        { mean: Float64Array.from(c.mean1), cov: Float64Array.from(c.cov1), dim: d },
        { mean: Float64Array.from(c.mean2), cov: Float64Array.from(c.cov2), dim: d },
      );
      // FID is a difference of traces: its error scales with the traces, not with the result.
      // With fewer samples than dimensions a covariance is singular, and the square roots of its
      // rounding-level eigenvalues (~eps * scale) contribute up to ~sqrt(eps) * scale each.
      const singular = c.a.length <= d || c.b.length <= d;
      for (const v of [fromFeatures, fromStats]) {
        expect(Math.abs(v - c.fidEigh)).toBeLessThanOrEqual((singular ? 1e-6 : 1e-9) * c.scale);
        expect(Math.abs(v - c.fidSqrtm)).toBeLessThanOrEqual((singular ? 1e-6 : 1e-7) * c.scale);
      }
    });
  });
});

describe("helpers", () => {
  it("percentileSorted matches numpy.percentile (linear)", () => {
    for (const c of fx.percentile) {
      const sorted = Float64Array.from(c.values).sort();
      expectAllClose(c.q.map((q) => percentileSorted(sorted, q)), c.expected);
    }
  });
  it("rankAverage matches scipy.stats.rankdata", () => {
    for (const c of fx.rank) expectAllClose(rankAverage(c.x), c.ranks);
  });
});
