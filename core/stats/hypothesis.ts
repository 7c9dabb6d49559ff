/** Intervals and paired tests with SciPy / statsmodels semantics. */
import { StatisticsError } from "../errors.ts";
import { Rng, SeedTree } from "../rng.ts";
import { betaQuantile, binomialCdf, tTwoSided } from "./special.ts";
import { checkFinite, checkPaired, mean, type NumericVector } from "./validate.ts";

/** A seed number (keys the stream `bootstrap`/`permutation` of a SeedTree) or a stream. */
export type SeedLike = number | Rng;

export function toRng(seed: SeedLike, name: string): Rng {
  return typeof seed === "number" ? new SeedTree(seed).stream(name) : seed;
}

/**
 * Exact (Clopper-Pearson) binomial interval, statsmodels `proportion_confint(method="beta")`:
 * [Beta(alpha/2; x, n-x+1), Beta(1-alpha/2; x+1, n-x)], with 0 and 1 at the edges.
 */
export function clopperPearson(successes: number, n: number, alpha = 0.05): { lower: number; upper: number } {
  const where = "clopperPearson";
  if (!Number.isInteger(n) || n < 1) throw new StatisticsError(where, `n must be a positive integer, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new StatisticsError(where, `successes must be an integer in [0, ${n}], got ${successes}`);
  }
  if (!(alpha > 0 && alpha < 1)) throw new StatisticsError(where, `alpha must lie in (0, 1), got ${alpha}`);
  const lower = successes === 0 ? 0 : betaQuantile(alpha / 2, successes, n - successes + 1);
  const upper = successes === n ? 1 : betaQuantile(1 - alpha / 2, successes + 1, n - successes);
  return { lower, upper };
}

/**
 * Exact McNemar test from the two discordant counts (statsmodels `mcnemar(exact=True)`):
 * p = min(1, 2 * P(Binomial(b + c, 1/2) <= min(b, c))).
 */
export function mcnemarExactFromCounts(b: number, c: number): { statistic: number; p: number } {
  for (const [name, v] of [["b", b], ["c", c]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new StatisticsError("mcnemarExact", `${name} must be a non-negative integer count, got ${v}`);
  }
  const statistic = Math.min(b, c);
  return { statistic, p: Math.min(1, 2 * binomialCdf(statistic, b + c, 0.5)) };
}

/**
 * Exact McNemar test of two classifiers scored on the same samples; `correctA[i]` says whether
 * model A got sample i right. b counts A-right/B-wrong, c the reverse.
 */
export function mcnemarExact(correctA: readonly boolean[], correctB: readonly boolean[]): { statistic: number; p: number; b: number; c: number } {
  if (correctA.length !== correctB.length) {
    throw new StatisticsError("mcnemarExact", `the two correctness vectors differ in length (${correctA.length} vs ${correctB.length})`);
  }
  let b = 0;
  let c = 0;
  for (let i = 0; i < correctA.length; i++) {
    if (correctA[i] && !correctB[i]) b++;
    else if (!correctA[i] && correctB[i]) c++;
  }
  return { ...mcnemarExactFromCounts(b, c), b, c };
}

/** Paired t test (scipy.stats.ttest_rel, two-sided) of mean(x - y) = 0. */
export function pairedTTest(x: NumericVector, y: NumericVector): { t: number; df: number; p: number; meanDiff: number } {
  checkPaired("pairedTTest", x, y, 2);
  const d = Array.from({ length: x.length }, (_, i) => x[i] - y[i]);
  const n = d.length;
  const m = mean(d);
  const v = d.reduce((acc, e) => acc + (e - m) ** 2, 0) / (n - 1);
  if (v === 0) throw new StatisticsError("pairedTTest", "all paired differences are equal; the t statistic is undefined");
  const t = m / Math.sqrt(v / n);
  return { t, df: n - 1, p: tTwoSided(t, n - 1), meanDiff: m };
}

/**
 * Paired permutation (sign-flip) test of mean(x - y), two-sided, following
 * scipy.stats.permutation_test(permutation_type="samples"): exact over all 2^n sign patterns when
 * 2^n <= resamples, otherwise `resamples` random flips with the +1 correction.
 */
export function pairedPermutationTest(
  x: NumericVector,
  y: NumericVector,
  opts: { resamples?: number; seed?: SeedLike } = {},
): { statistic: number; p: number; exact: boolean; resamples: number } {
  checkPaired("pairedPermutationTest", x, y, 1);
  const n = x.length;
  const d = Float64Array.from({ length: n }, (_, i) => x[i] - y[i]);
  const requested = opts.resamples ?? 9999;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new StatisticsError("pairedPermutationTest", `resamples must be a positive integer, got ${requested}`);
  }
  let observed = 0;
  for (const v of d) observed += v;
  observed /= n;
  const exact = n < 53 && 2 ** n <= requested;
  const resamples = exact ? 2 ** n : requested;
  const gamma = Math.max(1e-14, Math.abs(1e-14 * observed));
  let less = 0;
  let greater = 0;
  const tally = (stat: number) => {
    if (stat <= observed + gamma) less++;
    if (stat >= observed - gamma) greater++;
  };
  if (exact) {
    for (let mask = 0; mask < resamples; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (mask >> i) & 1 ? -d[i] : d[i];
      tally(s / n);
    }
  } else {
    if (opts.seed === undefined) throw new StatisticsError("pairedPermutationTest", "a seed is required for a randomized (non-exact) test");
    const rng = toRng(opts.seed, "permutation");
    for (let r = 0; r < resamples; r++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += rng.uniform() < 0.5 ? -d[i] : d[i];
      tally(s / n);
    }
  }
  const adj = exact ? 0 : 1;
  const p = Math.min(1, 2 * Math.min((less + adj) / (resamples + adj), (greater + adj) / (resamples + adj)));
  return { statistic: observed, p, exact, resamples };
}

/**
 * Within-subject standard errors (Cousineau 2005 normalisation with Morey 2008 correction), as
 * Kornblith et al. 2019 (section 3) use for error bars across datasets. `scores[s][c]` is the score
 * of condition c (model) on subject s (dataset). Each row is centred on its own mean and moved to
 * the grand mean; the per-condition SE of the normalised scores is scaled by sqrt(C / (C - 1)).
 */
export function moreyStandardErrors(scores: readonly (readonly number[])[]): { means: number[]; se: number[] } {
  const where = "moreyStandardErrors";
  const S = scores.length;
  const C = scores[0]?.length ?? 0;
  if (S < 2 || C < 2) throw new StatisticsError(where, `need at least 2 subjects and 2 conditions, got ${S} x ${C}`);
  scores.forEach((row, i) => {
    if (row.length !== C) throw new StatisticsError(where, `row ${i} has ${row.length} conditions, row 0 has ${C}`);
    checkFinite(where, `scores[${i}]`, row);
  });
  const rowMeans = scores.map((row) => mean(row));
  const grand = mean(rowMeans);
  const means = Array.from({ length: C }, (_, c) => mean(scores.map((row) => row[c])));
  const correction = Math.sqrt(C / (C - 1));
  const se = Array.from({ length: C }, (_, c) => {
    const normed = scores.map((row, s) => row[c] - rowMeans[s] + grand);
    const m = mean(normed);
    const sd = Math.sqrt(normed.reduce((acc, v) => acc + (v - m) ** 2, 0) / (S - 1));
    return (correction * sd) / Math.sqrt(S);
  });
  return { means, se };
}
