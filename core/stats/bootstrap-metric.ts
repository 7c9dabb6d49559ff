/**
 * Percentile bootstrap intervals of any metric from a run's stored predictions (RunPredictions):
 * the samples are resampled with replacement and the metric recomputed on each resample, through
 * `bootstrapCI`, so accuracy, macro F1, QWK and ROC AUC all get their interval the same way.
 */
import type { Labels, Metric, RunPredictions, Scores } from "../contracts.ts";
import { InputError, StatisticsError } from "../errors.ts";
import { bootstrapCI, resampledStatistic, type BootstrapOptions, type BootstrapResult } from "./bootstrap.ts";

export interface MetricInterval extends BootstrapResult {
  readonly metric: string;
  /** Samples scored (and resampled). */
  readonly n: number;
  readonly resamples: number;
  /** Two-sided level of the interval, 1 - alpha. */
  readonly level: number;
}

/**
 * The metric on the predictions and its percentile bootstrap interval. Each resample draws n
 * samples with replacement from the stream "bootstrap" of the seed, so one seed gives the same
 * resamples for every run with the same number of samples in the same order (a paired
 * comparison when two runs' predictions are aligned by sample id). A metric with fitted state
 * (multilabel thresholds) should be passed fitted: `compute` on an unfitted one fits on each resample.
 */
export function bootstrapMetric(
  predictions: Pick<RunPredictions, "labels" | "scores">,
  metric: Pick<Metric, "name" | "compute">,
  opts: BootstrapOptions,
): MetricInterval {
  const { labels, scores } = predictions;
  const n = labels.length;
  if (scores.length !== n) throw new StatisticsError("bootstrapMetric", `${n} labels but ${scores.length} score rows; expected one each per sample`);
  if (n === 0) throw new StatisticsError("bootstrapMetric", `metric "${metric.name}": no samples to resample`);
  // Call 0 scores the data itself, call r + 1 resample r: the count lets an error name its resample.
  let call = 0;
  const statistic = resampledStatistic((idx) => {
    const labelsDrawn = Array.from(idx, (i) => labels[i]) as Labels;
    const scoresDrawn = Array.from(idx, (i) => scores[i]) as Scores;
    try {
      return metric.compute(labelsDrawn, scoresDrawn);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const on = call === 0 ? "the data itself" : `resample ${call - 1}`;
      throw new StatisticsError("bootstrapMetric", `metric "${metric.name}" on ${n} samples fails on ${on}: ${error.message}; it must be defined on every resample (e.g. both classes present for ROC AUC)`);
    } finally {
      call++;
    }
  });
  const resamples = opts.resamples ?? 10_000;
  const alpha = opts.alpha ?? 0.05;
  let result: BootstrapResult;
  try {
    result = bootstrapCI(n, statistic, { ...opts, resamples, alpha });
  } catch (error) {
    if (!(error instanceof StatisticsError) || error.where === "bootstrapMetric") throw error;
    throw new StatisticsError("bootstrapMetric", `metric "${metric.name}" on ${n} samples: ${error.message}`);
  }
  return { ...result, metric: metric.name, n, resamples, level: 1 - alpha };
}
