/**
 * Tables 12 and 13 of Fang, Kornblith & Schmidt (2023), Appendix M.1: does the average of the
 * other five real-world datasets predict a dataset better than ImageNet does?
 *
 * Table 12: on logit-transformed metrics (as proportions), OLS of the target on ImageNet, on the
 * mean of the other five datasets' z-scored logits, and on both; nested F-tests (+Avg = both vs
 * ImageNet-only, +ImageNet = both vs average-only) and adjusted R^2.
 * Table 13: Spearman rho of the target with the unnormalized average (mean of the other five
 * metrics as proportions), the normalized average (mean of z-scored logits), and ImageNet.
 */
import {
  buildReport, cell, column, DATASETS, defineAnalysisRecipe, paperTable, expectedReason, fromPrinted, joinReasons, requireDatasets,
  toProportion,
  type AnalysisInput, type Claim, type DatasetName, type Figure, type ReportTable, type PaperTable, type TableRow,
} from "../../core/analysis/index.ts";
import type { JsonObject } from "../../core/contracts.ts";
import { withStatisticsContext } from "../../core/errors.ts";
import { logit, nestedFTest, ols, spearman } from "../../core/stats/index.ts";
import { PROSE, TABLE12, TABLE12_COLUMNS, TABLE12_NOTE, TABLE13, TABLE13_COLUMNS, TABLE13_NOTE, TABLE4 } from "../../fixtures/paper/fang2023.ts";

const EMBEDDED = "paper Table 4 (19 ImageNet models), as printed";
const ALPHA = 0.05;

/** z-score with the sample standard deviation; any common scale gives the same tests and ranks. */
function zscore(v: readonly number[]): number[] {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1));
  return v.map((x) => (x - m) / sd);
}

function meanColumns(columns: readonly (readonly number[])[]): number[] {
  return columns[0].map((_, i) => columns.reduce((a, c) => a + c[i], 0) / columns.length);
}

function logits(table: PaperTable, dataset: DatasetName): number[] {
  return column(table, dataset).map((v, i) => withStatisticsContext(`${table.source}, model "${table.rows[i].model}", dataset ${dataset}`, () => logit(toProportion(dataset, v))));
}

export interface TargetStats {
  readonly F_plus_avg: number; readonly p_plus_avg: number;
  readonly F_plus_imagenet: number; readonly p_plus_imagenet: number;
  readonly adjR2_imagenet_only: number; readonly adjR2_average_only: number; readonly adjR2_both: number;
  readonly rho_avg5_unnormalized: number; readonly p_avg5_unnormalized: number;
  readonly rho_avg5_normalized: number; readonly p_avg5_normalized: number;
  readonly rho_imagenet: number; readonly p_imagenet: number;
  /** The x values of the figure: normalized average and ImageNet logit; y: target logit. */
  readonly points: { model: string; imagenetLogit: number; averageZ: number; targetLogit: number }[];
}

export function targetStats(table: PaperTable, target: DatasetName): TargetStats {
  const others = DATASETS.filter((d) => d !== target);
  const imagenet = table.rows.map((row) => withStatisticsContext(`${table.source}, model "${row.model}", column "imagenet_top1"`, () => logit(toProportion("ImageNet", row.imagenetTop1))));
  const y = logits(table, target);
  const averageZ = meanColumns(others.map((d) => zscore(logits(table, d))));
  const averageRaw = meanColumns(others.map((d) => column(table, d).map((v) => toProportion(d, v))));
  const inOnly = ols(y, imagenet.map((v) => [v]));
  const avgOnly = ols(y, averageZ.map((v) => [v]));
  const both = ols(y, imagenet.map((v, i) => [v, averageZ[i]]));
  const plusAvg = nestedFTest(inOnly, both);
  const plusIn = nestedFTest(avgOnly, both);
  const raw = column(table, target);
  const un = spearman(raw, averageRaw);
  const no = spearman(raw, averageZ);
  const vsIn = spearman(raw, table.rows.map((row) => row.imagenetTop1));
  return {
    F_plus_avg: plusAvg.F, p_plus_avg: plusAvg.p, F_plus_imagenet: plusIn.F, p_plus_imagenet: plusIn.p,
    adjR2_imagenet_only: inOnly.adjR2, adjR2_average_only: avgOnly.adjR2, adjR2_both: both.adjR2,
    rho_avg5_unnormalized: un.rho, p_avg5_unnormalized: un.p,
    rho_avg5_normalized: no.rho, p_avg5_normalized: no.p,
    rho_imagenet: vsIn.rho, p_imagenet: vsIn.p,
    points: table.rows.map((row, i) => ({ model: row.model, imagenetLogit: imagenet[i], averageZ: averageZ[i], targetLogit: y[i] })),
  };
}

const IMAGENET_ONLY = ["adjR2_imagenet_only", "rho_imagenet", "p_imagenet"];

/** Datasets a cell's computation reads: the target, plus the other five for anything with the average. */
function involved(target: DatasetName, columnKey: string): DatasetName[] {
  return IMAGENET_ONLY.includes(columnKey) ? [target] : [...DATASETS];
}

const LABELS: Record<string, string> = {
  F_plus_avg: "F +Avg", p_plus_avg: "p +Avg", F_plus_imagenet: "F +ImageNet", p_plus_imagenet: "p +ImageNet",
  adjR2_imagenet_only: "adj.R² ImageNet", adjR2_average_only: "adj.R² Avg", adjR2_both: "adj.R² both",
  rho_avg5_unnormalized: "ρ Avg5 unnorm.", p_avg5_unnormalized: "p Avg5 unnorm.", rho_avg5_normalized: "ρ Avg5 norm.",
  p_avg5_normalized: "p Avg5 norm.", rho_imagenet: "ρ ImageNet", p_imagenet: "p ImageNet",
};

function buildTable(
  key: "table12" | "table13",
  results: { readonly source: string } | undefined,
  stats: Map<DatasetName, TargetStats>,
): ReportTable {
  const columns = key === "table12" ? TABLE12_COLUMNS : TABLE13_COLUMNS;
  const published = key === "table12" ? TABLE12 : TABLE13;
  const rows: TableRow[] = [...stats].map(([dataset, s]) => ({
    key: dataset,
    cells: Object.fromEntries(columns.map((c) => {
      const known = expectedReason(results, involved(dataset, c));
      const inconsistent = results === undefined && isInconsistent(key, dataset, c) ? `published cell is internally inconsistent: ${key === "table12" ? TABLE12_NOTE : TABLE13_NOTE}` : undefined;
      const printed = (published[dataset] as Record<string, string>)[c];
      return [c, cell(s[c as keyof TargetStats] as number, printed, joinReasons(inconsistent, known))];
    })),
  }));
  return {
    key,
    title: key === "table12"
      ? "Table 12: nested F-tests (df 1, n-3) and adjusted R² on logits; Avg = mean of the other five datasets' z-scored logits"
      : "Table 13: Spearman ρ (p) with the average of the other five datasets and with ImageNet",
    rowLabel: "dataset",
    columns: columns.map((c) => ({ key: c, label: LABELS[c] })),
    rows,
  };
}

/** Cells the reference transcription flags as inconsistent with the rest of their own row. */
function isInconsistent(key: string, dataset: DatasetName, columnKey: string): boolean {
  return (key === "table12" && dataset === "EuroSAT" && columnKey.startsWith("adjR2")) ||
    (key === "table12" && dataset === "EuroSAT" && columnKey.endsWith("plus_imagenet")) ||
    (key === "table13" && dataset === "Melanoma" && columnKey === "p_avg5_normalized");
}

function claims(stats: Map<DatasetName, TargetStats>): Claim[] {
  const sigAvg = [...stats].filter(([, s]) => s.p_plus_avg < ALPHA).map(([d]) => d);
  const sigIn = [...stats].filter(([, s]) => s.p_plus_imagenet < ALPHA).map(([d]) => d);
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
  return [
    {
      key: "plus_avg_significant",
      statement: `App. M.1: ${PROSE.plusAvgSignificant}`,
      holds: same(sigAvg, DATASETS.filter((d) => d !== "EuroSAT")),
      detail: `p(+Avg) < ${ALPHA} on ${sigAvg.length}/6: ${sigAvg.join(", ") || "none"}`,
    },
    {
      key: "plus_imagenet_significant",
      statement: `App. M.1: ${PROSE.plusImageNetSignificant}`,
      holds: same(sigIn, ["APTOS", "Melanoma"]),
      detail: `p(+ImageNet) < ${ALPHA} on ${sigIn.length}/6: ${sigIn.join(", ") || "none"}`,
    },
  ];
}

/** Logit-scaled scatter: each dataset against ImageNet and against the average of the other five. */
function figure(stats: Map<DatasetName, TargetStats>): Figure {
  const values: JsonObject[] = [];
  for (const [dataset, s] of stats) {
    for (const p of s.points) {
      values.push({ dataset, predictor: "imagenet", x: p.imagenetLogit, y: p.targetLogit, model: p.model });
      values.push({ dataset, predictor: "average", x: p.averageZ, y: p.targetLogit, model: p.model });
    }
  }
  // Logit axes are labelled with the proportion they stand for; the z-scored average has no such scale.
  const asProportion = "format(1 / (1 + exp(-datum.value)), '.3~f')";
  const panel = (predictor: string, title: string, labelExpr?: string): JsonObject => ({
    transform: [{ filter: `datum.predictor === '${predictor}'` }],
    facet: { row: { field: "dataset", type: "nominal", title: null, sort: [...stats.keys()] } },
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 200,
      height: 130,
      layer: [
        { mark: { type: "point", filled: true, size: 25 }, encoding: {
          x: { field: "x", type: "quantitative", scale: { zero: false }, title, ...(labelExpr ? { axis: { labelExpr } } : {}) },
          y: { field: "y", type: "quantitative", scale: { zero: false }, title: "metric (logit axis)", axis: { labelExpr: asProportion } },
          tooltip: [{ field: "model" }],
        } },
        { mark: { type: "line", color: "#d62728" }, transform: [{ regression: "y", on: "x" }], encoding: {
          x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" },
        } },
      ],
    },
  });
  return {
    key: "figure-m1",
    title: "Appendix M.1 predictors",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: "Each dataset's metric vs ImageNet top-1 and vs the average of the other five (logit axes, OLS lines)",
      data: { values },
      hconcat: [
        panel("imagenet", "ImageNet top-1 (logit axis)", asProportion),
        panel("average", "average of the other five (mean of z-scored logits)"),
      ],
    },
  };
}

export function analyzeRealWorldAverage(input: AnalysisInput) {
  const table = paperTable(input.results ?? fromPrinted(EMBEDDED, TABLE4), "real-world-average");
  requireDatasets(table, DATASETS, "real-world-average");
  const stats = new Map(DATASETS.map((d) => [d, withStatisticsContext(`${table.source}, target dataset ${d}`, () => targetStats(table, d))] as const));
  return buildReport({
    recipe: "real-world-average",
    title: "Real-world average: Tables 12 and 13",
    source: table.source,
    tables: [buildTable("table12", input.results, stats), buildTable("table13", input.results, stats)],
    claims: claims(stats),
    figures: [figure(stats)],
    notes: [
      "Every Table 12 cell and every average-based Table 13 cell reads all six datasets, so Melanoma and Cassava enter each of them.",
      "Metrics are converted to proportions (accuracies / 100) before the logit; ImageNet top-1 likewise.",
    ],
  });
}

export default defineAnalysisRecipe({
  name: "real-world-average",
  description: "Tables 12 and 13: nested F-tests, adjusted R² and Spearman ρ of each dataset vs ImageNet and vs the other five",
  analyze: analyzeRealWorldAverage,
});
