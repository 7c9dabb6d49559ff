// runAnalysis end to end: --results parsing, printed tables with marks, and the report directory.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DATASETS, tableCsv } from "../../core/analysis/index.ts";
import { TABLE4, TABLE8_CLIP } from "../../fixtures/paper/fang2023.ts";
import { renderSvg, runAnalysis } from "../../plugins/platform/node/report-writer.ts";
import { clipTransferAnalysis as clipTransfer } from "../../recipes/clip-transfer/recipe.ts";
import modelRankings from "../../recipes/model-rankings/recipe.ts";
import realWorldAverage from "../../recipes/real-world-average/recipe.ts";
import pretrainingData from "../../recipes/pretraining-data/recipe.ts";
import transferTrends from "../../recipes/transfer-trends/recipe.ts";

const dir = mkdtempSync(join(tmpdir(), "xfer-analysis-"));

function resultsCsv(rows: typeof TABLE4, edit: (value: string, column: string) => string = (v) => v): string {
  const header = ["model", "imagenet_top1", ...DATASETS];
  const lines = rows.map((r) => [r.model, edit(r.ImageNet, "ImageNet"), ...DATASETS.map((d) => edit(r[d], d))].join(","));
  return [header.join(","), ...lines].join("\n") + "\n";
}

describe("runAnalysis", () => {
  it("prints the tables with match marks and writes report.md, report.json, CSVs, SVG and PNG", async () => {
    const lines: string[] = [];
    const out = join(dir, "trends");
    await runAnalysis(transferTrends, { seed: 0, outDir: out, log: (l) => lines.push(l) });
    const text = lines.join("\n");
    expect(text).toMatch(/CCT20 +0\.1674 \| 0\.17 ✓/);
    expect(text).toMatch(/Melanoma +0\.4565 \| 0\.44 ✗/);
    expect(text).toMatch(/Melanoma Pearson r, Melanoma slope.*: involves Melanoma or Cassava/);
    expect(text).not.toMatch(/figure warning/);
    const files = readdirSync(out).sort();
    expect(files).toEqual(expect.arrayContaining(["report.md", "report.json", "table2.csv", "table15.csv", "figure1.svg", "figure1.png"]));
    const json = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(json.table2.APTOS.correlation).toMatchObject({ published: "0.06", precision: 2, match: true });
    expect(readFileSync(join(out, "report.md"), "utf8")).toMatch(/\| CCT20 \| 0\.1674 \\\| 0\.17 ✓ \|/);
    expect(readFileSync(join(out, "figure1.svg"), "utf8")).toMatch(/^<svg[^>]*>/);
    expect(readFileSync(join(out, "figure1.png")).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // A second run replaces the report's files; no temporary files are left behind.
    await runAnalysis(transferTrends, { seed: 0, outDir: out, log: () => {} });
    expect(readdirSync(out).sort()).toEqual(files);
  });

  it("analyses a user's results file; unchanged published numbers give the same cells", async () => {
    const file = join(dir, "runs.csv");
    writeFileSync(file, resultsCsv(TABLE4));
    const report = await runAnalysis(transferTrends, { seed: 0, resultsPath: file, log: () => {} });
    expect(report.source).toBe(file);
    const melanoma = report.tables[0].rows.find((r) => r.key === "Melanoma")!.cells.correlation;
    expect(melanoma).toMatchObject({ match: false, reason: expect.stringMatching(/recomputed from .*runs\.csv/) });
    expect(report.tables.map((t) => t.key)).not.toContain("table15");
  });

  it("clip-transfer compares a user's CLIP rows with Tables 8 and 9 cell by cell", async () => {
    const file = join(dir, "clip.csv");
    // Your CLIP-B16 run scored 0.6000 on HPA instead of the printed 0.6365; everything else as printed.
    writeFileSync(file, resultsCsv([...TABLE4, ...TABLE8_CLIP]).replace("0.9213,0.6365", "0.9213,0.6000"));
    const report = await runAnalysis(clipTransfer, { seed: 0, resultsPath: file, log: () => {} });
    const t8 = report.tables.find((t) => t.key === "table8")!;
    expect(t8.rows.find((r) => r.key === "CLIP-B16")!.cells.HPA).toMatchObject({ recomputed: 0.6, published: "0.6365", match: false });
    expect(t8.rows.find((r) => r.key === "CLIP-L14")!.cells.CCT20).toMatchObject({ recomputed: 79.99, match: true });
    const t9 = report.tables.find((t) => t.key === "table9")!;
    expect(t9.rows.map((r) => r.key)).toEqual(["IN-ResNet-50", "CLIP-RN50", "IN-ViT-B/16", "CLIP-B16"]);
    expect(t9.rows[0].cells.Melanoma).toMatchObject({ recomputed: 0.9524, match: true });
  });

  it("a bad results file fails before anything is written, naming line and column", async () => {
    const file = join(dir, "bad.csv");
    writeFileSync(file, resultsCsv(TABLE4.slice(0, 3), (v, c) => (c === "HPA" && v === "0.3972" ? "x" : v)));
    const out = join(dir, "bad-out");
    await expect(runAnalysis(transferTrends, { seed: 0, resultsPath: file, outDir: out, log: () => {} }))
      .rejects.toThrow(/bad\.csv, line 3: column "HPA" must be a number, got "x"/);
    expect(readdirSync(dir)).not.toContain("bad-out");
  });

  it("pretraining-data needs --results and names missing columns", async () => {
    await expect(runAnalysis(pretrainingData, { seed: 0, log: () => {} })).rejects.toThrow(/needs --results FILE|pass --results FILE/);
    const file = join(dir, "pre.tsv");
    writeFileSync(file, "\tloss\tarch\tus\tds\n0\tCLIP\tRN50\tCC3m\tDTD\n");
    await expect(runAnalysis(pretrainingData, { seed: 0, resultsPath: file, log: () => {} })).rejects.toThrow(/pre\.tsv, line 1: missing column "us_epochs"/);
  });

  it("pretraining-data takes each source's best run and compares sources that all have a result", async () => {
    const header = ["", "loss", "arch", "us", "ds", "us_epochs", "1", "5", "10", "20", "full"].join("\t");
    const sources = ["CC12m", "CC3m", "LAION2.7m", "Redcaps2.7m", "Shutterstock2.7m", "WIT2.7m", "YFCC2.7m"];
    const rows = sources.flatMap((us, i) => [
      [String(2 * i), "CLIP", "RN50", us, "DTD", "16", String(10 + i), "20", "30", "Nan", String(60 + i)],
      [String(2 * i + 1), "CLIP", "RN50", us, "DTD", "16", "1", "20", "30", "", "1"], // a worse run of the same source
    ]);
    rows.push(["99", "SimCLR", "RN50", "CC3m", "DTD", "16", "99", "99", "99", "99", "99"]); // not selected
    const file = join(dir, "pre-ok.tsv");
    writeFileSync(file, [header, ...rows.map((r) => r.join("\t"))].join("\n") + "\n");
    const report = await runAnalysis(pretrainingData, { seed: 0, resultsPath: file, log: () => {} });
    const dtd = report.tables[0].rows.find((r) => r.key === "DTD")!.cells;
    expect(dtd["1"].recomputed).toBeCloseTo((16 - 10) / 16, 12);
    expect(dtd["full"].recomputed).toBeCloseTo((66 - 60) / 66, 12);
    expect(dtd["5"].recomputed).toBe(0);
    expect(dtd["20"]).toBeUndefined(); // every run is "Nan" or empty there
  });

  it("writes into a folder that holds other files without touching them", async () => {
    const out = join(dir, "precious");
    mkdirSync(out);
    writeFileSync(join(out, "notes.txt"), "keep me");
    await runAnalysis(transferTrends, { seed: 0, outDir: out, log: () => {} });
    expect(readFileSync(join(out, "notes.txt"), "utf8")).toBe("keep me");
    expect(readdirSync(out)).toEqual(expect.arrayContaining(["notes.txt", "report.md", "figure1.png"]));
  });

  it("refuses to write a report file over its own --results input", async () => {
    const out = join(dir, "clash");
    mkdirSync(out);
    writeFileSync(join(out, "trends.csv"), resultsCsv(TABLE4));
    await expect(runAnalysis(transferTrends, { seed: 0, resultsPath: join(out, "trends.csv"), outDir: out, log: () => {} }))
      .rejects.toThrow(/writes trends\.csv, which is your input file there/);
    expect(readdirSync(out)).toEqual(["trends.csv"]);
  });

  it("every figure of the embedded-table recipes compiles and renders without Vega warnings", async () => {
    const warnings: string[] = [];
    for (const recipe of [realWorldAverage, clipTransfer, modelRankings]) {
      const report = await recipe.analyze({ seed: 0 });
      for (const figure of report.figures) expect(await renderSvg(figure, (w) => warnings.push(w))).toMatch(/^<svg/);
    }
    expect(warnings).toEqual([]);
    // A broken spec is reported through the callback, not swallowed.
    await renderSvg({ key: "bad", title: "bad", spec: { data: { values: [{ a: "x" }] }, mark: "line", encoding: { strokeWidth: { field: "a", type: "nominal" } } } }, (w) => warnings.push(w));
    expect(warnings.join("\n")).toMatch(/^bad: /);
  });

  it("writes one CSV line per cell, quoting reasons", () => {
    const csv = tableCsv({
      key: "t", title: "t", rowLabel: "dataset", columns: [{ key: "r", label: "r" }],
      rows: [{ key: "A", cells: { r: { recomputed: 0.5, published: "0.4", precision: 1, match: false, reason: 'says "no", twice' } } }],
    });
    expect(csv).toBe('dataset,column,recomputed,published,precision,match,reason\nA,r,0.5,0.4,1,false,"says ""no"", twice"\n');
  });
});
