// Kornblith et al. 2019's suite: the plan is the paper's three settings on its 12 datasets over the
// catalog's Table 4 models (the sizes expected.json records), each setting's grid as the paper gives
// it, and a user's commands run as processes on the committed fixtures: `xfer run --smoke`,
// `xfer results --by transfer` and `xfer report` (by transfer, each setting compared with fine-tuning).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { plan, type RunSpec } from "../../core/index.ts";
import { DATASET_FACTS } from "../../core/analysis/datasets.ts";
import { backboneMeta } from "../../plugins/backbones/index.ts";
import recipe, { HOLDOUT_FRACTION, inputSizeOf, KORNBLITH_DATASETS, SMOKE_BACKBONES } from "../../recipes/kornblith-transfer/recipe.ts";
import { PAPER_BACKBONES } from "../../recipes/shared/paper.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const expected = JSON.parse(readFileSync(new URL("../../recipes/kornblith-transfer/expected.json", import.meta.url), "utf8")) as Record<string, number>;
const xfer = (...args: string[]) => spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8" });

const runs = plan(recipe).map((r) => r.spec);
const setting = (transfer: string) => runs.filter((s) => s.tags!.transfer === transfer);
const logSpaced = (from: number, to: number) => Array.from({ length: 7 }, (_, i) => 10 ** (from + ((to - from) * i) / 6));
const sortedSet = (values: readonly number[]) => [...new Set(values)].sort((a, b) => a - b);

describe("kornblith-transfer", () => {
  it("plans the three settings over the 19 Table 4 backbones and the 12 datasets", () => {
    expect(runs).toHaveLength(expected.runs);
    expect([setting("logistic").length, setting("finetune").length, setting("scratch").length]).toEqual([expected.logisticRuns, expected.finetuneRuns, expected.scratchRuns]);
    expect(new Set(runs.map((s) => s.backbone.name))).toEqual(new Set(PAPER_BACKBONES));
    expect(new Set(runs.map((s) => s.dataset.name)).size).toBe(expected.datasets);
    // Every dataset is one of the facts table's, with that paper's metric.
    for (const { plugin } of KORNBLITH_DATASETS) expect(DATASET_FACTS.some((f) => f.plugin === plugin)).toBe(true);
    // Each setting on every dataset, VOC 2007's fixed features included (one-vs-rest fits).
    for (const transfer of ["logistic", "finetune", "scratch"]) expect(new Set(setting(transfer).map((s) => s.dataset.name)).size).toBe(expected.datasets);
    expect(plan(recipe, { smoke: true })).toHaveLength(expected.smokeRuns);
  });

  it("fine-tuning and from scratch: 20,000 steps of 256, Nesterov 0.9, per-step cosine, Kornblith's batch-norm momentum, 7 lr x (7 wd/lr ratios + none)", () => {
    const grids = { finetune: { lr: logSpaced(-4, -1), ratio: logSpaced(-6, -3) }, scratch: { lr: logSpaced(-3, 0), ratio: logSpaced(-5, -2) } };
    for (const [transfer, grid] of Object.entries(grids)) {
      const specs = setting(transfer);
      const pair = specs.filter((s) => s.dataset.name === "dtd" && s.backbone.name === "resnet50.tv_in1k");
      expect(pair).toHaveLength(expected.perPair);
      // 6 significant digits in the spec.
      sortedSet(pair.map((s) => s.training.lr)).forEach((lr, i) => expect(lr / grid.lr[i]).toBeCloseTo(1, 5));
      for (const lr of sortedSet(pair.map((s) => s.training.lr))) {
        const ratios = sortedSet(pair.filter((s) => s.training.lr === lr).map((s) => s.training.weightDecay / lr));
        expect(ratios[0]).toBe(0);
        ratios.slice(1).forEach((r, i) => expect(r / grid.ratio[i]).toBeCloseTo(1, 4));
      }
      for (const s of specs) {
        expect(s.training).toMatchObject({ steps: 20_000, batchSize: 256, epochs: 20, batchNormMomentum: "kornblith" });
        expect(s.optimizer).toEqual({ name: "sgd", options: { momentum: 0.9, nesterov: true } });
        expect(s.schedule).toEqual({ name: "cosine", options: { per: "step" } });
        expect(s.backbone.options).toEqual(transfer === "scratch" ? { init: "random" } : undefined);
      }
    }
    expect(setting("logistic").every((s) => s.training.mode === "logistic-regression" && s.backbone.options === undefined)).toBe(true);
  });

  it("splits: the provided validation set of FGVC Aircraft, VOC 2007, DTD and Flowers, a seeded 20% holdout of train elsewhere, the test set reported; each network at its native size, evaluated at 256/224 of it once trained", () => {
    const provided = new Set(["fgvc-aircraft", "voc2007", "dtd", "flowers102"]);
    for (const s of runs) {
      expect(s.splitter).toEqual(provided.has(s.dataset.name)
        ? { name: "predefined", options: { train: "train", val: "val", test: "test" } }
        : { name: "predefined-holdout", options: { train: "train", test: "test", valFraction: HOLDOUT_FRACTION } });
      expect(s.splitSeed).toBe(0);
      const size = backboneMeta(s.backbone.name).inputSize;
      expect(inputSizeOf(s.backbone.name)).toBe(size);
      const resize = s.tags?.transfer === "logistic" ? size : Math.round((size * 256) / 224);
      expect((s as RunSpec).augment.eval).toEqual([{ name: "resize-center-crop", options: { resize, crop: size } }]);
    }
    expect(SMOKE_BACKBONES.every((id) => PAPER_BACKBONES.includes(id))).toBe(true);
  });

  it("xfer run --smoke, xfer results --by transfer and xfer report (by transfer, compared with fine-tuning) as processes", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-kornblith-"));
    const run = xfer("run", "kornblith-transfer", "--smoke", "--out", out, "--backend", "wasm", "--jobs", "1");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`kornblith-transfer: ${expected.smokeRuns} trained`);
    const csv = join(out, "results.csv");
    const results = xfer("results", "kornblith-transfer", "--out", out, "--by", "transfer", "--csv", csv);
    expect(results.status, results.stderr).toBe(0);
    const [header, ...rows] = readFileSync(csv, "utf8").trim().split("\n");
    expect(header).toBe("model,imagenet_top1,CIFAR-10/finetune,CIFAR-10/scratch,DTD/finetune,DTD/logistic,DTD/scratch,VOC 2007/logistic");
    expect(rows.map((r) => r.split(",").slice(0, 2).join(","))).toEqual(["shufflenet_v2_x0_5.tv_in1k,60.6", "squeezenet1_1.tv_in1k,58.2"]);
    const report = xfer("report", "kornblith-transfer", "--out", out);
    expect(report.status, report.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, "kornblith-transfer", "report", "report.json"), "utf8"));
    expect(json.x).toBe("imagenet_top1");
    expect(json.comparison).toMatchObject({ axis: "transfer", reference: "finetune" });
    expect(Object.keys(json.compare_transfer).sort()).toEqual(["CIFAR-10: scratch - finetune", "DTD: logistic - finetune", "DTD: scratch - finetune", "VOC 2007: logistic - finetune"]);
    // VOC 2007 has fixed-feature runs only in the smoke: its comparison names what is missing.
    expect(json.compare_transfer["VOC 2007: logistic - finetune"].r_diff.reason).toBe('no "VOC 2007" column with transfer = finetune');
    expect(existsSync(join(out, "kornblith-transfer", "report", "figure1.svg"))).toBe(true);
  }, 240_000);
});
