// The analysis recipes against ../shared/reference: the transcribed paper tables equal the reference
// transcription cell for cell, and the pre-training-data recipe on Entezari et al.'s results table
// equals the numpy values of fixtures/generators/analysis-parity.py.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as paper from "../../fixtures/paper/fang2023.ts";
import { runAnalysis } from "../../plugins/platform/node/report-writer.ts";
import pretrainingData from "../../recipes/pretraining-data/recipe.ts";

const REF = new URL("../../../shared/reference/", import.meta.url);
const tables = JSON.parse(readFileSync(new URL("paper-tables.json", REF), "utf8"));
const DATASETS = ["CCT20", "APTOS", "HPA", "Melanoma", "Cassava", "EuroSAT"] as const;

describe("fixtures/paper/fang2023.ts equals paper-tables.json", () => {
  const rowTables = { table4: paper.TABLE4, table16: paper.TABLE16, table8_clip: paper.TABLE8_CLIP, table9_clip_vs_in: paper.TABLE9_CLIP_VS_IN };
  for (const [key, rows] of Object.entries(rowTables)) {
    it(`${key}: every row and cell`, () => {
      const reference = tables[key].rows.map((r: Record<string, string>) => ({ model: r.model, ImageNet: r["ImageNet top-1"], ...Object.fromEntries(DATASETS.map((d) => [d, r[d]])) }));
      expect(rows).toEqual(reference);
    });
  }
  it("table2 reconstruction, tables 12, 13 and 15", () => {
    for (const d of DATASETS) {
      for (const k of ["correlation", "slope"] as const) {
        const ref = tables.table2.reconstruction[d][k];
        expect(paper.TABLE2[d][k]).toEqual({ value: ref.value, confidence: ref.confidence, source: ref.source });
      }
    }
    expect(paper.TABLE12).toEqual(tables.table12.rows);
    expect([...paper.TABLE12_COLUMNS]).toEqual(tables.table12.columns);
    expect(paper.TABLE13).toEqual(tables.table13.rows);
    expect([...paper.TABLE13_COLUMNS]).toEqual(tables.table13.columns);
    expect(paper.TABLE15).toEqual(tables.table15.rows);
    expect(paper.TABLE12_NOTE).toBe(tables.table12.internal_inconsistency);
    expect(paper.TABLE13_NOTE).toBe(tables.table13.internal_inconsistency);
  });
  it("tables 3, 6, 7 and 11", () => {
    expect(tables.table3_augmentation.columns).toEqual(["model", "imagenet_top1", ...paper.TABLE3_COLUMNS]);
    expect(paper.TABLE3.map((r) => [r.model, r.imagenetTop1, ...paper.TABLE3_COLUMNS.map((c) => r[c])])).toEqual(tables.table3_augmentation.rows);
    expect(paper.TABLE11_FID.map((r) => [r.dataset, r.fid])).toEqual(tables.table11_fid.rows);
    const leaderboard = (cells: paper.LeaderboardCell[]) => cells.map((c) => `${c.private} / ${c.public}`);
    const wds = ["1e-4", "1e-5", "1e-6"] as const;
    expect(paper.TABLE6_APTOS.map((r) => [r.model, r.lr, ...leaderboard(wds.map((w) => r.cells[w]))])).toEqual(tables.table6_aptos_interventions.rows);
    expect(paper.TABLE7_APTOS.map((r) => [r.setting, r.lr, ...leaderboard(wds.map((w) => r.cells[w]))])).toEqual(tables.table7_aptos_augmentation.rows);
  });
});

describe("pretraining-data on Entezari et al.'s results table", () => {
  it("equals the numpy reference values and expected.json", async () => {
    const parity = JSON.parse(readFileSync(new URL("../../fixtures/parity/analysis/pretraining-gaps.json", import.meta.url), "utf8"));
    const expected = JSON.parse(readFileSync(new URL("../../recipes/pretraining-data/expected.json", import.meta.url), "utf8"));
    const path = new URL("pretraining-data-transfer-results.tsv", REF).pathname;
    const report = await runAnalysis(pretrainingData, { seed: 0, resultsPath: path, log: () => {} });
    const gaps = report.json.gaps as Record<string, Record<string, { relativeGap: number; best: number; worst: number; sources: number }>>;
    expect(Object.keys(gaps).sort()).toEqual(Object.keys(parity.per_dataset).sort());
    for (const [ds, byShots] of Object.entries(parity.per_dataset as Record<string, Record<string, { relative_gap: number; best: number; worst: number; sources: number }>>)) {
      expect(Object.keys(gaps[ds]).sort()).toEqual(Object.keys(byShots).sort());
      for (const [shots, g] of Object.entries(byShots)) {
        expect(gaps[ds][shots].relativeGap).toBeCloseTo(g.relative_gap, 12);
        expect([gaps[ds][shots].best, gaps[ds][shots].worst, gaps[ds][shots].sources]).toEqual([g.best, g.worst, g.sources]);
      }
    }
    const aggregate = report.tables.find((t) => t.key === "aggregate")!;
    for (const row of aggregate.rows) {
      const e = expected.aggregate[row.key];
      expect(row.cells.datasets.recomputed).toBe(e.datasets);
      expect(row.cells.mean.recomputed).toBeCloseTo(e.mean, 6);
      expect(row.cells.median.recomputed).toBeCloseTo(e.median, 6);
    }
    expect(Object.fromEntries(report.claims.map((c) => [c.key, c.holds]))).toEqual(expected.claims);
  });
});
