// The paper's appendix figures and Table 3 as a user meets them, through the xfer command:
// cifar10-transfer (Appendix E, Figure 6) plans the grid and reports its smoke run with
// Clopper-Pearson intervals; model-size (Appendix K, Figure 9) on the printed Table 4 agrees with
// scipy and reads --results tables; melanoma-metrics (Appendix G, Figure 7) scores smoke runs'
// stored predictions by accuracy beside their ROC AUC (`xfer report <recipe> --analysis`); the
// augmentation recipes' report compares Table 3 cell by cell (`--paper`, `--results`, own runs).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson, plan, predictionIntervals, type JsonValue, type TrainRecipe } from "../../core/index.ts";
import { rocAucMetric } from "../../plugins/metrics/index.ts";
import { clopperPearson } from "../../core/stats/hypothesis.ts";
import { TABLE3 } from "../../fixtures/paper/fang2023.ts";
import { FsRunStore } from "../../plugins/platform/node/run-store.ts";
import cifar10 from "../../recipes/cifar10-transfer/recipe.ts";
import { PAPER_BACKBONES } from "../../recipes/shared/paper.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");

function xfer(args: string[], cwd = ROOT) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", cwd, timeout: 300_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

function expectedOf(recipe: string) {
  return JSON.parse(readFileSync(join(ROOT, "recipes", recipe, "expected.json"), "utf8"));
}

type CellJson = { recomputed: number | null; published: string | null; match: boolean | null; reason?: string };
type ReportJson = Record<string, Record<string, Record<string, CellJson>>> & { notes: string[] };

async function reportJson(dir: string): Promise<ReportJson> {
  return JSON.parse(await readFile(join(dir, "report.json"), "utf8"));
}

describe("cifar10-transfer (Appendix E, Figure 6)", () => {
  it("plans Table 4's 19 backbones over the paper's 60 settings on CIFAR-10, validation held out of train, the test batch for test", () => {
    const runs = plan(cifar10 as TrainRecipe);
    const expected = expectedOf("cifar10-transfer");
    expect(runs).toHaveLength(expected.runs);
    expect(new Set(runs.map((r) => r.spec.backbone.name))).toEqual(new Set(PAPER_BACKBONES));
    expect(new Set(runs.map((r) => canonicalJson([r.spec.dataset, r.spec.splitter, r.spec.splitSeed] as unknown as JsonValue)))).toEqual(new Set([
      canonicalJson([{ name: "cifar10" }, { name: "predefined-holdout", options: { train: "train", test: "test", valFraction: 0.2 } }, 0]),
    ]));
    const deit = runs.find((r) => r.spec.backbone.name.startsWith("deit_"))!;
    expect(deit.spec.augment.train[0]).toEqual({ name: "random-resized-crop", options: { size: 224, scale: [0.65, 1] } });
    expect(plan(cifar10 as TrainRecipe, { smoke: true })).toHaveLength(expected.smokeRuns);
  });

  it("trains its smoke run and reports Figure 6 with the run's own Clopper-Pearson interval; --paper says there is no printed table", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-cifar10-"));
    const run = xfer(["run", "cifar10-transfer", "--smoke", "--jobs", "1", "--out", out]);
    expect(run.code, run.out + run.err).toBe(0);
    const report = xfer(["report", "cifar10-transfer", "--out", out, "--x", "log10_params"]);
    expect(report.code, report.err).toBe(0);
    expect(report.out).toContain("CIFAR-10 on the paper's grid: Appendix E, Figure 6");
    const json = await reportJson(join(out, "cifar10-transfer", "report"));
    const [[key, ci]] = Object.entries(json.accuracy_ci);
    expect(key).toBe("CIFAR-10 / resnet18_mini.random");
    // The fixture's test batch: the interval rests on the run's own count, not on 10,000 images.
    const [id] = await new FsRunStore(join(out, "cifar10-transfer")).list();
    const predictions = (await new FsRunStore(join(out, "cifar10-transfer")).predictions(id))!;
    expect(predictions.split).toBe("test");
    expect(ci.n.recomputed).toBe(predictions.labels.length);
    const correct = Math.round((ci.value.recomputed! / 100) * ci.n.recomputed!);
    const exact = clopperPearson(correct, ci.n.recomputed!);
    expect([ci.lower.recomputed, ci.upper.recomputed]).toEqual([100 * exact.lower, 100 * exact.upper]);
    for (const file of ["figure6.svg", "figure6.png", "report.md"]) await readFile(join(out, "cifar10-transfer", "report", file));
    const paper = xfer(["report", "cifar10-transfer", "--paper", "--out", out]);
    expect(paper.code).not.toBe(0);
    expect(paper.err).toContain("prints Figure 6's points only as a plot");
  }, 120_000);
});

describe("model-size (Appendix K, Figure 9)", () => {
  it("on the printed Table 4 with the catalog's parameter counts, fits as scipy does and draws Figure 9 with Clopper-Pearson intervals", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-model-size-"));
    const run = xfer(["run", "model-size", "--out", out]);
    expect(run.code, run.err).toBe(0);
    const json = await reportJson(join(out, "model-size"));
    const expected = expectedOf("model-size");
    const parity = JSON.parse(readFileSync(join(ROOT, "fixtures/parity/analysis/model-size.json"), "utf8")).fits;
    for (const [dataset, fits] of Object.entries(expected.fits as Record<string, Record<string, number>>)) {
      for (const [stat, value] of Object.entries(fits)) {
        expect(json.trends[dataset][stat].recomputed, `${dataset} ${stat}`).toBeCloseTo(value, 4);
        expect(json.trends[dataset][stat].recomputed, `${dataset} ${stat} vs scipy`).toBeCloseTo(parity[dataset][stat], 9);
      }
    }
    expect(Object.fromEntries(Object.entries(json.params).map(([m, c]) => [m, c.params.recomputed]))).toEqual(expected.params);
    // Accuracies with a known evaluation-set size get Clopper-Pearson intervals; ROC AUC needs predictions.
    expect(json.intervals["EuroSAT / ResNet-50"].n.recomputed).toBe(5400);
    expect(json.intervals["Melanoma / ResNet-50"]).toBeUndefined();
    await readFile(join(out, "model-size", "figure9.svg"));
  });

  it("reads a --results table: catalog ids take the catalog's count, other models their params column, and a model with neither is named", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-model-size-results-"));
    const file = join(out, "mine.csv");
    await writeFile(file, "model,imagenet_top1,params,EuroSAT\nresnet50.tv_in1k,76.1,,99.1\nnet-a,71.0,1000000,98.0\nnet-b,65.0,100000,97.5\nnet-c,80.0,30000000,98.9\n");
    const run = xfer(["run", "model-size", "--results", file, "--out", out]);
    expect(run.code, run.err).toBe(0);
    const json = await reportJson(join(out, "model-size"));
    expect(json.params["resnet50.tv_in1k"].params.recomputed).toBe(25557032);
    expect(json.params["net-a"].log10_params.recomputed).toBeCloseTo(6, 12);
    expect(json.trends.EuroSAT.n_all.recomputed).toBe(4);
    expect(json.trends.EuroSAT.n_above.recomputed).toBe(3);
    await writeFile(file, "model,imagenet_top1,EuroSAT\nresnet50.tv_in1k,76.1,99.1\nnet-a,71.0,98.0\n");
    const missing = xfer(["run", "model-size", "--results", file, "--out", out]);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain(`mine.csv, line 3: model "net-a" is not in the backbone catalog (by id or paper name) and has no "params" or "log10_params" value`);
  });
});

describe("melanoma-metrics (Appendix G, Figure 7)", () => {
  it("scores the same runs by ROC AUC and by accuracy at p(malignant) > 0.5 from their stored predictions", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-melanoma-"));
    await writeFile(join(dir, "package.json"), `{"type":"module"}\n`);
    await mkdir(join(dir, "mel-minis"));
    const paper = JSON.stringify(join(ROOT, "recipes/shared/paper.ts")), core = JSON.stringify(join(ROOT, "core/index.ts"));
    await writeFile(join(dir, "mel-minis", "recipe.ts"), `import { defineRecipe } from ${core};
import { paperTemplate, smokeGrid } from ${paper};
const minis = ["resnet18_mini.random", "squeezenet_mini.random", "mobilenet_v3_mini.random"];
export default defineRecipe({
  name: "mel-minis", description: "three mini backbones on the Melanoma fixture",
  template: paperTemplate("melanoma", minis[0]), grid: [smokeGrid("melanoma", minis[0])], smoke: { grid: minis.map((m) => smokeGrid("melanoma", m)) },
});
`);
    const out = join(dir, "runs");
    const run = xfer(["run", "./mel-minis", "--smoke", "--jobs", "1", "--out", out], dir);
    expect(run.code, run.out + run.err).toBe(0);
    const report = xfer(["report", "./mel-minis", "--out", out, "--analysis", "melanoma-metrics", "--x", "log10_params"], dir);
    expect(report.code, report.err).toBe(0);
    expect(report.out).toContain("Melanoma by ROC AUC and by accuracy: Appendix G, Figure 7");
    const json = await reportJson(join(out, "mel-minis", "report"));
    const store = new FsRunStore(join(out, "mel-minis"));
    const rows = Object.entries(json.melanoma);
    expect(rows).toHaveLength(3);
    for (const id of await store.list()) {
      const stored = (await store.get(id))!;
      const predictions = (await store.predictions(id))!;
      const labels = predictions.labels as number[];
      const correct = labels.filter((label, i) => (predictions.scores[i][1] > 0.5 ? 1 : 0) === label).length;
      const model = (stored.spec.backbone as { name: string }).name;
      expect(json.melanoma[model].accuracy.recomputed).toBeCloseTo((100 * correct) / labels.length, 12);
      expect(json.intervals[`Melanoma accuracy / ${model}`].n.recomputed).toBe(labels.length);
    }
    expect(Object.keys(json.trends)).toEqual(["Melanoma", "Melanoma accuracy"]);
    await readFile(join(out, "mel-minis", "report", "figure7.svg"));
  }, 180_000);

  it("reads a table with both columns; without runs or such a table it says what it needs; --analysis takes analysis recipes only", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-melanoma-table-"));
    const file = join(out, "mel.csv");
    await writeFile(file, "model,imagenet_top1,Melanoma,melanoma_accuracy\na,60,0.90,88.0\nb,72,0.93,89.5\nc,75,0.95,90.0\nd,80,0.96,89.0\n");
    const given = xfer(["run", "melanoma-metrics", "--results", file, "--out", out]);
    expect(given.code, given.err).toBe(0);
    const json = await reportJson(join(out, "melanoma-metrics"));
    expect(json.melanoma.b.accuracy.recomputed).toBe(89.5);
    expect(json.trends["Melanoma accuracy"].n_above.recomputed).toBe(3);
    const none = xfer(["run", "melanoma-metrics", "--out", out]);
    expect(none.code).not.toBe(0);
    expect(none.err).toContain("prints Figure 7 only as a plot");
    await writeFile(file, "model,imagenet_top1,Melanoma\na,60,0.90\n");
    const one = xfer(["run", "melanoma-metrics", "--results", file, "--out", out]);
    expect(one.code).not.toBe(0);
    expect(one.err).toContain(`melanoma-metrics needs a "Melanoma" (ROC AUC) column and a "Melanoma accuracy" column`);
    const wrong = xfer(["report", "imagenet-transfer", "--analysis", "hello-transfer", "--out", out]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toContain(`--analysis hello-transfer: "hello-transfer" is a training recipe; expected an analysis recipe`);
  });
});

it("a bootstrap whose metric is undefined on some resample leaves that cell without an interval, naming why", async () => {
  // One malignant sample in four: many resamples hold no malignant sample, where ROC AUC is undefined.
  const predictions = { split: "test" as const, ids: ["a", "b", "c", "d"], labels: [0, 0, 0, 1], scores: [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7]] };
  const source = { predictions: async () => predictions, metric: async () => rocAucMetric.build() };
  const { intervals, without } = await predictionIntervals([{ model: "m", runs: { Melanoma: "run-1" } }], source, { seed: 0, resamples: 200 });
  expect(intervals).toEqual([]);
  expect(without).toHaveLength(1);
  expect(without[0]).toMatchObject({ task: "Melanoma", model: "m" });
  expect(without[0].reason).toMatch(/metric "roc-auc" on 4 samples fails on resample \d+: .*only one class/);
});

describe("Table 3 compared (aptos-augmentation, cct20-augmentation)", () => {
  it("expected.json carries Table 3's printed cells, and --paper shows them", async () => {
    for (const [recipe, dataset] of [["aptos-augmentation", "APTOS"], ["cct20-augmentation", "CCT20"]] as const) {
      const cells = expectedOf(recipe).published.cells;
      expect(Object.keys(cells)).toEqual(TABLE3.map((r) => r.model));
      const out = await mkdtemp(join(tmpdir(), "xfer-table3-paper-"));
      const paper = xfer(["report", recipe, "--paper", "--out", out]);
      expect(paper.code, paper.err).toBe(0);
      const json = await reportJson(join(out, recipe, "report"));
      for (const row of TABLE3) {
        expect(cells[row.model]).toEqual({ imagenet_top1: String(row.imagenetTop1), base: row[`${dataset}_base`], augmix: row[`${dataset}_augmix`], randaug: row[`${dataset}_randaug`] });
        expect(Object.fromEntries(Object.entries(json.table3[row.model]).map(([k, c]) => [k, c.published]))).toEqual(cells[row.model]);
      }
    }
  });

  it("marks each cell of a --by augment table matched or not, at the printed precision", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-table3-results-"));
    const file = join(out, "table3.csv");
    const base = "APTOS/random-resized-crop+horizontal-flip";
    await writeFile(file, `model,imagenet_top1,${base},${base}+augmix,${base}+rand-augment\nresnet50.tv_in1k,76.1,0.92104,0.9300,0.92496\nDeiT-small,79.9,0.9293,,0.9277\n`);
    const run = xfer(["report", "aptos-augmentation", "--results", file, "--out", out]);
    expect(run.code, run.err).toBe(0);
    const json = await reportJson(join(out, "aptos-augmentation", "report"));
    const match = (model: string) => Object.fromEntries(Object.entries(json.table3[model]).map(([k, c]) => [k, c.match]));
    expect(match("ResNet-50")).toEqual({ imagenet_top1: true, base: true, augmix: false, randaug: true });
    expect(match("DeiT-small")).toEqual({ imagenet_top1: true, base: true, augmix: null, randaug: true });
    expect(match("DeiT-tiny")).toEqual({ imagenet_top1: null, base: null, augmix: null, randaug: null });
    expect(json.table3["ResNet-50"].augmix.reason).toContain("recomputed from your runs");
    await writeFile(file, "model,imagenet_top1,APTOS\nresnet50.tv_in1k,76.1,0.92\n");
    const flat = xfer(["report", "aptos-augmentation", "--results", file, "--out", out]);
    expect(flat.code).not.toBe(0);
    expect(flat.err).toContain(`table3.csv, line 1, column "APTOS": Table 3 needs exactly the augment axis kept (\`--by augment\`), got 0 kept value(s)`);
  });

  it("xfer report cct20-augmentation reports its own smoke runs: models outside Table 3 are listed apart, not compared", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-table3-runs-"));
    const run = xfer(["run", "cct20-augmentation", "--smoke", "--jobs", "1", "--out", out]);
    expect(run.code, run.out + run.err).toBe(0);
    const report = xfer(["report", "cct20-augmentation", "--out", out]);
    expect(report.code, report.err).toBe(0);
    const json = await reportJson(join(out, "cct20-augmentation", "report"));
    expect(Object.keys(json.other_models)).toEqual(["resnet18_mini.random"]);
    expect(Object.values(json.other_models["resnet18_mini.random"]).every((c) => typeof c.recomputed === "number")).toBe(true);
    expect(json.table3["ResNet-50"].base).toMatchObject({ published: "72.02", match: null });
  }, 120_000);
});
