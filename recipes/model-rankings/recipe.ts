/**
 * ImageNot-style comparison (Salaudeen & Hardt) of ImageNet top-1 with each dataset column: model
 * rankings, Kendall tau-b and Spearman rho with p-values, relative improvement over a baseline
 * model, and the linear fit's slope and adjusted R^2. Spearman rho with ImageNet is also Table 13's
 * last two columns, so those cells are compared with the paper.
 */
import {
  buildReport, cell, column, DATASETS, defineAnalysisRecipe, paperTable, expectedReason, fitTrend, fromPrinted, toPercent,
  type AnalysisInput, type DatasetName, type Figure, type ReportTable, type PaperTable,
} from "../../core/analysis/index.ts";
import type { JsonObject } from "../../core/contracts.ts";
import { withStatisticsContext } from "../../core/errors.ts";
import { kendallTau, rankAverage, spearman } from "../../core/stats/index.ts";
import { TABLE13, TABLE4 } from "../../fixtures/paper/fang2023.ts";

const EMBEDDED = "paper Table 4 (19 ImageNet models), as printed";

/** The baseline of the relative improvements: the model with the lowest ImageNet top-1 (AlexNet in Table 4). */
export function baselineModel(table: PaperTable): string {
  return table.rows.reduce((a, b) => (b.imagenetTop1 < a.imagenetTop1 ? b : a)).model;
}

/** Rank 1 = best (highest value); ties share their average rank. */
function ranksDescending(values: readonly number[]): number[] {
  return Array.from(rankAverage(values.map((v) => -v)));
}

function agreementTable(results: { readonly source: string } | undefined, table: PaperTable): ReportTable {
  const x = table.rows.map((r) => r.imagenetTop1);
  return {
    key: "agreement",
    title: "Agreement of each dataset with ImageNet top-1 (Spearman columns = Table 13's ImageNet columns)",
    rowLabel: "dataset",
    columns: [
      { key: "kendall_tau", label: "Kendall τ-b" }, { key: "kendall_p", label: "p τ" },
      { key: "rho_imagenet", label: "Spearman ρ" }, { key: "p_imagenet", label: "p ρ" },
      { key: "slope", label: "slope (0-100 on %)" }, { key: "adjR2", label: "adj. R²" },
    ],
    rows: table.datasets.map((d) => withStatisticsContext(`${table.source}, dataset ${d} against ImageNet top-1`, () => {
      const y = column(table, d);
      const k = kendallTau(x, y);
      const s = spearman(x, y);
      const fit = fitTrend(x, y.map((v) => toPercent(d, v)));
      const why = expectedReason(results, [d]);
      return {
        key: d,
        cells: {
          kendall_tau: cell(k.tau, null), kendall_p: cell(k.p, null),
          rho_imagenet: cell(s.rho, TABLE13[d].rho_imagenet, why),
          p_imagenet: cell(s.p, TABLE13[d].p_imagenet, why),
          slope: cell(fit.slope, null), adjR2: cell(fit.adjR2, null),
        },
      };
    })),
  };
}

function perModelTable(key: string, title: string, table: PaperTable, value: (column: "ImageNet" | DatasetName) => number[]): ReportTable {
  const columns = ["ImageNet", ...table.datasets] as const;
  const byColumn = new Map(columns.map((c) => [c, value(c)] as const));
  return {
    key,
    title,
    rowLabel: "model",
    columns: columns.map((c) => ({ key: c, label: c })),
    rows: table.rows.map((row, i) => ({ key: row.model, cells: Object.fromEntries(columns.map((c) => [c, cell(byColumn.get(c)![i], null)])) })),
  };
}

function rankFigure(table: PaperTable): Figure {
  const inRank = ranksDescending(table.rows.map((r) => r.imagenetTop1));
  const values: JsonObject[] = [];
  for (const d of table.datasets) {
    const r = ranksDescending(column(table, d));
    table.rows.forEach((row, i) => values.push({ dataset: d, model: row.model, imagenetRank: inRank[i], rank: r[i] }));
  }
  const n = table.rows.length;
  return {
    key: "figure-ranks",
    title: "Rankings",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: "Model rank on each dataset vs rank on ImageNet (1 = best; diagonal = same ranking)",
      data: { values },
      facet: { field: "dataset", type: "nominal", title: null, sort: [...table.datasets] },
      columns: 3,
      spec: {
        width: 180, height: 180,
        layer: [
          {
            data: { values: [{ a: 1, b: 1 }, { a: n, b: n }] },
            mark: { type: "line", color: "#999", strokeDash: [4, 3] },
            encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } },
          },
          {
            mark: { type: "point", filled: true, size: 35 },
            encoding: {
              x: { field: "imagenetRank", type: "quantitative", title: "ImageNet rank", scale: { domain: [1, n], reverse: true, nice: false } },
              y: { field: "rank", type: "quantitative", title: "dataset rank", scale: { domain: [1, n], reverse: true, nice: false } },
              tooltip: [{ field: "model" }, { field: "imagenetRank" }, { field: "rank" }],
            },
          },
        ],
      },
    },
  };
}

export function analyzeRankings(input: AnalysisInput) {
  const table = paperTable(input.results ?? fromPrinted(EMBEDDED, TABLE4), "model-rankings");
  const baseline = baselineModel(table);
  const at = table.rows.findIndex((r) => r.model === baseline);
  const raw = (c: "ImageNet" | DatasetName) => (c === "ImageNet" ? table.rows.map((r) => r.imagenetTop1) : column(table, c));
  const tables = [
    agreementTable(input.results, table),
    perModelTable("ranks", "Rank of each model per column (1 = best; ties share the average rank)", table, (c) => ranksDescending(raw(c))),
    perModelTable("relative_improvement", `Relative improvement over ${baseline} (lowest ImageNet top-1), in % of its value`, table, (c) => {
      const v = raw(c);
      return v.map((x) => (100 * (x - v[at])) / v[at]);
    }),
  ];
  return buildReport({
    recipe: "model-rankings",
    title: "Model rankings: ImageNet vs each dataset",
    source: table.source,
    tables,
    figures: [rankFigure(table)],
    notes: [
      "Kendall's p is exact without ties (n < 50) and asymptotic with ties, as scipy.stats.kendalltau; Spearman's p uses the t approximation.",
      `Datasets compared: ${table.datasets.join(", ")} (of ${DATASETS.join(", ")}).`,
    ],
    extra: { baseline },
  });
}

export default defineAnalysisRecipe({
  name: "model-rankings",
  description: "ImageNot-style rankings: Kendall τ, Spearman ρ, relative improvement and fit of each dataset vs ImageNet",
  analyze: analyzeRankings,
});
