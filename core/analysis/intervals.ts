/**
 * Intervals of a results table's cells. Where the cell comes from one of xfer's own runs that
 * kept its predictions, the interval is the percentile bootstrap of the cell's metric over the
 * run's test samples (`predictionIntervals`, any metric); published accuracies get Clopper-Pearson
 * intervals from the evaluation-set size (`clopperPearsonInterval`), which is all a number and a
 * size allow. Both are 95% and in percent (0-100), as the trend analysis plots metrics.
 */
import type { Metric, RunPredictions, RunStore } from "../contracts.ts";
import { StatisticsError, XferError } from "../errors.ts";
import type { PluginRef, PluginRegistry } from "../plugin.ts";
import { SeedTree } from "../rng.ts";
import { bootstrapMetric } from "../stats/bootstrap-metric.ts";
import { clopperPearson } from "../stats/hypothesis.ts";

const DEFAULT_RESAMPLES = 1000;

export interface CellInterval {
  /** The results column (task) and model (row) of the cell. */
  readonly task: string;
  readonly model: string;
  /** The cell's metric on 0-100, and its 95% interval. */
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
  /** Samples the interval rests on. */
  readonly n: number;
  readonly method: "bootstrap" | "clopper-pearson";
  /** bootstrap: the metric resampled, the run whose predictions were resampled and the resample count. */
  readonly metric?: string;
  readonly run?: string;
  readonly resamples?: number;
}

/** A results row as `xfer results` exports it: each column's run (core/results-export.ts `runs`). */
export interface RowRuns {
  readonly model: string;
  readonly runs: Readonly<Record<string, string>>;
}

export interface PredictionSource {
  /** The run's stored predictions, checked; undefined when it kept none (runs stored before xfer kept them). */
  predictions(run: string): Promise<RunPredictions | undefined>;
  /** The metric the cell reports for this run (its dataset's selection metric). */
  metric(run: string): Promise<Metric>;
}

/** The runs behind a results table's cells and where their predictions are read. */
export interface StoredPredictions {
  readonly rows: readonly RowRuns[];
  readonly source: PredictionSource;
}

/**
 * The predictions and metric of runs in a store: each run's dataset (from its spec) names its
 * selection metric, the metric the results export reports (core/results-export.ts).
 */
export function runStoreSource(store: Pick<RunStore, "get" | "predictions">, registry: PluginRegistry): PredictionSource {
  const ctx = { seeds: new SeedTree(0) };
  return {
    predictions: (run) => store.predictions(run),
    async metric(run) {
      const stored = await store.get(run);
      if (stored === undefined) throw new XferError(`run ${run} is not done in the run store; its interval needs its published result`);
      const dataset = await registry.create("dataset", stored.spec.dataset as unknown as PluginRef, ctx);
      return registry.create("metric", { name: dataset.meta.selectionMetric }, ctx);
    },
  };
}

/**
 * 95% percentile bootstrap intervals of every cell whose run kept predictions; cells whose run kept
 * none, or whose metric is fitted on the selection split (multilabel thresholds: the selection
 * split's predictions are not stored, so the test value cannot be recomputed), are left out and
 * listed in `without` with the reason. Each cell draws its resamples from its own named stream of
 * the seed (`bootstrap/<task>/<model>`), so a cell's interval does not depend on the others.
 * `resamples` defaults to 1,000, not bootstrapCI's 10,000: a figure has one interval per cell, each
 * resample re-scores every test sample (about 4 ms for accuracy on 10,000 samples), and at 1,000
 * the endpoints' Monte Carlo standard error is under a tenth of the metric's (0.085 of it for a
 * normal bootstrap distribution).
 */
export async function predictionIntervals(
  rows: readonly RowRuns[],
  source: PredictionSource,
  opts: { readonly seed: number; readonly resamples?: number },
): Promise<{ intervals: CellInterval[]; without: { task: string; model: string; reason: string }[] }> {
  const seeds = new SeedTree(opts.seed);
  const intervals: CellInterval[] = [];
  const without: { task: string; model: string; reason: string }[] = [];
  for (const row of rows) {
    for (const [task, run] of Object.entries(row.runs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const predictions = await source.predictions(run);
      if (predictions === undefined) {
        without.push({ task, model: row.model, reason: `run ${run} kept no predictions` });
        continue;
      }
      const metric = await source.metric(run);
      if (metric.fit !== undefined) {
        without.push({ task, model: row.model, reason: `metric "${metric.name}" fits thresholds on the selection split, whose predictions are not stored` });
        continue;
      }
      let r: ReturnType<typeof bootstrapMetric>;
      try {
        r = bootstrapMetric(predictions, metric, { resamples: opts.resamples ?? DEFAULT_RESAMPLES, seed: seeds.stream(`bootstrap/${task}/${row.model}`) });
      } catch (error) {
        // A metric undefined on some resample (one class left in a small test split, say) leaves that cell without an interval, not the report.
        if (!(error instanceof StatisticsError)) throw error;
        without.push({ task, model: row.model, reason: error.message });
        continue;
      }
      intervals.push({
        task, model: row.model, value: 100 * r.estimate, lower: 100 * r.lower, upper: 100 * r.upper, n: r.n,
        method: "bootstrap", metric: metric.name, run, resamples: r.resamples,
      });
    }
  }
  return { intervals, without };
}

/** The 95% Clopper-Pearson interval of a published accuracy (%) on n samples (correct = round(accuracy × n)). */
export function clopperPearsonInterval(task: string, model: string, accuracy: number, n: number): CellInterval {
  const { lower, upper } = clopperPearson(Math.round((accuracy / 100) * n), n);
  return { task, model, value: accuracy, lower: 100 * lower, upper: 100 * upper, n, method: "clopper-pearson" };
}
