/**
 * The trend analysis (Figure 1 / Table 2 / Table 13 statistics) on any results table: for each
 * task, the metric on a 0-100 scale against the table's x column, with Pearson r, its p and the
 * OLS slope above a threshold of x and over all models, Spearman and Kendall over all models, and
 * the 95% confidence band of each fitted mean, drawn with every point labelled by its model.
 */
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import type { JsonObject } from "../contracts.ts";
import { InputError, StatisticsError, withStatisticsContext } from "../errors.ts";
import { SeedTree, type Rng } from "../rng.ts";
import {
  coefficientInterval, compareCorrelations, kendallTau, MIN_FISHER_N, ols, pearson, pearsonInterval, spearman,
  type CorrelationComparison, type CorrelationDifference, type Interval,
} from "../stats/index.ts";
import { datasetFacts, scaleName } from "./datasets.ts";
import { cell, type Cell, type Figure, type ReportTable, type TableRow } from "./report.ts";
import { IMAGENET_COLUMN, LOG10_PARAMS_COLUMN, PARAMS_COLUMN, taskPercent, type ResultsTable, type TaskColumn } from "./results.ts";

export interface Trend {
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly slope: number;
  readonly slopeSe: number;
  /** 95% t interval of the slope (n - 2 df). */
  readonly slopeInterval: Interval;
  /** 95% Fisher z interval of r; absent below MIN_FISHER_N models. */
  readonly rInterval?: Interval;
  readonly intercept: number;
  readonly r2: number;
  readonly adjR2: number;
  /** Residual variance and the x summary the confidence band needs. */
  readonly sigma2: number;
  readonly dfResid: number;
  readonly xMean: number;
  readonly sxx: number;
}

export function fitTrend(x: readonly number[], y: readonly number[]): Trend {
  const { r, p } = pearson(x, y);
  const fit = ols([...y], x.map((v) => [v]));
  const xMean = x.reduce((a, b) => a + b, 0) / x.length;
  const sxx = x.reduce((a, v) => a + (v - xMean) ** 2, 0);
  return {
    n: fit.n,
    r,
    p,
    intercept: fit.coef[0],
    slope: fit.coef[1],
    slopeSe: fit.se[1],
    slopeInterval: coefficientInterval(fit.coef[1], fit.se[1], fit.dfResid),
    ...(fit.n >= MIN_FISHER_N ? { rInterval: pearsonInterval(r, fit.n) } : {}),
    r2: fit.r2,
    adjR2: fit.adjR2,
    sigma2: fit.ssr / fit.dfResid,
    dfResid: fit.dfResid,
    xMean,
    sxx,
  };
}

export interface BandPoint {
  readonly x: number;
  readonly fit: number;
  readonly lower: number;
  readonly upper: number;
}

/** Fitted line and its (1 - alpha) confidence band for the mean at `steps` points over [from, to]. */
export function confidenceBand(trend: Trend, from: number, to: number, steps = 40, alpha = 0.05): BandPoint[] {
  const t = tQuantile(1 - alpha / 2, trend.dfResid);
  const out: BandPoint[] = [];
  for (let i = 0; i <= steps; i++) {
    const x = from + ((to - from) * i) / steps;
    const fit = trend.intercept + trend.slope * x;
    const half = t * Math.sqrt(trend.sigma2 * (1 / trend.n + (x - trend.xMean) ** 2 / trend.sxx));
    out.push({ x, fit, lower: fit - half, upper: fit + half });
  }
  return out;
}

/** Fewest models a fit is made on: a p-value and a confidence band need a residual degree of freedom. */
export const MIN_FIT_MODELS = 3;
/** Table 2's threshold on ImageNet top-1: "models above 70% ImageNet accuracy". */
export const IMAGENET_THRESHOLD = 70;

/** The default threshold of an x column: 70 for ImageNet top-1 (Table 2), none otherwise. */
export function defaultThreshold(x: string): number | undefined {
  return x === IMAGENET_COLUMN ? IMAGENET_THRESHOLD : undefined;
}

export interface TrendPoint {
  readonly model: string;
  readonly x: number;
  /** The metric on 0-100. */
  readonly y: number;
}

/** A fit, or why there is none. */
export type FitOutcome = { readonly trend: Trend } | { readonly why: string };

export interface TaskTrend {
  readonly task: TaskColumn;
  /** Models with a value for this task, in table order. */
  readonly points: readonly TrendPoint[];
  /** Over the models whose x is above the threshold; absent without a threshold. */
  readonly above?: FitOutcome;
  readonly all: FitOutcome;
  readonly spearman?: { readonly rho: number; readonly p: number };
  readonly kendall?: { readonly tau: number; readonly p: number };
}

function isConstant(v: readonly number[]): boolean {
  return v.every((a) => a === v[0]);
}

function fitOutcome(points: readonly TrendPoint[]): FitOutcome {
  if (points.length < MIN_FIT_MODELS) return { why: `${points.length} model(s) with a value; a fit needs at least ${MIN_FIT_MODELS}` };
  const x = points.map((p) => p.x), y = points.map((p) => p.y);
  if (isConstant(x) || isConstant(y)) return { why: `constant ${isConstant(x) ? "x" : "metric"} over these ${points.length} models` };
  return { trend: fitTrend(x, y) };
}

/** Per task: points (metric on 0-100 against x) and the fits; `threshold` undefined = over all models only. */
export function taskTrends(table: ResultsTable, threshold: number | undefined): TaskTrend[] {
  return table.tasks.map((task) => withStatisticsContext(`${table.source}, column "${task.column}" against "${table.x}"`, () => {
    const points = table.rows.filter((row) => row.values[task.name] !== undefined).map((row) => {
      const x = row.descriptors[table.x];
      if (x === undefined) {
        throw new InputError(table.source, `model "${row.model}" has a ${task.name} result but no "${table.x}" value (the x column)${xHint(table.x)}`);
      }
      return { model: row.model, x, y: taskPercent(task, row.values[task.name]) };
    });
    const all = fitOutcome(points);
    const ranked = "trend" in all;
    return {
      task,
      points,
      ...(threshold === undefined ? {} : { above: fitOutcome(points.filter((p) => p.x > threshold)) }),
      all,
      ...(ranked ? { spearman: spearman(points.map((p) => p.x), points.map((p) => p.y)) } : {}),
      ...(ranked ? { kendall: kendallTau(points.map((p) => p.x), points.map((p) => p.y)) } : {}),
    };
  }));
}

function xHint(x: string): string {
  return x === LOG10_PARAMS_COLUMN || x === PARAMS_COLUMN
    ? "; runs stored before xfer recorded parameter counts leave it empty: re-run them"
    : "; fill it in or choose another --x";
}

/** How an x column is titled on axes and in table titles. */
export function xTitle(x: string): string {
  return x === IMAGENET_COLUMN ? "ImageNet top-1 (%)" : x === LOG10_PARAMS_COLUMN ? "log10(parameters)" : x;
}

/** A task's panel and row label: its name and, for a known dataset, the metric; else its scale. */
export function taskLabel(task: TaskColumn): string {
  return `${task.name} (${datasetFacts(task.column)?.metric ?? `metric on ${scaleName(task.scale)}`})`;
}

const FIT_STATISTICS = ["n", "r", "r_lo", "r_hi", "p", "slope", "slope_lo", "slope_hi"] as const;

function fitCells(suffix: string, outcome: FitOutcome): Record<string, Cell> {
  if (!("trend" in outcome)) return Object.fromEntries(FIT_STATISTICS.map((s) => [`${s}_${suffix}`, cell(null, null, outcome.why)]));
  const t = outcome.trend;
  const noFisher = `the Fisher z interval of r needs at least ${MIN_FISHER_N} models, the fit has ${t.n}`;
  return {
    [`n_${suffix}`]: cell(t.n, null), [`r_${suffix}`]: cell(t.r, null),
    [`r_lo_${suffix}`]: cell(t.rInterval?.lower ?? null, null, t.rInterval ? undefined : noFisher),
    [`r_hi_${suffix}`]: cell(t.rInterval?.upper ?? null, null, t.rInterval ? undefined : noFisher),
    [`p_${suffix}`]: cell(t.p, null), [`slope_${suffix}`]: cell(t.slope, null),
    [`slope_lo_${suffix}`]: cell(t.slopeInterval.lower, null), [`slope_hi_${suffix}`]: cell(t.slopeInterval.upper, null),
  };
}

function fitColumns(suffix: string, at: string) {
  const labels = { n: "n", r: "r", r_lo: "r 95% low", r_hi: "r 95% high", p: "p", slope: "slope", slope_lo: "slope 95% low", slope_hi: "slope 95% high" };
  return FIT_STATISTICS.map((s) => ({ key: `${s}_${suffix}`, label: `${labels[s]} ${at}` }));
}

/**
 * The fits as a report table, one row per task: n, Pearson r with its 95% Fisher z interval, p,
 * and slope (metric 0-100 per unit of x) with its 95% t interval, above the threshold (when there
 * is one) and over all models; Spearman ρ and Kendall τ-b with their p over all models.
 */
export function trendsTable(key: string, title: string, trends: readonly TaskTrend[], threshold: number | undefined): ReportTable {
  const at = threshold === undefined ? undefined : `>${threshold}`;
  const columns = [
    ...(at === undefined ? [] : fitColumns("above", at)),
    ...fitColumns("all", "all"),
    { key: "spearman_rho", label: "Spearman ρ all" }, { key: "spearman_p", label: "p ρ" },
    { key: "kendall_tau", label: "Kendall τ-b all" }, { key: "kendall_p", label: "p τ" },
  ];
  return {
    key,
    title,
    rowLabel: "task",
    columns,
    rows: trends.map((t) => {
      const rankWhy = "why" in t.all ? t.all.why : undefined;
      return {
        key: t.task.name,
        cells: {
          ...(t.above === undefined ? {} : fitCells("above", t.above)),
          ...fitCells("all", t.all),
          spearman_rho: cell(t.spearman?.rho ?? null, null, rankWhy), spearman_p: cell(t.spearman?.p ?? null, null, rankWhy),
          kendall_tau: cell(t.kendall?.tau ?? null, null, rankWhy), kendall_p: cell(t.kendall?.p ?? null, null, rankWhy),
        },
      };
    }),
  };
}

/** The input table as a report table: per model its x value and each task's value (on its own scale). */
export function resultsReportTable(table: ResultsTable): ReportTable {
  return {
    key: "results",
    title: `Results: ${table.x} and each task's value per model`,
    rowLabel: "model",
    columns: [{ key: table.x, label: table.x }, ...table.tasks.map((t) => ({ key: t.name, label: `${t.name} (${scaleName(t.scale)})` }))],
    rows: table.rows.map((row) => ({
      key: row.model,
      cells: Object.fromEntries([
        [table.x, cell(row.descriptors[table.x] ?? null, null)],
        ...table.tasks.map((t) => [t.name, cell(row.values[t.name] ?? null, null)]),
      ]),
    })),
  };
}

export interface TrendFigureOptions {
  readonly key: string;
  readonly title: string;
  readonly x: string;
  readonly threshold: number | undefined;
}

/** One panel per task: points labelled with model names, and each fit with its 95% confidence band. */
export function trendFigure(trends: readonly TaskTrend[], options: TrendFigureOptions): Figure {
  const { key, title, threshold } = options;
  const aboveLabel = `fit, above ${threshold}`;
  const values: JsonObject[] = [];
  for (const t of trends) {
    const panel = taskLabel(t.task);
    for (const p of t.points) {
      values.push({
        layer: "point", dataset: panel, model: p.model, x: p.x, value: p.y,
        group: threshold === undefined ? "model" : p.x > threshold ? `above ${threshold}` : `${threshold} or below`,
      });
    }
    if (t.points.length === 0) continue;
    const xs = t.points.map((p) => p.x);
    const lo = Math.min(...xs), hi = Math.max(...xs);
    const fits: [string, FitOutcome | undefined, number][] = [[aboveLabel, t.above, threshold ?? lo], ["fit, all models", t.all, lo]];
    for (const [fit, outcome, from] of fits) {
      if (outcome === undefined || !("trend" in outcome)) continue;
      for (const b of confidenceBand(outcome.trend, Math.max(from, lo), hi)) {
        values.push({ layer: "fit", dataset: panel, fit, x: b.x, value: b.fit, lower: b.lower, upper: b.upper });
      }
    }
  }
  const x = { field: "x", type: "quantitative", title: xTitle(options.x), scale: { zero: false } };
  const domain = threshold === undefined ? ["fit, all models"] : [aboveLabel, "fit, all models"];
  const color = { field: "fit", type: "nominal", title: "regression", scale: { domain, range: threshold === undefined ? ["#d62728"] : ["#1f77b4", "#d62728"] } };
  const points = "datum.layer === 'point'";
  return {
    key,
    title,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: `${title}: downstream metric vs ${xTitle(options.x)} (lines: OLS fits with 95% confidence bands)`,
      data: { values },
      facet: { field: "dataset", type: "nominal", title: null, sort: trends.map((t) => taskLabel(t.task)) },
      columns: 3,
      resolve: { scale: { y: "independent" } },
      spec: {
        width: 220,
        height: 180,
        layer: [
          {
            transform: [{ filter: "datum.layer === 'fit'" }],
            mark: { type: "area", opacity: 0.15 },
            encoding: { x, y: { field: "lower", type: "quantitative", title: "metric (0-100)", scale: { zero: false } }, y2: { field: "upper" }, color },
          },
          {
            transform: [{ filter: "datum.layer === 'fit'" }],
            mark: { type: "line" },
            encoding: { x, y: { field: "value", type: "quantitative", title: "metric (0-100)" }, color },
          },
          {
            transform: [{ filter: points }],
            mark: { type: "point", filled: true, size: 30 },
            encoding: {
              x, y: { field: "value", type: "quantitative", title: "metric (0-100)" },
              shape: { field: "group", type: "nominal", title: threshold === undefined ? "points" : xTitle(options.x) },
              tooltip: [{ field: "model" }, { field: "x", title: options.x }, { field: "value", title: "metric (0-100)" }],
            },
          },
          {
            transform: [{ filter: points }],
            mark: { type: "text", align: "left", dx: 4, dy: -4, fontSize: 7, color: "#444" },
            encoding: { x, y: { field: "value", type: "quantitative" }, text: { field: "model", type: "nominal" } },
          },
        ],
      },
    },
  };
}

/** Report notes that say what the fits cover and which scale each task was read on. */
export function trendNotes(table: ResultsTable, threshold: number | undefined): string[] {
  return [
    threshold === undefined
      ? `No threshold on ${table.x}: fits over all models only (--threshold N adds fits over the models with ${table.x} > N).`
      : `Fits above the threshold use the models with ${table.x} > ${threshold}; "all" uses every model with a value.`,
    `Slopes are in metric points (0-100 scale) per unit of ${table.x}; 0-1 metrics are multiplied by 100. Fits need at least ${MIN_FIT_MODELS} models.`,
    `95% intervals: the slope's is slope ± t(0.975, n - 2) × its standard error; r's is Fisher's z, tanh(atanh r ± 1.96 / sqrt(n - 3)), given from ${MIN_FISHER_N} models.`,
  ];
}

/** Which kept axis (`--by`) to compare, and the value the others are compared with. */
export interface AxisComparison {
  readonly axis: string;
  readonly reference: string;
}

/** Resamples of the comparison's paired bootstrap: its tens of models make 10,000 cheap. */
export const COMPARISON_RESAMPLES = 10_000;

/**
 * A results column `<task>/<value of by[0]>/...` (xfer results --by) split into the value of the
 * compared axis and the group it is compared within (the task and the other kept values).
 */
function splitColumn(source: string, column: string, by: readonly string[], axisIndex: number): { group: string; value: string } {
  const parts = column.split("/");
  if (parts.length <= by.length) {
    throw new InputError(source, `column "${column}" does not name a value of each kept axis: expected <task>/${by.map((a) => `<${a}>`).join("/")}`);
  }
  const values = parts.slice(parts.length - by.length);
  return { group: [parts.slice(0, parts.length - by.length).join("/"), ...values.filter((_, i) => i !== axisIndex)].join("/"), value: values[axisIndex] };
}

const COMPARISON_STATISTICS = ["n", "r_reference", "r_other", "r_diff", "r_diff_lo", "r_diff_hi", "rho_reference", "rho_other", "rho_diff", "rho_diff_lo", "rho_diff_hi"] as const;

function verdict(name: string, d: CorrelationDifference, value: string, reference: string): string {
  const ci = `${d.difference.toFixed(3)}, 95% CI [${d.lower.toFixed(3)}, ${d.upper.toFixed(3)}]`;
  if (d.lower > 0) return `${name} higher with ${value} than with ${reference} (${ci}, excludes 0)`;
  if (d.upper < 0) return `${name} lower with ${value} than with ${reference} (${ci}, excludes 0)`;
  return `no clear difference in ${name} (${ci}, includes 0)`;
}

export interface ComparisonSection {
  readonly table: ReportTable;
  /** One sentence per compared pair: what the intervals support, nothing more. */
  readonly verdicts: readonly string[];
  readonly resamples: number;
}

/**
 * For each task (and other kept values) and each value v of the compared axis other than the
 * reference: r(v) - r(reference) and ρ(v) - ρ(reference) against x over the models both have, with
 * a paired percentile bootstrap over models (stream "compare/<axis>/<group>/<v>" of `seed`).
 */
export function axisComparison(
  table: ResultsTable, trends: readonly TaskTrend[], by: readonly string[], compare: AxisComparison, seed: number, resamples = COMPARISON_RESAMPLES,
): ComparisonSection {
  const axisIndex = by.indexOf(compare.axis);
  if (axisIndex < 0) throw new InputError(table.source, `the comparison's axis "${compare.axis}" is not among the kept axes (--by ${by.join(", ") || "none"})`);
  const groups = new Map<string, Map<string, TaskTrend>>();
  for (const t of trends) {
    const { group, value } = splitColumn(table.source, t.task.column, by, axisIndex);
    groups.set(group, (groups.get(group) ?? new Map()).set(value, t));
  }
  const seeds = new SeedTree(seed);
  const rows: TableRow[] = [];
  const verdicts: string[] = [];
  for (const [group, values] of groups) {
    const reference = values.get(compare.reference);
    for (const [value, other] of values) {
      if (value === compare.reference) continue;
      const key = `${group}: ${value} - ${compare.reference}`;
      const outcome = compareTrends(reference, other, value, compare, group, seeds.stream("compare", compare.axis, group, value), resamples);
      if ("why" in outcome) {
        rows.push({ key, cells: Object.fromEntries(COMPARISON_STATISTICS.map((s) => [s, cell(null, null, outcome.why)])) });
        verdicts.push(`${group}, ${value} vs ${compare.reference}: not compared: ${outcome.why}.`);
        continue;
      }
      const { n, r, rho } = outcome;
      rows.push({
        key,
        cells: {
          n: cell(n, null),
          r_reference: cell(r.reference, null), r_other: cell(r.other, null), r_diff: cell(r.difference, null), r_diff_lo: cell(r.lower, null), r_diff_hi: cell(r.upper, null),
          rho_reference: cell(rho.reference, null), rho_other: cell(rho.other, null), rho_diff: cell(rho.difference, null), rho_diff_lo: cell(rho.lower, null), rho_diff_hi: cell(rho.upper, null),
        },
      });
      verdicts.push(`${group}, ${value} vs ${compare.reference} over ${n} models: ${verdict("Pearson r", r, value, compare.reference)}; ${verdict("Spearman ρ", rho, value, compare.reference)}.`);
    }
  }
  const labels: Record<(typeof COMPARISON_STATISTICS)[number], string> = {
    n: "n shared", r_reference: `r ${compare.reference}`, r_other: "r other", r_diff: "r diff", r_diff_lo: "r diff 95% low", r_diff_hi: "r diff 95% high",
    rho_reference: `ρ ${compare.reference}`, rho_other: "ρ other", rho_diff: "ρ diff", rho_diff_lo: "ρ diff 95% low", rho_diff_hi: "ρ diff 95% high",
  };
  return {
    table: {
      key: `compare_${compare.axis.replace(/\W+/g, "_")}`,
      title: `Does each ${compare.axis} track ${table.x} more closely than ${compare.reference}? Correlation differences (other - ${compare.reference}) with paired bootstrap 95% intervals`,
      rowLabel: `task: ${compare.axis} - ${compare.reference}`,
      columns: COMPARISON_STATISTICS.map((s) => ({ key: s, label: labels[s] })),
      rows,
      notes: [
        `Paired percentile bootstrap over models: ${resamples} resamples of the models both values have (with replacement), both correlations recomputed on each; ` +
          `a resample with a constant ${table.x} or metric has no correlation and is drawn again. Seeded: stream compare/${compare.axis}/<task>/<value> of seed ${seed}.`,
        `A difference counts as higher or lower only where its 95% interval excludes 0. Comparisons need at least ${MIN_FISHER_N} shared models.`,
      ],
    },
    verdicts,
    resamples,
  };
}

function compareTrends(
  reference: TaskTrend | undefined, other: TaskTrend, value: string, compare: AxisComparison, group: string, stream: Rng, resamples: number,
): CorrelationComparison | { why: string } {
  if (reference === undefined) return { why: `no "${group}" column with ${compare.axis} = ${compare.reference}` };
  const byModel = new Map(reference.points.map((p) => [p.model, p]));
  const shared = other.points.filter((p) => byModel.has(p.model));
  if (shared.length < MIN_FISHER_N) {
    return { why: `${shared.length} model(s) have both ${compare.reference} and ${value} values; a comparison needs at least ${MIN_FISHER_N}` };
  }
  try {
    return compareCorrelations(shared.map((p) => p.x), shared.map((p) => byModel.get(p.model)!.y), shared.map((p) => p.y), { seed: stream, resamples });
  } catch (error) {
    if (error instanceof StatisticsError) return { why: error.message.replace(/^compareCorrelations: /, "") };
    throw error;
  }
}
