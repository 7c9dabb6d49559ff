// The trend report's intervals: the OLS slope's t interval and Pearson r's Fisher z interval
// against scipy/statsmodels (fixtures/generators/trend-ci-parity.py), and the comparison of a
// kept axis's values (correlation differences with a paired bootstrap over models) on results
// tables whose answer is known.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fitTrend, parseResultsTable, type AnalysisReport } from "../../core/analysis/index.ts";
import { compareCorrelations, MIN_FISHER_N, SeedTree } from "../../plugins/index.ts";
import transferTrends from "../../recipes/transfer-trends/recipe.ts";

interface ParityCase {
  readonly name: string;
  readonly x: number[];
  readonly y: number[];
  readonly slope: number;
  readonly stderr: number;
  readonly slope_lower: number;
  readonly slope_upper: number;
  readonly r: number;
  readonly r_lower?: number;
  readonly r_upper?: number;
}

const PARITY: { cases: ParityCase[] } = JSON.parse(readFileSync(join(import.meta.dirname, "../../fixtures/parity/stats/trend-ci.json"), "utf8"));

function close(actual: number | undefined, expected: number, rel = 1e-9) {
  expect(actual).toBeDefined();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
}

describe("trend intervals against scipy and statsmodels", () => {
  it.each(PARITY.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const t = fitTrend(c.x, c.y);
    close(t.slope, c.slope);
    close(t.slopeSe, c.stderr);
    close(t.slopeInterval.lower, c.slope_lower);
    close(t.slopeInterval.upper, c.slope_upper);
    close(t.r, c.r);
    if (c.r_lower === undefined) {
      expect(c.x.length).toBeLessThan(MIN_FISHER_N);
      expect(t.rInterval).toBeUndefined();
    } else {
      close(t.rInterval?.lower, c.r_lower);
      close(t.rInterval?.upper, c.r_upper!);
    }
  });
});

/** A results table with columns `<task>/<transfer>` as xfer results --by transfer writes it. */
function table(header: string[], rows: (string | number)[][]) {
  return parseResultsTable({ source: "hand.csv", header, records: rows.map((r) => r.map(String)) }, { x: "upstream_accuracy" });
}

// Eight models: logistic-regression exactly linear in x; fine-tuning with large noise around a weak trend.
const X = [60, 63, 66, 70, 72, 75, 79, 83];
const NOISE = [9, -8, 7, -10, 8, -6, 10, -9];
const HEADER = ["model", "upstream_accuracy", "new/finetune", "new/logistic-regression", "few/finetune", "few/logistic-regression", "thin/finetune", "thin/logistic-regression"];
const ROWS = X.map((x, i) => [
  `m${i}`, x,
  70 + 0.1 * x + NOISE[i], 20 + 0.8 * x,
  // "few": both modes the same exact line: no difference to find.
  10 + 0.5 * x, 10 + 0.5 * x,
  // "thin": only three models have fine-tuning results.
  i < 3 ? 50 + x / 10 : "", 30 + x / 2,
]);

function analyze(seed: number): Promise<AnalysisReport> | AnalysisReport {
  return transferTrends.analyze({ results: table(HEADER, ROWS), seed, by: ["transfer"], compare: { axis: "transfer", reference: "finetune" } });
}

describe("comparison of a kept axis's values", () => {
  it("finds the perfectly linear mode tracking x more closely, no difference between equal modes, and says why a thin pair is not compared", async () => {
    const report = await analyze(7);
    const compare = report.json.compare_transfer as Record<string, Record<string, { recomputed: number | null; reason?: string }>>;
    const linear = compare["new: logistic-regression - finetune"];
    expect(linear.n.recomputed).toBe(8);
    expect(linear.r_other.recomputed).toBeCloseTo(1, 12);
    expect(linear.r_diff.recomputed).toBeCloseTo(1 - linear.r_reference.recomputed!, 12);
    expect(linear.r_diff_lo.recomputed).toBeGreaterThan(0);
    expect(linear.rho_diff_lo.recomputed).toBeGreaterThan(0);
    const same = compare["few: logistic-regression - finetune"];
    expect([same.r_diff.recomputed, same.r_diff_lo.recomputed, same.r_diff_hi.recomputed]).toEqual([0, 0, 0]);
    expect(compare["thin: logistic-regression - finetune"].r_diff.reason).toBe("3 model(s) have both finetune and logistic-regression values; a comparison needs at least 4");
    expect(report.json.comparison).toMatchObject({ axis: "transfer", reference: "finetune", resamples: 10_000 });
    const verdicts = (report.json.comparison as { verdicts: string[] }).verdicts;
    expect(verdicts[0]).toMatch(/^new, logistic-regression vs finetune over 8 models: Pearson r higher with logistic-regression than with finetune \(.*excludes 0\); Spearman ρ higher/);
    expect(verdicts[1]).toMatch(/no clear difference in Pearson r \(0\.000, 95% CI \[0\.000, 0\.000\], includes 0\)/);
    expect(verdicts[2]).toMatch(/^thin, logistic-regression vs finetune: not compared: 3 model\(s\)/);
    // The fits behind Figure 1 carry their intervals.
    const trends = report.json.trends as Record<string, Record<string, { recomputed: number | null; reason?: string }>>;
    expect(trends["new/logistic-regression"].slope_lo_all.recomputed).toBeCloseTo(0.8, 9);
    expect(trends["thin/finetune"].r_lo_all.reason).toBe("the Fisher z interval of r needs at least 4 models, the fit has 3");
  });

  it("is determined by the seed: the same seed gives the same intervals, another seed other ones", async () => {
    const pick = (r: AnalysisReport) => JSON.stringify((r.json.compare_transfer as Record<string, unknown>)["new: logistic-regression - finetune"]);
    expect(pick(await analyze(7))).toBe(pick(await analyze(7)));
    expect(pick(await analyze(7))).not.toBe(pick(await analyze(8)));
  });

  it("compareCorrelations draws again a resample on which x is constant, and refuses constant data", () => {
    const x = [1, 2, 3, 4], a = [1, 3, 2, 4], b = [1, 2, 3, 4];
    const result = compareCorrelations(x, a, b, { seed: new SeedTree(1).stream("test"), resamples: 500 });
    // Four models: a resample is constant with probability 4 / 4^4; some of 500 are.
    expect(result.redrawn).toBeGreaterThan(0);
    expect(result.r.difference).toBeCloseTo(1 - 0.8, 12);
    expect(() => compareCorrelations(x, [5, 5, 5, 5], b, { seed: 1 })).toThrow(/the reference metric is constant/);
  });

  it("refuses a comparison axis the table did not keep, and a column without a value of each kept axis", () => {
    const results = table(HEADER, ROWS);
    expect(() => transferTrends.analyze({ results, seed: 0, by: ["augment"], compare: { axis: "transfer", reference: "finetune" } }))
      .toThrow('hand.csv: the comparison\'s axis "transfer" is not among the kept axes (--by augment)');
    const flat = table(["model", "upstream_accuracy", "new"], X.map((x, i) => [`m${i}`, x, x]));
    expect(() => transferTrends.analyze({ results: flat, seed: 0, by: ["transfer"], compare: { axis: "transfer", reference: "finetune" } }))
      .toThrow('hand.csv: column "new" does not name a value of each kept axis: expected <task>/<transfer>');
  });
});
