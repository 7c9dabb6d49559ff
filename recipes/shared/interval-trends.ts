/**
 * Trend figures with per-model 95% intervals, as the paper's appendix draws them (Figure 6
 * CIFAR-10, Figure 7 Melanoma, Figure 9 model size): fits over all models and over the models
 * above 70% ImageNet top-1 whatever the x axis is, Clopper-Pearson intervals for accuracies and
 * percentile bootstraps for the other metrics where a run kept its predictions.
 */
import {
  cell, clopperPearsonInterval, confidenceBand, IMAGENET_COLUMN, IMAGENET_THRESHOLD, predictionIntervals, taskLabel, taskTrends, xTitle,
  type CellInterval, type Figure, type FitOutcome, type ReportTable, type ResultsTable, type StoredPredictions, type TaskTrend,
} from "../../core/analysis/index.ts";
import type { JsonObject } from "../../core/contracts.ts";

/** The appendix figures' resample count ("10,000 bootstrap trials"). */
export const APPENDIX_RESAMPLES = 10_000;

/**
 * Per task: the fit over all models and, as `above`, over the models above 70% ImageNet top-1
 * (models without an ImageNet top-1 are left out of that fit). With x = ImageNet top-1 this is
 * Table 2's threshold on x itself.
 */
export function imagenetSubsetTrends(table: ResultsTable): TaskTrend[] {
  if (table.x === IMAGENET_COLUMN) return taskTrends(table, IMAGENET_THRESHOLD);
  const above = (row: ResultsTable["rows"][number]) => (row.descriptors[IMAGENET_COLUMN] ?? -Infinity) > IMAGENET_THRESHOLD;
  const subset = taskTrends({ ...table, source: `${table.source} (models above ${IMAGENET_THRESHOLD}% ImageNet top-1)`, rows: table.rows.filter(above) }, undefined);
  return taskTrends(table, undefined).map((t, i) => ({ ...t, above: subset[i].all }));
}

/** One not-computed cell: which and why (the CLI and the report's notes name it). */
export interface MissingInterval {
  readonly task: string;
  readonly model: string;
  readonly reason: string;
}

/**
 * Intervals of the cells whose runs kept predictions: accuracy by Clopper-Pearson on the run's own
 * count of correct test predictions, any other metric by a percentile bootstrap of `resamples`
 * resamples. A cell whose metric is undefined on some resample (one class left, say, on a tiny
 * smoke split) gets none and is listed with the reason.
 */
export async function storedIntervals(
  stored: StoredPredictions,
  opts: { readonly seed: number; readonly resamples: number; readonly tasks?: ReadonlySet<string> },
): Promise<{ intervals: CellInterval[]; without: MissingInterval[] }> {
  const intervals: CellInterval[] = [];
  const without: MissingInterval[] = [];
  for (const row of stored.rows) {
    for (const [task, run] of Object.entries(row.runs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (opts.tasks !== undefined && !opts.tasks.has(task)) continue;
      const metric = await stored.source.metric(run);
      if (metric.name === "accuracy") {
        const predictions = await stored.source.predictions(run);
        if (predictions === undefined) {
          without.push({ task, model: row.model, reason: `run ${run} kept no predictions` });
          continue;
        }
        const n = predictions.labels.length;
        intervals.push({ ...clopperPearsonInterval(task, row.model, 100 * metric.compute(predictions.labels, predictions.scores), n), run });
        continue;
      }
      const found = await predictionIntervals([{ model: row.model, runs: { [task]: run } }], stored.source, { seed: opts.seed, resamples: opts.resamples });
      intervals.push(...found.intervals);
      without.push(...found.without);
    }
  }
  return { intervals, without };
}

/**
 * Clopper-Pearson intervals of accuracies given as numbers (published or `--results` tables), for
 * the tasks whose evaluation-set size is known, skipping cells `has` already covers.
 */
export function tableAccuracyIntervals(table: ResultsTable, sizes: Readonly<Record<string, number>>, has: readonly CellInterval[] = []): CellInterval[] {
  const covered = new Set(has.map((i) => `${i.task}\u0000${i.model}`));
  const out: CellInterval[] = [];
  for (const task of table.tasks) {
    const n = sizes[task.name];
    if (n === undefined || task.scale !== "percent") continue;
    for (const row of table.rows) {
      const value = row.values[task.name];
      if (value !== undefined && !covered.has(`${task.name}\u0000${row.model}`)) out.push(clopperPearsonInterval(task.name, row.model, value, n));
    }
  }
  return out;
}

export function intervalsReportTable(key: string, intervals: readonly CellInterval[]): ReportTable {
  return {
    key,
    title: "95% intervals (metric 0-100): Clopper-Pearson for accuracies (correct of n), percentile bootstrap of the run's stored test predictions otherwise",
    rowLabel: "task / model",
    columns: ["value", "lower", "upper", "n", "resamples"].map((k) => ({ key: k, label: k })),
    rows: intervals.map((i) => ({
      key: `${i.task} / ${i.model}`,
      cells: { value: cell(i.value, null), lower: cell(i.lower, null), upper: cell(i.upper, null), n: cell(i.n, null), resamples: cell(i.resamples ?? null, null) },
    })),
  };
}

/** What the fits cover, for the reports' notes. */
export const SUBSET_FITS_NOTE = `Fits: over all models, and over the models above ${IMAGENET_THRESHOLD}% ImageNet top-1 (columns ">70"; models without an ImageNet top-1 are only in the fit over all models).`;

const ABOVE = `fit, above ${IMAGENET_THRESHOLD}% ImageNet top-1`;
const ALL = "fit, all models";

/**
 * One panel per task: each model's value with its 95% interval (where there is one), and the fits
 * over all models and above 70% ImageNet top-1 with their 95% confidence bands.
 */
export function intervalTrendFigure(
  trends: readonly TaskTrend[], intervals: readonly CellInterval[], table: ResultsTable, options: { key: string; title: string; columns?: number },
): Figure {
  // Each fit's line spans the x range of the models it was fitted on.
  const above = new Set(table.rows.filter((r) => (r.descriptors[IMAGENET_COLUMN] ?? -Infinity) > IMAGENET_THRESHOLD).map((r) => r.model));
  const byCell = new Map(intervals.map((i) => [`${i.task}\u0000${i.model}`, i]));
  const values: JsonObject[] = [];
  for (const t of trends) {
    const panel = taskLabel(t.task);
    for (const p of t.points) {
      const ci = byCell.get(`${t.task.name}\u0000${p.model}`);
      // A model without an interval gets a bar of length zero: an empty bar layer would leave its panel's scale without data.
      values.push({ layer: "point", dataset: panel, model: p.model, x: p.x, value: p.y, lower: ci?.lower ?? p.y, upper: ci?.upper ?? p.y, method: ci?.method ?? "none" });
    }
    if (t.points.length === 0) continue;
    const fits: [string, FitOutcome | undefined, readonly number[]][] = [
      [ABOVE, t.above, t.points.filter((p) => above.has(p.model)).map((p) => p.x)],
      [ALL, t.all, t.points.map((p) => p.x)],
    ];
    for (const [fit, outcome, xs] of fits) {
      if (outcome === undefined || !("trend" in outcome)) continue;
      for (const b of confidenceBand(outcome.trend, Math.min(...xs), Math.max(...xs))) {
        values.push({ layer: "fit", dataset: panel, fit, x: b.x, value: b.fit, lower: b.lower, upper: b.upper });
      }
    }
  }
  const x = { field: "x", type: "quantitative", title: xTitle(table.x), scale: { zero: false } };
  const y = { field: "value", type: "quantitative", title: "metric (0-100)", scale: { zero: false } };
  const color = { field: "fit", type: "nominal", title: "regression", legend: { labelLimit: 320 }, scale: { domain: [ABOVE, ALL], range: ["#1f77b4", "#d62728"] } };
  const points = "datum.layer === 'point'";
  return {
    key: options.key,
    title: options.title,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: `${options.title}: metric vs ${xTitle(table.x)} (bars: 95% intervals; lines: OLS fits with 95% bands)`,
      data: { values },
      facet: { field: "dataset", type: "nominal", title: null, sort: trends.map((t) => taskLabel(t.task)) },
      columns: options.columns ?? 3,
      resolve: { scale: { y: "independent" } },
      spec: {
        width: 240,
        height: 190,
        layer: [
          // Fit layers only where some task has a fit: an empty layer leaves vega a scale with no data.
          ...(values.some((v) => v.layer === "fit") ? [
            { transform: [{ filter: "datum.layer === 'fit'" }], mark: { type: "area", opacity: 0.15 }, encoding: { x, y: { ...y, field: "lower" }, y2: { field: "upper" }, color } },
            { transform: [{ filter: "datum.layer === 'fit'" }], mark: { type: "line" }, encoding: { x, y, color } },
          ] : []),
          { transform: [{ filter: points }], mark: { type: "rule", color: "#555" }, encoding: { x, y: { ...y, field: "lower" }, y2: { field: "upper" } } },
          {
            transform: [{ filter: points }],
            mark: { type: "point", filled: true, size: 30, color: "#333" },
            encoding: { x, y, tooltip: [{ field: "model" }, { field: "x", title: table.x }, { field: "value" }, { field: "lower" }, { field: "upper" }, { field: "method" }] },
          },
        ],
      },
    },
  };
}
