// The Fashion-MNIST study: its plan is the declared grid, and a user's two commands,
// `xfer run fashion-mnist-transfer --smoke` then `xfer report fashion-mnist-transfer`, run as
// processes on the committed fixture and write the trend report of test accuracy on log10(params)
// whose numbers follow from the stored runs.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { plan, sortKeys, type JsonObject, type RunResult } from "../../core/index.ts";
import recipe, { MODELS, OPTIMIZERS } from "../../recipes/fashion-mnist-transfer/recipe.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const expected = JSON.parse(readFileSync(new URL("../../recipes/fashion-mnist-transfer/expected.json", import.meta.url), "utf8")) as {
  runs: number;
  smokeRuns: number;
};

function xfer(...args: string[]) {
  return spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8" });
}

describe("fashion-mnist-transfer", () => {
  it("plans one run per (model, optimizer setting), on the predefined test split with a val holdout from train", () => {
    const runs = plan(recipe);
    expect(runs).toHaveLength(MODELS.length * OPTIMIZERS.length);
    expect(runs).toHaveLength(expected.runs);
    const pairs = new Set(runs.map(({ spec }) => JSON.stringify([spec.backbone, spec.optimizer.name, spec.training.lr])));
    expect(pairs.size).toBe(runs.length);
    for (const { spec } of runs) {
      expect(spec.splitter).toEqual({ name: "predefined-holdout", options: { train: "train", test: "test", valFraction: 0.1 } });
      const model = MODELS.find((m) => JSON.stringify(sortKeys(m.backbone as unknown as JsonObject)) === JSON.stringify(spec.backbone))!;
      expect(spec.dataset.options?.channels).toBe(model.channels);
    }
    const smoke = plan(recipe, { smoke: true });
    expect(smoke).toHaveLength(expected.smokeRuns);
    // --smoke points every dataset at its committed fixture (plugins/platform/node/cli/main.ts).
    expect(existsSync(join(import.meta.dirname, "../../fixtures/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))).toBe(true);
    expect(recipe.report).toEqual({ x: "log10_params" });
  });

  it("xfer run --smoke, then xfer report: the trend report of the stored runs", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-fm-"));
    const run = xfer("run", "fashion-mnist-transfer", "--smoke", "--out", out, "--backend", "wasm");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`${expected.smokeRuns} trained, 0 already done`));
    const report = xfer("report", "fashion-mnist-transfer", "--out", out);
    expect(report.status, report.stderr).toBe(0);

    const dir = join(out, "fashion-mnist-transfer", "report");
    expect(readdirSync(dir).sort()).toEqual(["figure1.png", "figure1.svg", "figure1.vl.json", "report.html", "report.json", "report.md", "results.csv", "trends.csv"]);
    const json = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
    expect(json.x).toBe("log10_params");

    // Independently: per model, the run with the best val accuracy; its test accuracy (%) and parameter count.
    const runs = readdirSync(join(out, "fashion-mnist-transfer")).filter((h) => /^[0-9a-f]{64}$/.test(h)).map((h) => ({
      spec: JSON.parse(readFileSync(join(out, "fashion-mnist-transfer", h, "spec.json"), "utf8")),
      result: JSON.parse(readFileSync(join(out, "fashion-mnist-transfer", h, "result.json"), "utf8")) as RunResult,
    }));
    expect(runs).toHaveLength(expected.smokeRuns);
    const byModel = new Map<string, (typeof runs)[number]>();
    for (const r of runs.sort((a, b) => (a.result.hash < b.result.hash ? -1 : 1))) {
      // The smoke models are two backbone ids with one configuration each: the model is the id.
      const label = r.spec.backbone.name as string;
      const incumbent = byModel.get(label);
      if (!incumbent || r.result.best.accuracy > incumbent.result.best.accuracy) byModel.set(label, r);
    }
    expect(Object.keys(json.results).sort()).toEqual([...byModel.keys()].sort());
    for (const [model, r] of byModel) {
      // The smoke models' parameter counts with Fashion-MNIST's 10-class head (README's table).
      expect(r.result.params).toBe(model.startsWith("tinycnn") ? 6_794 : 78_962);
      expect(json.results[model].log10_params.recomputed).toBeCloseTo(Math.log10(r.result.params!), 12);
      expect(json.results[model]["Fashion-MNIST"].recomputed).toBeCloseTo(100 * r.result.test!.accuracy, 10);
    }
    // Two smoke models: no fit (it needs three), and the report says so.
    expect(json.trends["Fashion-MNIST"].r_all).toMatchObject({ recomputed: null, reason: "2 model(s) with a value; a fit needs at least 3" });
    expect(json.notes.join("\n")).toMatch(/Fashion-MNIST 0-100 \(accuracy, from the dataset facts table\)/);
  }, 120_000);

  it("xfer report names a recipe without runs and refuses an analysis recipe", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-fm-empty-"));
    const none = xfer("report", "fashion-mnist-transfer", "--out", out);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/no finished runs of "fashion-mnist-transfer" in .*run `xfer run fashion-mnist-transfer` first/);
    const analysis = xfer("report", "transfer-trends", "--out", out);
    expect(analysis.status).toBe(1);
    expect(analysis.stderr).toMatch(/"transfer-trends" is an analysis recipe/);
  });
});
