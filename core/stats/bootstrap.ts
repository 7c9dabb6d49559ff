/**
 * Percentile bootstrap over resample weights. A resample of n items is represented by its
 * multiplicities (weights[i] = how often item i was drawn), so a statistic can be evaluated in one
 * pass over presorted data (weightedRocAuc) instead of materialising and re-sorting each resample.
 */
import { StatisticsError } from "../errors.ts";
import { toRng, type SeedLike } from "./hypothesis.ts";

/** A statistic of a weighted sample; weights are resample multiplicities (all 1 for the data). */
export type WeightedStatistic = (weights: Float64Array) => number;

export interface BootstrapOptions {
  /** Number of resamples (default 10,000). */
  readonly resamples?: number;
  /** Two-sided level: the interval is the [alpha/2, 1 - alpha/2] percentile range (default 0.05). */
  readonly alpha?: number;
  /** A seed number (stream "bootstrap" of its SeedTree) or an Rng stream. */
  readonly seed: SeedLike;
}

export interface BootstrapResult {
  /** The statistic on the data itself. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  /** The statistic on every resample, in draw order. */
  readonly samples: Float64Array;
}

/** numpy.percentile's default (linear) interpolation on sorted values, q in [0, 1]. */
export function percentileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Percentile bootstrap CI of `statistic` over n paired items (resampled jointly). */
export function bootstrapCI(n: number, statistic: WeightedStatistic, opts: BootstrapOptions): BootstrapResult {
  const where = "bootstrapCI";
  const resamples = opts.resamples ?? 10_000;
  const alpha = opts.alpha ?? 0.05;
  if (!Number.isInteger(n) || n < 1) throw new StatisticsError(where, `n must be a positive integer, got ${n}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new StatisticsError(where, `resamples must be a positive integer, got ${resamples}`);
  if (!(alpha > 0 && alpha < 1)) throw new StatisticsError(where, `alpha must lie in (0, 1), got ${alpha}`);
  const rng = toRng(opts.seed, "bootstrap");
  const weights = new Float64Array(n).fill(1);
  const estimate = statistic(weights);
  if (!Number.isFinite(estimate)) throw new StatisticsError(where, `the statistic is ${estimate} on the data itself`);
  const samples = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    weights.fill(0);
    for (let i = 0; i < n; i++) weights[Math.floor(rng.uniform() * n)]++;
    const value = statistic(weights);
    if (!Number.isFinite(value)) {
      throw new StatisticsError(where, `the statistic is ${value} on resample ${r}; it must be defined on every resample (e.g. both classes present for AUC)`);
    }
    samples[r] = value;
  }
  const sorted = samples.slice().sort();
  return { estimate, lower: percentileSorted(sorted, alpha / 2), upper: percentileSorted(sorted, 1 - alpha / 2), samples };
}

/** Weighted mean of per-item values (e.g. 0/1 correctness gives bootstrapped accuracy). */
export function weightedMean(values: ArrayLike<number>): WeightedStatistic {
  const v = Float64Array.from(values);
  return (w) => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < v.length; i++) {
      num += w[i] * v[i];
      den += w[i];
    }
    return num / den;
  };
}

/** Difference of two statistics on the same resample (paired comparison of two models). */
export function pairedDifference(a: WeightedStatistic, b: WeightedStatistic): WeightedStatistic {
  return (w) => a(w) - b(w);
}

/** Adapts any metric of a list of item indices (each repeated by its weight) to the bootstrap. */
export function resampledStatistic(metric: (indices: Int32Array) => number): WeightedStatistic {
  return (w) => {
    let total = 0;
    for (let i = 0; i < w.length; i++) total += w[i];
    const idx = new Int32Array(total);
    let k = 0;
    for (let i = 0; i < w.length; i++) for (let c = 0; c < w[i]; c++) idx[k++] = i;
    return metric(idx);
  };
}
