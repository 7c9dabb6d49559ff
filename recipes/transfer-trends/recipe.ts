/**
 * Figure 1 and Tables 2 and 15 of Fang, Kornblith & Schmidt (2023): the trend analysis of core
 * (per task, Pearson r and the OLS slope of the metric on a 0-100 scale against the x column,
 * above a threshold and over all models, with 95% intervals, Spearman and Kendall, fits with
 * confidence bands, and optionally the comparison of a kept axis's values) on any results table, plus the published cells and claims, which attach where the tasks are the
 * paper's datasets, x is ImageNet top-1 (%) and the threshold is Table 2's 70%.
 */
import {
  axisComparison, buildReport, cell, clopperPearsonInterval, defaultThreshold, defineAnalysisRecipe, expectedReason, fromPrinted, IMAGENET_COLUMN, IMAGENET_THRESHOLD,
  isPaperDataset, joinReasons, resultsReportTable, scaleNotes, taskTrends, trendFigure, trendNotes, trendsTable,
  type AnalysisInput, type CellInterval, type Claim, type DatasetName, type FitOutcome, type Figure, type ReportTable, type ResultsTable,
  type TableRow, type TaskTrend,
} from "../../core/analysis/index.ts";
import { XferError } from "../../core/errors.ts";
import { PROSE, TABLE15, TABLE16, TABLE2, TABLE4 } from "../../fixtures/paper/fang2023.ts";
import { APPENDIX_BACKBONES } from "../shared/paper.ts";

/** Table 2's threshold: "models above 70% ImageNet accuracy". */
export const THRESHOLD = IMAGENET_THRESHOLD;
/** The introduction's "near-zero" slope cut-off. */
export const FLAT_SLOPE = 0.05;

const EMBEDDED = "paper Table 4 (19 ImageNet models), as printed";
const APPENDIX_NAMES = new Set([...Object.keys(APPENDIX_BACKBONES), ...Object.values(APPENDIX_BACKBONES)]);

/** A Table 16 model, named by its catalog id or as the paper prints it. */
function isAppendixModel(model: string): boolean {
  return APPENDIX_NAMES.has(model);
}

/** The paper's datasets among the trends, by Table 4 name. */
function paperTrends(trends: readonly TaskTrend[]): Map<DatasetName, TaskTrend> {
  return new Map(trends.filter((t) => isPaperDataset(t.task.name)).map((t) => [t.task.name as DatasetName, t] as const));
}

function slopeOf(outcome: FitOutcome | undefined): number | null {
  return outcome !== undefined && "trend" in outcome ? outcome.trend.slope : null;
}

function rOf(outcome: FitOutcome | undefined): number | null {
  return outcome !== undefined && "trend" in outcome ? outcome.trend.r : null;
}

function table2(results: ResultsTable | undefined, trends: Map<DatasetName, TaskTrend>): ReportTable {
  const rows: TableRow[] = [...trends].map(([dataset, { above }]) => {
    const published = TABLE2[dataset];
    const known = expectedReason(results, [dataset]);
    const doubt = (c: (typeof published)["slope"]) =>
      c.value === null
        ? `not recoverable from the paper's text: ${c.source}`
        : c.confidence === "high" ? undefined : `published cell reconstructed with ${c.confidence} confidence: ${c.source}`;
    return {
      key: dataset,
      cells: {
        correlation: cell(rOf(above), published.correlation.value, joinReasons(doubt(published.correlation), known)),
        slope: cell(slopeOf(above), published.slope.value, joinReasons(doubt(published.slope), known)),
      },
    };
  });
  return {
    key: "table2",
    title: `Table 2: correlation and slope (metric 0-100 on ImageNet top-1 %), models above ${THRESHOLD}% ImageNet top-1`,
    rowLabel: "dataset",
    columns: [{ key: "correlation", label: "Pearson r" }, { key: "slope", label: "slope" }],
    rows,
    notes: ["The published Table 2 survives only as a garbled text extraction; its cells are reconstructed (fixtures/paper/fang2023.ts)."],
  };
}

function table15(trends: Map<DatasetName, TaskTrend>): ReportTable {
  const rows: TableRow[] = [...trends].map(([dataset, { above }]) => {
    const known = expectedReason(undefined, [dataset]);
    return {
      key: dataset,
      cells: {
        correlation: cell(rOf(above), TABLE15[dataset].correlation, known),
        slope: cell(slopeOf(above), TABLE15[dataset].slope, known),
      },
    };
  });
  return {
    key: "table15",
    title: `Table 15: as Table 2 over Table 4 + Table 16 models (25) above ${THRESHOLD}% ImageNet top-1`,
    rowLabel: "dataset",
    columns: [{ key: "correlation", label: "Pearson r" }, { key: "slope", label: "slope" }],
    rows,
  };
}

function claims(table: ResultsTable, trends: Map<DatasetName, TaskTrend>): Claim[] {
  const flat = [...trends].filter(([, t]) => (slopeOf(t.above) ?? Infinity) < FLAT_SLOPE).map(([d]) => d);
  const out: Claim[] = [{
    key: "slope_below_0_05",
    statement: `Introduction: slope below ${FLAT_SLOPE} ${PROSE.slopeBelow005}`,
    holds: trends.size === 6 && flat.length === 4,
    detail: `recomputed slope < ${FLAT_SLOPE} on ${flat.length} of ${trends.size}: ${flat.join(", ") || "none"}`,
  }];
  if (trends.has("EuroSAT")) {
    const rows = table.rows.filter((row) => row.values.EuroSAT !== undefined);
    const over60 = rows.filter((row) => row.descriptors[IMAGENET_COLUMN] > 60);
    const below = over60.filter((row) => row.values.EuroSAT <= 98.5).map((row) => row.model);
    const over99 = rows.filter((row) => row.values.EuroSAT > 99).length;
    out.push({
      key: "eurosat_over_98_5",
      statement: "Sec. 4.6: all models over 60% ImageNet top-1 achieve over 98.5% on EuroSAT",
      holds: below.length === 0,
      detail: below.length === 0 ? `all ${over60.length} such models do` : `not: ${below.join(", ")}`,
    }, {
      key: "eurosat_majority_over_99",
      statement: "Sec. 4.6: the majority of models achieve over 99.0% on EuroSAT",
      holds: over99 * 2 > rows.length,
      detail: `${over99} of ${rows.length} models are above 99.0%`,
    });
  }
  return out;
}

/**
 * Evaluation-set sizes of the accuracy datasets whose size the reference code fixes: its validation
 * splits (../shared/reference/README.md: Cassava 17,120 / 4,277, EuroSAT 21,600 / 5,400). CCT-20's
 * cis-test size is not among the reference facts, so it gets no interval.
 */
export const EVAL_SIZES: Partial<Record<DatasetName, number>> = { Cassava: 4277, EuroSAT: 5400 };

/**
 * Figure 4's 95% intervals: the bootstrap intervals given with the table (xfer's own runs with
 * stored predictions, any task), and Clopper-Pearson intervals of the published accuracies of
 * the datasets whose evaluation-set size is known, for cells without a bootstrap interval.
 */
function figureIntervals(table: ResultsTable, datasets: readonly DatasetName[], bootstrapped: readonly CellInterval[]) {
  const rowOf = new Map(table.rows.map((row) => [row.model, row]));
  const cells = bootstrapped.filter((i) => rowOf.get(i.model)?.values[i.task] !== undefined);
  const has = new Set(cells.map((i) => `${i.task}\u0000${i.model}`));
  if (table.x === IMAGENET_COLUMN) {
    for (const dataset of datasets) {
      const n = EVAL_SIZES[dataset];
      if (n === undefined) continue;
      for (const row of table.rows) {
        const value = row.values[dataset];
        if (value !== undefined && !has.has(`${dataset}\u0000${row.model}`)) cells.push(clopperPearsonInterval(dataset, row.model, value, n));
      }
    }
  }
  return cells
    .filter((i) => rowOf.get(i.model)!.descriptors[table.x] !== undefined)
    .map((i) => ({ ...i, dataset: i.task, x: rowOf.get(i.model)!.descriptors[table.x] }));
}

function intervalsTable(intervals: ReturnType<typeof figureIntervals>): ReportTable {
  return {
    key: "accuracy_ci",
    title: "95% intervals (0-100): percentile bootstrap of the run's stored predictions (resamples given), else Clopper-Pearson of a published accuracy from the evaluation-set size (correct = round(accuracy × n))",
    rowLabel: "dataset / model",
    columns: [{ key: "value", label: "value" }, { key: "n", label: "n" }, { key: "lower", label: "lower" }, { key: "upper", label: "upper" }, { key: "resamples", label: "bootstrap resamples" }],
    rows: intervals.map((i) => ({
      key: `${i.task} / ${i.model}`,
      cells: { value: cell(i.value, null), n: cell(i.n, null), lower: cell(i.lower, null), upper: cell(i.upper, null), resamples: cell(i.resamples ?? null, null) },
    })),
  };
}

function errorBarFigure(intervals: ReturnType<typeof figureIntervals>, xColumn: string): Figure {
  const x = { field: "x", type: "quantitative", title: xColumn === IMAGENET_COLUMN ? "ImageNet top-1 (%)" : xColumn, scale: { zero: false } };
  return {
    key: "figure4",
    title: "Metric with 95% intervals",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: "Metric (0-100) with 95% intervals (bootstrap of stored predictions, or Clopper-Pearson from the evaluation-set size)",
      data: { values: intervals.map((i) => ({ ...i })) },
      facet: { field: "dataset", type: "nominal", title: null },
      columns: 2,
      resolve: { scale: { y: "independent" } },
      spec: {
        width: 260, height: 200,
        layer: [
          { mark: { type: "rule" }, encoding: { x, y: { field: "lower", type: "quantitative", title: "metric (0-100)", scale: { zero: false } }, y2: { field: "upper" } } },
          { mark: { type: "point", filled: true, size: 30 }, encoding: { x, y: { field: "value", type: "quantitative" }, tooltip: [{ field: "model" }, { field: "value" }, { field: "lower" }, { field: "upper" }, { field: "method" }] } },
        ],
      },
    },
  };
}

export function analyzeTrends(input: AnalysisInput) {
  if (input.results === undefined && input.x !== undefined && input.x !== IMAGENET_COLUMN) {
    throw new XferError(`--x ${input.x}: the embedded Table 4 has only "${IMAGENET_COLUMN}"; pass --results FILE with a "${input.x}" column`);
  }
  const given = input.results ?? fromPrinted(EMBEDDED, TABLE4);
  // Table 16's extras in your table (by id or the paper's name): Table 2 and Figure 1 are over the
  // other models, Table 15 and Figure 11 over all of them.
  const extras = given.rows.filter((r) => isAppendixModel(r.model));
  const table = extras.length === 0 ? given : { ...given, rows: given.rows.filter((r) => !isAppendixModel(r.model)) };
  const threshold = input.threshold === undefined ? defaultThreshold(table.x) : input.threshold ?? undefined;
  const trends = taskTrends(table, threshold);
  // The published cells are statistics over ImageNet top-1 above 70%: they compare only there.
  const paperApplies = table.x === IMAGENET_COLUMN && threshold === THRESHOLD;
  const paper = paperApplies ? paperTrends(trends) : new Map<DatasetName, TaskTrend>();
  const tables: ReportTable[] = [];
  if (paper.size > 0) tables.push(table2(input.results, paper));
  tables.push(trendsTable(
    "trends",
    `Fits behind Figure 1 (not printed in the paper): metric (0-100) on ${table.x}${threshold === undefined ? ", over all models" : `, above ${threshold} and over all models`}`,
    trends,
    threshold,
  ));
  const figures: Figure[] = [trendFigure(trends, { key: "figure1", title: "Figure 1", x: table.x, threshold })];
  const notes: string[] = [...trendNotes(table, threshold), scaleNotes(table)];
  const comparison = input.compare === undefined ? undefined : axisComparison(table, trends, input.by ?? [], input.compare, input.seed);
  if (comparison !== undefined) {
    tables.push(comparison.table);
    notes.push(...comparison.verdicts);
  }
  if (!paperApplies && trends.some((t) => isPaperDataset(t.task.name))) {
    notes.push(`The published cells (Tables 2 and 15) and the paper's claims are statistics on ${IMAGENET_COLUMN} above ${THRESHOLD}%; with x = ${table.x} and threshold ${threshold ?? "none"} they are not compared.`);
  }
  const intervals = figureIntervals(table, [...paper.keys()], input.intervals ?? []);
  if (intervals.length > 0) {
    tables.push(intervalsTable(intervals));
    figures.push(errorBarFigure(intervals, table.x));
    const bootstrapped = new Set(intervals.filter((i) => i.method === "bootstrap").map((i) => i.task));
    if (bootstrapped.size > 0) notes.push(`Intervals of ${[...bootstrapped].sort().join(", ")} are percentile bootstraps of the runs' stored test predictions (core/analysis/intervals.ts).`);
    if (intervals.some((i) => i.method === "clopper-pearson")) {
      notes.push(
        `Clopper-Pearson intervals of published accuracies use the reference code's evaluation-set sizes (${Object.entries(EVAL_SIZES).map(([d, n]) => `${d} ${n}`).join(", ")}); ` +
          "CCT20 has no size among the reference facts, and the 0-1 metrics (QWK, macro F1, ROC AUC) need per-example predictions for a bootstrap, which a published table does not hold.",
      );
    }
  }
  if (paper.size > 0 && (input.results === undefined || extras.length > 0)) {
    const extended = input.results ?? fromPrinted("paper Tables 4 + 16 (25 models), as printed", [...TABLE4, ...TABLE16]);
    const trends15 = taskTrends(extended, THRESHOLD);
    tables.push(table15(paperTrends(trends15)));
    tables.push(trendsTable("trends_table4_16", `Fits behind Figure 11 (Tables 4 + 16${input.results === undefined ? "" : ": your table"}, not printed)`, trends15, THRESHOLD));
    figures.push(trendFigure(trends15, { key: "figure11", title: "Figure 11", x: IMAGENET_COLUMN, threshold: THRESHOLD }));
    if (input.results !== undefined) {
      notes.push(`Table 16's models in your table (${extras.map((r) => r.model).join(", ")}) are left out of Table 2 and Figure 1 and included in Table 15 and Figure 11.`);
    }
  } else if (paper.size > 0) {
    notes.push("No Table 16 model in your table (by catalog id or the paper's name, e.g. tinynet_e.in1k or TinyNet e), so no Table 15: `xfer results imagenet-transfer imagenet-transfer-appendix --csv FILE` exports both recipes' runs.");
  }
  // Your table as read (x and each task on its scale), so a surprising fit can be traced to its input.
  if (input.results !== undefined) tables.push(resultsReportTable(table));
  return buildReport({
    recipe: "transfer-trends",
    title: paper.size > 0 ? "Transfer trends: Figure 1, Tables 2 and 15" : `Transfer trends: each task's metric on ${table.x}`,
    source: table.source,
    tables,
    claims: paper.size > 0 ? claims(table, paper) : [],
    figures,
    notes,
    extra: {
      x: table.x, threshold: threshold ?? null, flatSlope: FLAT_SLOPE,
      ...(comparison === undefined ? {} : { comparison: { ...input.compare!, resamples: comparison.resamples, verdicts: [...comparison.verdicts] } }),
    },
  });
}

export default defineAnalysisRecipe({
  name: "transfer-trends",
  description: "Figure 1, Tables 2 and 15: correlation and slope of each task's metric on ImageNet top-1 (or any --x column)",
  analyze: analyzeTrends,
});
