// Matching a recomputed value against a printed cell at its printed precision.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildReport, cell, countMatches, matchesPrinted, printedPrecision, type ReportTable } from "../../core/analysis/index.ts";

const SEED = 6_2027;

describe("printed precision", () => {
  it("counts printed decimals", () => {
    expect(printedPrecision("0.0000")).toBe(4);
    expect(printedPrecision("8.2")).toBe(1);
    expect(printedPrecision("31")).toBe(0);
    expect(printedPrecision("0.00004")).toBe(5);
    expect(() => printedPrecision("<0.001")).toThrow(/not a printed decimal/);
  });

  it("matches exactly the values that round to the printed cell", () => {
    expect(matchesPrinted(0.1674, "0.17")).toBe(true);
    expect(matchesPrinted(0.1649, "0.17")).toBe(false);
    expect(matchesPrinted(0.00003, "0.0000")).toBe(true); // "0.0000" is p < 0.00005
    expect(matchesPrinted(0.00006, "0.0000")).toBe(false);
    expect(matchesPrinted(Number.NaN, "0.1")).toBe(false);
  });

  it("a value within half a unit of the last printed digit matches; beyond it does not (property)", () => {
    const printed = fc.tuple(fc.integer({ min: -99999, max: 99999 }), fc.integer({ min: 0, max: 5 }))
      .map(([digits, decimals]) => (digits / 10 ** decimals).toFixed(decimals));
    fc.assert(fc.property(printed, fc.double({ min: -0.999, max: 0.999, noNaN: true }), (text, u) => {
      const half = 0.5 * 10 ** -printedPrecision(text);
      expect(matchesPrinted(Number(text) + u * half, text)).toBe(true);
      const outside = Number(text) + Math.sign(u || 1) * (1.001 + Math.abs(u)) * half;
      expect(matchesPrinted(outside, text)).toBe(false);
    }), { seed: SEED, numRuns: 300 });
  });
});

describe("cells and reports", () => {
  it("attaches the reason only to a cell that does not match", () => {
    expect(cell(0.1674, "0.17", "known")).toEqual({ recomputed: 0.1674, published: "0.17", precision: 2, match: true });
    expect(cell(0.4565, "0.44", "known")).toMatchObject({ match: false, reason: "known" });
    expect(cell(0.4565, "0.44")).toMatchObject({ match: false, reason: expect.stringMatching(/^unexplained/) });
    expect(cell(0.26, null, "not recoverable")).toEqual({ recomputed: 0.26, published: null, precision: null, match: null, reason: "not recoverable" });
  });

  it("keys report.json by table, row and column", () => {
    const table: ReportTable = {
      key: "table2", title: "t", rowLabel: "dataset",
      columns: [{ key: "slope", label: "slope" }],
      rows: [{ key: "CCT20", cells: { slope: cell(0.1079, "0.11") } }, { key: "EuroSAT", cells: { slope: cell(0.0017, "0.02", "doubtful cell") } }],
    };
    const report = buildReport({ recipe: "r", title: "T", source: "s", tables: [table] });
    expect(report.json.table2).toEqual({
      CCT20: { slope: { recomputed: 0.1079, published: "0.11", precision: 2, match: true } },
      EuroSAT: { slope: { recomputed: 0.0017, published: "0.02", precision: 2, match: false, reason: "doubtful cell" } },
    });
    expect(countMatches(table)).toEqual({ matched: 1, notMatched: 1, notCompared: 0 });
  });
});
