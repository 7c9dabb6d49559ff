// The APTOS interventions (Appendix F, Tables 6 and 7) as a user meets them: `xfer plan` plans the
// published grids, `xfer run --smoke` trains on the aptos2019 + dr2015 fixtures through concat,
// `xfer submit` writes Kaggle submission files (never over a file xfer did not write), and
// `xfer report --results scores.csv` / `--paper` compares leaderboard scores with the printed cells.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { plan } from "../../core/index.ts";
import recipe, { interventionsAnalysis } from "../../recipes/aptos-interventions/recipe.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const FIXTURES = resolve(import.meta.dirname, "../../fixtures/datasets");
const expected = JSON.parse(readFileSync(new URL("../../recipes/aptos-interventions/expected.json", import.meta.url), "utf8")) as {
  runs: number; table6Runs: number; table7Runs: number; smokeRuns: number; publishedCells: { table6: number; table7: number }; claimsOnPrinted: Record<string, boolean>;
};

function xfer(...args: string[]) {
  return spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8" });
}

const SCORES_HEADER = "run,model,augment,lr,wd,private,public";

describe("aptos-interventions", () => {
  it("plans Table 6 (3 models x 2 lr x 3 wd, more augmentation) and Table 7 (ResNet-50 less/more x 3 lr x 3 wd), sharing ResNet-50's runs", () => {
    const runs = plan(recipe);
    expect(runs).toHaveLength(expected.runs);
    const tagged = (model: string, augment: string) => runs.filter((r) => r.spec.tags?.model === model && r.spec.tags?.augment === augment);
    expect(["ResNet-50", "ResNet-152", "Inception-ResNet-v2"].map((m) => tagged(m, "more").filter((r) => r.spec.training.lr >= 1e-4).length)).toEqual([6, 6, 6]);
    expect(tagged("ResNet-50", "less").length + tagged("ResNet-50", "more").length).toBe(expected.table7Runs);
    for (const { spec } of runs) {
      expect([spec.optimizer.name, spec.schedule.name, spec.dataset.name]).toEqual(["adamw", "cosine", "concat"]);
      expect(spec.splitter.options).toEqual({ train: ["aptos2019", "dr2015/train"], val: "dr2015/test-public", test: "dr2015/test-private" });
      expect([1e-4, 1e-5, 1e-6]).toContain(spec.training.weightDecay);
      expect(spec.augment.train[0]).toMatchObject({ name: "random-resized-crop", options: { size: 512 } });
    }
    const more = tagged("ResNet-152", "more")[0].spec.augment.train;
    expect(more.map((a) => a.name)).toEqual(["random-resized-crop", "random-rotation", "color-jitter"]);
    expect(more[2].options).toEqual({ brightness: 0.2, contrast: 0.2, saturation: 0.2, hue: 0.1 });
    expect(tagged("ResNet-50", "less")[0].spec.augment.train).toEqual([{ name: "random-resized-crop", options: { size: 512, scale: [0.65, 1] } }, { name: "horizontal-flip" }]);
    const planned = xfer("plan", "aptos-interventions");
    expect(planned.status, planned.stderr).toBe(0);
    expect(planned.stdout).toContain(`aptos-interventions: ${expected.runs} run(s)`);
  });

  it("trains on both datasets' fixtures in smoke mode, submits the L1 run through its cut points, and refuses to overwrite a file xfer did not write", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-aptos-interventions-"));
    const run = xfer("run", "aptos-interventions", "--smoke", "--out", out, "--jobs", "1");
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`aptos-interventions: ${expected.smokeRuns} trained, 0 already done`);
    const ids = (await readdir(join(out, "aptos-interventions"))).filter((d) => /^[0-9a-f]{64}$/.test(d));
    expect(ids).toHaveLength(expected.smokeRuns);
    const result = JSON.parse(await readFile(join(out, "aptos-interventions", ids[0], "result.json"), "utf8")) as { data: { train: number; val: number; test: number } };
    // All 25 APTOS fixture images and dr2015's 15 training images train; its public / private test images select and test.
    expect(result.data).toMatchObject({ train: 40, val: 5, test: 5 });

    // The run's training data is indexed again (head size), so the config names both roots.
    const config = join(out, "xfer.config.json");
    await writeFile(config, JSON.stringify({ dataRoots: { aptos2019: join(FIXTURES, "aptos2019"), dr2015: join(FIXTURES, "dr2015") } }));
    const testIds = (await readFile(join(FIXTURES, "aptos2019-test/test.csv"), "utf8")).trim().split("\n").slice(1);
    const submit = (id: string, ...more: string[]) => xfer("--config", config, "submit", "aptos-interventions", id.slice(0, 12), "--out", out, "--root", join(FIXTURES, "aptos2019-test"), ...more);
    // The ordinal L1 run: its output goes through the cut points fitted on the selection split.
    const ordinal = [];
    for (const id of ids) {
      const spec = JSON.parse(await readFile(join(out, "aptos-interventions", id, "spec.json"), "utf8")) as { training: { loss?: string } };
      if (spec.training.loss === "ordinal-l1") ordinal.push(id);
    }
    expect(ordinal).toHaveLength(1);
    const fitted = JSON.parse(await readFile(join(out, "aptos-interventions", ordinal[0], "result.json"), "utf8")) as { thresholds?: number[] };
    expect(fitted.thresholds).toHaveLength(4);
    for (const id of ordinal) {
      const submitted = submit(id);
      expect(submitted.status, submitted.stderr).toBe(0);
      expect(submitted.stdout).toMatch(new RegExp(`scores-file row \\(${SCORES_HEADER}; fill in Kaggle's QWKs\\): ${id.slice(0, 12)},resnet18_mini\\.random,(more|less),0\\.001,0\\.0001,,`));
      const lines = (await readFile(join(out, "aptos-interventions/submissions", `${id.slice(0, 12)}.csv`), "utf8")).trim().split("\n");
      expect(lines[0]).toBe("id_code,diagnosis");
      expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(testIds);
      for (const line of lines.slice(1)) expect(line).toMatch(/,[0-4]$/);
    }
    // Its own file is replaced, with the same bytes (same checkpoint and cut points); a user's is left alone.
    const file = join(out, "aptos-interventions/submissions", `${ordinal[0].slice(0, 12)}.csv`);
    const first = await readFile(file, "utf8");
    expect(submit(ordinal[0]).status).toBe(0);
    expect(await readFile(file, "utf8")).toBe(first);
    const mine = join(out, "mine.csv");
    await writeFile(mine, "id_code,diagnosis\nx,1\n");
    const refused = submit(ordinal[0], "--output", mine);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`${mine} exists and xfer did not write it (or it changed since); choose another --output or move the file`);
    expect(await readFile(mine, "utf8")).toBe("id_code,diagnosis\nx,1\n");

    // Your runs alone cannot be compared: the report says how to get leaderboard scores.
    const report = xfer("report", "aptos-interventions", "--out", out);
    expect(report.status).toBe(1);
    expect(report.stderr).toContain("`xfer submit aptos-interventions <run>`");
  });

  it("compares a scores file cell by cell with Tables 6 and 7, and the printed tables with themselves (--paper)", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-aptos-scores-"));
    const scores = join(out, "scores.csv");
    await writeFile(scores, [
      SCORES_HEADER,
      "abc,ResNet-50,more,1e-4,1e-6,0.8961,0.7500",
      "abd,inception_resnet_v2.tf_in1k,more,0.001,0.0001,0.8933,",
      "abe,ResNet-50,less,1e-5,1e-4,0.8100,0.5000",
    ].join("\n") + "\n");
    const report = xfer("report", "aptos-interventions", "--results", scores, "--out", out);
    expect(report.status, report.stderr).toBe(0);
    const json = JSON.parse(await readFile(join(out, "aptos-interventions/report/report.json"), "utf8")) as Record<string, Record<string, Record<string, { recomputed: number | null; match: boolean | null; reason?: string }>>>;
    expect(json.table6["ResNet-50 lr 1e-4"]["1e-6/private"].match).toBe(true);
    expect(json.table6["ResNet-50 lr 1e-4"]["1e-6/public"]).toMatchObject({ match: false, reason: expect.stringContaining("your run's leaderboard score") });
    expect(json.table6["Inception-ResNet-v2 lr 1e-3"]["1e-4/private"].match).toBe(true);
    expect(json.table6["Inception-ResNet-v2 lr 1e-3"]["1e-4/public"]).toMatchObject({ match: null, reason: "not scored yet (empty in the scores file)" });
    expect(json.table6["ResNet-152 lr 1e-3"]["1e-4/private"]).toMatchObject({ match: null, reason: "no row for this run in the scores file" });
    // One ResNet-50 "more" run fills both tables.
    expect(json.table7["more aug lr 1e-4"]["1e-6/private"]).toMatchObject({ recomputed: 0.8961, match: false });
    expect(json.table7["less aug lr 1e-5"]["1e-4/private"].match).toBe(false);

    const paper = xfer("report", "aptos-interventions", "--paper", "--out", out);
    expect(paper.status, paper.stderr).toBe(0);
    expect(paper.stdout).toContain(`36 of ${expected.publishedCells.table6} published cells matched`);
    expect(paper.stdout).toContain(`36 of ${expected.publishedCells.table7} published cells matched`);
    const printed = JSON.parse(await readFile(join(out, "aptos-interventions/report/report.json"), "utf8")) as { claims: { key: string; holds: boolean }[] };
    expect(Object.fromEntries(printed.claims.map((c) => [c.key, c.holds]))).toEqual(expected.claimsOnPrinted);
  });

  it("names the line and column of a bad scores file", () => {
    const cases: [string, RegExp][] = [
      ["model,augment,lr,wd,private\n", /^scores\.csv: missing column "public"; expected columns model, augment, lr, wd, private, public/],
      [`${SCORES_HEADER}\nr,ResNet-18,more,1e-3,1e-4,0.8,0.6\n`, /^scores\.csv line 2 column "model": model "ResNet-18"; expected one of resnet50\.tv_in1k, ResNet-50/],
      [`${SCORES_HEADER}\nr,ResNet-152,more,1e-5,1e-4,0.8,0.6\n`, /^scores\.csv line 2 column "lr": lr "1e-5"; expected one of 1e-3, 1e-4 for ResNet-152/],
      [`${SCORES_HEADER}\nr,ResNet-152,less,1e-3,1e-4,0.8,0.6\n`, /^scores\.csv line 2 column "augment": "less" augmentation with ResNet-152; Table 7 trains ResNet-50 alone/],
      [`${SCORES_HEADER}\nr,ResNet-50,more,1e-3,1e-3,0.8,0.6\n`, /^scores\.csv line 2 column "wd": wd "1e-3"; expected one of 1e-4, 1e-5, 1e-6/],
      [`${SCORES_HEADER}\nr,ResNet-50,more,1e-3,1e-4,86.1,0.6\n`, /^scores\.csv line 2 column "private": "86\.1" is not a QWK; expected a number from -1 to 1/],
      [`${SCORES_HEADER}\nr,ResNet-50,more,1e-3,1e-4,0.8,0.6\ns,ResNet-50,more,0.001,0.0001,0.8,0.6\n`, /^scores\.csv line 3: ResNet-50, more augmentation, lr 1e-3, wd 1e-4 again \(first at line 2\); expected one row per run/],
    ];
    for (const [text, message] of cases) {
      const [header, ...records] = text.trim().split("\n").map((line) => line.split(","));
      expect(() => interventionsAnalysis.analyze({ file: { source: "scores.csv", header, records }, seed: 0 }), text).toThrow(message);
    }
  });
});
