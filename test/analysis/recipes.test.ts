// The analysis recipes on the embedded published tables: statistics equal scipy/statsmodels on the
// same inputs (fixtures/parity/analysis, from fixtures/generators/analysis-parity.py), each cell's
// match flag follows from the printed precision, and the outcome equals recipes/*/expected.json.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromPrinted, matchesPrinted, type AnalysisReport, type Cell } from "../../core/analysis/index.ts";
import { TABLE16, TABLE4 } from "../../fixtures/paper/fang2023.ts";
import { clipTransferAnalysis as clipTransfer } from "../../recipes/clip-transfer/recipe.ts";
import modelRankings from "../../recipes/model-rankings/recipe.ts";
import realWorldAverage from "../../recipes/real-world-average/recipe.ts";
import transferTrends from "../../recipes/transfer-trends/recipe.ts";

type Stats = Record<string, Record<string, number>>;
const parity = JSON.parse(readFileSync(new URL("../../fixtures/parity/analysis/fang2023.json", import.meta.url), "utf8")) as Record<string, Stats>;

function expected(name: string) {
  return JSON.parse(readFileSync(new URL(`../../recipes/${name}/expected.json`, import.meta.url), "utf8")) as {
    matches: Record<string, Record<string, Record<string, boolean | null>>>;
    claims: Record<string, boolean>;
  };
}

function table(report: AnalysisReport, key: string) {
  const t = report.tables.find((x) => x.key === key);
  if (!t) throw new Error(`no table ${key}`);
  return t;
}

function cellOf(report: AnalysisReport, key: string, row: string, column: string): Cell {
  const c = table(report, key).rows.find((r) => r.key === row)?.cells[column];
  if (!c) throw new Error(`no cell ${key}/${row}/${column}`);
  return c;
}

/** Relative 1e-9 (absolute 1e-12 near zero): the same numbers, up to floating-point evaluation order. */
function expectClose(actual: number | null, reference: number, what: string) {
  expect(actual, what).not.toBeNull();
  expect(Math.abs(actual! - reference), `${what}: ${actual} vs ${reference}`).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(reference));
}

/** Checks values against scipy and each published cell's flag against the scipy value's rounding. */
function checkAgainstParity(report: AnalysisReport, key: string, reference: Stats, columns: Record<string, string>) {
  for (const [dataset, values] of Object.entries(reference)) {
    for (const [column, refKey] of Object.entries(columns)) {
      const c = cellOf(report, key, dataset, column);
      expectClose(c.recomputed, values[refKey], `${key} ${dataset} ${column}`);
      if (c.published !== null) expect(c.match, `${key} ${dataset} ${column} flag`).toBe(matchesPrinted(values[refKey], c.published));
    }
  }
}

function outcome(report: AnalysisReport) {
  const matches: Record<string, Record<string, Record<string, boolean | null>>> = {};
  for (const t of report.tables) {
    for (const row of t.rows) {
      for (const [column, c] of Object.entries(row.cells)) {
        if (c.published === null) continue;
        ((matches[t.key] ??= {})[row.key] ??= {})[column] = c.match;
      }
    }
  }
  return { matches, claims: Object.fromEntries(report.claims.map((c) => [c.key, c.holds])) };
}

function mismatchesHaveReasons(report: AnalysisReport) {
  for (const t of report.tables) {
    for (const row of t.rows) {
      for (const [column, c] of Object.entries(row.cells)) {
        if (c.match === false) expect(c.reason, `${t.key} ${row.key} ${column}`).toMatch(/\w/);
      }
    }
  }
}

describe("transfer-trends", async () => {
  const report = await transferTrends.analyze({ seed: 0 });
  it("Table 2 and Table 15 equal scipy.stats.pearsonr / statsmodels OLS", () => {
    checkAgainstParity(report, "table2", parity.table2_above70, { correlation: "r", slope: "slope" });
    checkAgainstParity(report, "table15", parity.table15_above70, { correlation: "r", slope: "slope" });
    checkAgainstParity(report, "trends", parity.table2_above70, { r_above: "r", p_above: "p", slope_above: "slope", n_above: "n" });
    checkAgainstParity(report, "trends", parity.trends_all_table4, { r_all: "r", p_all: "p", slope_all: "slope", n_all: "n" });
    checkAgainstParity(report, "trends_table4_16", parity.trends_all_table4_16, { r_all: "r", slope_all: "slope" });
  });
  it("reports the outcome in expected.json, with a reason for every mismatch", () => {
    expect(outcome(report)).toEqual({ matches: expected("transfer-trends").matches, claims: expected("transfer-trends").claims });
    mismatchesHaveReasons(report);
    // Melanoma cells carry the known Table 4 discrepancy; an unmatched CCT20 cell does not.
    expect(cellOf(report, "table2", "Melanoma", "correlation").reason).toMatch(/Melanoma or Cassava/);
    expect(cellOf(report, "table15", "CCT20", "correlation").reason).toMatch(/^unexplained/);
    expect(cellOf(report, "table2", "HPA", "correlation")).toMatchObject({ published: null, match: null, reason: expect.stringMatching(/not recoverable/) });
  });
  it("on a results table with Table 16's models (by id or name), Table 2 leaves them out and Table 15 takes all 25", async () => {
    const rows = [...TABLE4, ...TABLE16.map((r) => ({ ...r, model: r.model === "TinyNet e" ? "tinynet_e.in1k" : r.model }))];
    const mine = await transferTrends.analyze({ seed: 0, results: fromPrinted("mine.csv", rows) });
    for (const key of ["table2", "table15"]) {
      for (const row of table(report, key).rows) {
        for (const column of ["correlation", "slope"]) expect(cellOf(mine, key, row.key, column).recomputed, `${key} ${row.key} ${column}`).toBe(cellOf(report, key, row.key, column).recomputed);
      }
    }
    expect(mine.figures.map((f) => f.key)).toContain("figure11");
    expect(mine.notes.join("\n")).toContain("Table 16's models in your table (tinynet_e.in1k, DLA46 c, DLA46x c, TinyNet d, SWIN Base, CAFormer B36) are left out of Table 2");
    const only4 = await transferTrends.analyze({ seed: 0, results: fromPrinted("t4.csv", TABLE4) });
    expect(only4.tables.map((t) => t.key)).not.toContain("table15");
  });

  it("Figure 4's Clopper-Pearson intervals equal scipy.stats.beta quantiles", () => {
    const ci = parity.accuracy_ci as unknown as Record<string, Record<string, [number, number]>>;
    for (const [dataset, byModel] of Object.entries(ci)) {
      for (const [model, [lower, upper]] of Object.entries(byModel)) {
        expectClose(cellOf(report, "accuracy_ci", `${dataset} / ${model}`, "lower").recomputed, lower, `${dataset} ${model} lower`);
        expectClose(cellOf(report, "accuracy_ci", `${dataset} / ${model}`, "upper").recomputed, upper, `${dataset} ${model} upper`);
      }
    }
    expect(report.figures.map((f) => f.key)).toEqual(["figure1", "figure4", "figure11"]);
  });
  it("keys report.json by table and dataset", () => {
    expect(Object.keys(report.json)).toEqual(expect.arrayContaining(["table2", "table15"]));
    expect(report.json.table2).toHaveProperty("CCT20.slope.published", "0.11");
  });
});

describe("real-world-average", async () => {
  const report = await realWorldAverage.analyze({ seed: 0 });
  it("Table 12 equals statsmodels OLS + compare_f_test; Table 13 equals scipy.stats.spearmanr", () => {
    const t12 = ["F_plus_avg", "p_plus_avg", "F_plus_imagenet", "p_plus_imagenet", "adjR2_imagenet_only", "adjR2_average_only", "adjR2_both"];
    checkAgainstParity(report, "table12", parity.table12, Object.fromEntries(t12.map((c) => [c, c])));
    const t13 = ["rho_avg5_unnormalized", "p_avg5_unnormalized", "rho_avg5_normalized", "p_avg5_normalized", "rho_imagenet", "p_imagenet"];
    checkAgainstParity(report, "table13", parity.table13, Object.fromEntries(t13.map((c) => [c, c])));
  });
  it("reports the outcome in expected.json, with a reason for every mismatch", () => {
    expect(outcome(report)).toEqual({ matches: expected("real-world-average").matches, claims: expected("real-world-average").claims });
    mismatchesHaveReasons(report);
  });
});

describe("model-rankings", async () => {
  const report = await modelRankings.analyze({ seed: 0 });
  it("Kendall tau-b and Spearman rho with p equal scipy.stats on Table 4", () => {
    checkAgainstParity(report, "agreement", parity.rankings_imagenet_vs, {
      kendall_tau: "kendall_tau", kendall_p: "kendall_p", rho_imagenet: "spearman_rho", p_imagenet: "spearman_p",
    });
    checkAgainstParity(report, "agreement", parity.trends_all_table4, { adjR2: "adjR2", slope: "slope" });
  });
  it("reports the outcome in expected.json; ranks and relative improvements are per model", () => {
    expect(outcome(report).matches).toEqual(expected("model-rankings").matches);
    expect(report.json.baseline).toBe("AlexNet");
    expect(cellOf(report, "ranks", "AlexNet", "ImageNet").recomputed).toBe(19);
    expect(cellOf(report, "ranks", "EfficientNet B4", "ImageNet").recomputed).toBe(1);
    expect(cellOf(report, "relative_improvement", "AlexNet", "CCT20").recomputed).toBe(0);
    expectClose(cellOf(report, "relative_improvement", "ResNet-50", "ImageNet").recomputed, (100 * (76.1 - 56.5)) / 56.5, "ResNet-50 over AlexNet");
  });
});

describe("clip-transfer", async () => {
  const report = await clipTransfer.analyze({ seed: 0 });
  it("checks Section 5.2's claims", () => {
    expect(outcome(report).claims).toEqual(expected("clip-transfer").claims);
    expectClose(cellOf(report, "clip_margin", "CLIP-L14@336", "CCT20").recomputed, 83.17 - 78.51, "L14@336 over ConvNext-tiny on CCT20");
    expectClose(cellOf(report, "table9_difference", "ResNet-50", "HPA").recomputed, 100 * (0.7053 - 0.6718), "RN50 HPA");
  });
});
