/**
 * Intervals of a simple linear trend: the OLS slope's t interval (statsmodels `conf_int`, scipy
 * `linregress` stderr), Pearson r's Fisher z interval (scipy `pearsonr(...).confidence_interval()`),
 * and a paired percentile bootstrap of the difference between two correlations with the same x.
 */
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import { StatisticsError } from "../errors.ts";
import { percentileSorted } from "./bootstrap.ts";
import { toRng, type SeedLike } from "./hypothesis.ts";
import { rankAverage } from "./rank.ts";
import { checkFinite, checkPaired, mean, type NumericVector } from "./validate.ts";

export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

/** (1 - alpha) t interval of a regression coefficient: estimate ± t(1 - alpha/2, df) · se. */
export function coefficientInterval(estimate: number, se: number, dfResid: number, alpha = 0.05): Interval {
  const where = "coefficientInterval";
  checkFinite(where, "estimate and se", [estimate, se]);
  if (!(se >= 0)) throw new StatisticsError(where, `se must be >= 0, got ${se}`);
  if (!Number.isInteger(dfResid) || dfResid < 1) throw new StatisticsError(where, `dfResid must be a positive integer, got ${dfResid}`);
  if (!(alpha > 0 && alpha < 1)) throw new StatisticsError(where, `alpha must lie in (0, 1), got ${alpha}`);
  const half = tQuantile(1 - alpha / 2, dfResid) * se;
  return { lower: estimate - half, upper: estimate + half };
}

/** Fewest pairs a Fisher z interval takes: its standard error is 1 / sqrt(n - 3). */
export const MIN_FISHER_N = 4;
/** scipy.stats.norm.ppf(0.975): the Fisher interval is 95% only, as every interval of the trend report. */
const Z_975 = 1.959963984540054;

/** 95% Fisher z interval of Pearson's r over n pairs: tanh(atanh(r) ± z(0.975) / sqrt(n - 3)). */
export function pearsonInterval(r: number, n: number): Interval {
  const where = "pearsonInterval";
  if (!(r >= -1 && r <= 1)) throw new StatisticsError(where, `r must lie in [-1, 1], got ${r}`);
  if (!Number.isInteger(n) || n < MIN_FISHER_N) throw new StatisticsError(where, `the Fisher z interval needs n >= ${MIN_FISHER_N} pairs, got ${n}`);
  const z = Math.atanh(r), half = Z_975 / Math.sqrt(n - 3);
  return { lower: Math.tanh(z - half), upper: Math.tanh(z + half) };
}

/** One correlation's difference (other - reference) and its percentile interval. */
export interface CorrelationDifference {
  readonly reference: number;
  readonly other: number;
  readonly difference: number;
  readonly lower: number;
  readonly upper: number;
}

export interface CorrelationComparison {
  readonly n: number;
  /** Pearson r. */
  readonly r: CorrelationDifference;
  /** Spearman ρ. */
  readonly rho: CorrelationDifference;
  readonly resamples: number;
  /** Resamples drawn again because x or a metric was constant on them (no correlation is defined there). */
  readonly redrawn: number;
}

export interface CorrelationComparisonOptions {
  /** Default 10,000. */
  readonly resamples?: number;
  /** A seed number (stream "correlation-difference" of its SeedTree) or an Rng stream. */
  readonly seed: SeedLike;
}

function isConstant(v: ArrayLike<number>): boolean {
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return false;
  return true;
}

/** Pearson's r without its p (the bootstrap needs thousands of them); inputs are not constant. */
function correlation(x: NumericVector, y: NumericVector): number {
  const mx = mean(x), my = mean(y);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Spearman's ρ: Pearson on average ranks (ties share their mean rank, as scipy). */
function rankCorrelation(x: NumericVector, y: NumericVector): number {
  return correlation(rankAverage(x), rankAverage(y));
}

function pick(v: readonly number[], idx: Int32Array): Float64Array {
  return Float64Array.from(idx, (i) => v[i]);
}

/**
 * How much more closely `other` tracks x than `reference` does, over the same items (models): the
 * difference of Pearson r and of Spearman ρ, with 95% percentile intervals from a paired bootstrap
 * that resamples the items with replacement and recomputes both correlations on each resample. A
 * resample on which x or either metric is constant has no correlation and is drawn again (counted
 * in `redrawn`).
 */
export function compareCorrelations(
  x: readonly number[], reference: readonly number[], other: readonly number[], opts: CorrelationComparisonOptions,
): CorrelationComparison {
  const where = "compareCorrelations";
  checkPaired(where, x, reference, MIN_FISHER_N);
  checkPaired(where, x, other, MIN_FISHER_N);
  const resamples = opts.resamples ?? 10_000;
  if (!Number.isInteger(resamples) || resamples < 1) throw new StatisticsError(where, `resamples must be a positive integer, got ${resamples}`);
  if (isConstant(x) || isConstant(reference) || isConstant(other)) {
    throw new StatisticsError(where, `${isConstant(x) ? "x" : isConstant(reference) ? "the reference metric" : "the other metric"} is constant; the correlations are undefined`);
  }
  const n = x.length;
  const rng = toRng(opts.seed, "correlation-difference");
  const rDiff = new Float64Array(resamples), rhoDiff = new Float64Array(resamples);
  const idx = new Int32Array(n);
  let redrawn = 0;
  for (let s = 0; s < resamples;) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rng.uniform() * n);
    const xs = pick(x, idx), a = pick(reference, idx), b = pick(other, idx);
    if (isConstant(xs) || isConstant(a) || isConstant(b)) {
      // Terminates: the data are not constant, so a valid resample has positive probability; the cap names a pathological case.
      if (++redrawn > 100 * resamples) throw new StatisticsError(where, `${redrawn} resamples had a constant x or metric, over 100 per usable one`);
      continue;
    }
    rDiff[s] = correlation(xs, b) - correlation(xs, a);
    rhoDiff[s] = rankCorrelation(xs, b) - rankCorrelation(xs, a);
    s++;
  }
  const summary = (ref: number, oth: number, samples: Float64Array): CorrelationDifference => {
    const sorted = samples.sort();
    return { reference: ref, other: oth, difference: oth - ref, lower: percentileSorted(sorted, 0.025), upper: percentileSorted(sorted, 0.975) };
  };
  return {
    n,
    r: summary(correlation(x, reference), correlation(x, other), rDiff),
    rho: summary(rankCorrelation(x, reference), rankCorrelation(x, other), rhoDiff),
    resamples,
    redrawn,
  };
}
