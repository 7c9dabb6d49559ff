// The Fashion-MNIST study: its plan is the declared grid, its smoke mode runs end to end on the
// committed fixture through the CLI, and its trends report selects on val and fits on log10(params).
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { plan, sortKeys, type JsonObject, type RunResult, type StoredRun } from "../../core/index.ts";
import { main } from "../../plugins/platform/node/cli/main.ts";
import recipe, { MODELS, OPTIMIZERS } from "../../recipes/fashion-mnist-transfer/recipe.ts";
import { modelParams, storedRuns } from "../../recipes/fashion-mnist-transfer/report.ts";
import { formatTrends, trendsReport } from "../../recipes/fashion-mnist-transfer/trends.ts";

const expected = JSON.parse(readFileSync(new URL("../../recipes/fashion-mnist-transfer/expected.json", import.meta.url), "utf8")) as {
  runs: number;
  smokeRuns: number;
};

async function xfer(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "xfer", ...args], { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
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
  });

  it("runs its smoke mode on the fixture through the CLI and reports it", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-fm-"));
    const run = await xfer("run", "fashion-mnist-transfer", "--smoke", "--out", out, "--backend", "wasm");
    expect(run.err).toMatch(/^xfer: backend wasm /);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(new RegExp(`${expected.smokeRuns} trained, 0 already done`));
    const stored = await storedRuns(out);
    expect(stored).toHaveLength(expected.smokeRuns);
    // The fixture has 20 train images (2 per class): half of each class is held out for selection.
    expect(stored.every((r) => r.result.test !== undefined && r.result.epochs.length === 1)).toBe(true);
    // modelParams builds each model on the backend the run started; MODELS lists them smallest first.
    const params = await modelParams();
    const counts = [...params.values()];
    expect(counts).toHaveLength(MODELS.length);
    expect(new Set(counts).size).toBe(counts.length);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    const report = trendsReport(stored, (m) => params.get(m)!);
    expect(report.rows.map((r) => r.model)).toEqual([MODELS[0].label, MODELS[2].label]);
    expect(report.rows.every((r) => r.runs === OPTIMIZERS.length)).toBe(true);
    expect(report.fit).toBeUndefined();
    expect(formatTrends(report)).toMatch(/Fewer than three models have runs/);
  }, 60_000);
});

describe("fashion-mnist-transfer trends report", () => {
  const run = (model: number, optimizer: number, val: number, test: number, seconds = 10): StoredRun => ({
    spec: { backbone: MODELS[model].backbone, optimizer: OPTIMIZERS[optimizer].optimizer } as unknown as StoredRun["spec"],
    result: {
      hash: `h${model}${optimizer}`, recipe: recipe.name, epochs: [], bestEpoch: 2, best: { accuracy: val }, test: { accuracy: test },
      seconds, seeds: {}, environment: { backend: "wasm", backendVersion: "4.22.0" },
    } as unknown as RunResult,
  });
  const params = new Map<string, number>(MODELS.map((m, i) => [m.label, 10 ** (3 + i)]));

  it("chooses each model's grid point on val (not test; the first on ties) and fits test accuracy on log10(params)", () => {
    const stored = [
      // test accuracy = 70 + 5 * log10(params) at the val-chosen point; the other point has a higher test score.
      run(0, 0, 0.8, 0.85), run(0, 1, 0.7, 0.99),
      run(1, 0, 0.8, 0.90), run(1, 1, 0.8, 0.50),
      run(2, 0, 0.6, 0.99), run(2, 1, 0.9, 0.95),
      run(3, 0, 0.9, 1.00), run(3, 1, 0.5, 0.99),
    ];
    const report = trendsReport(stored, (m) => params.get(m)!);
    expect(report.rows.map((r) => r.optimizer)).toEqual(["sgd", "sgd", "adamw", "sgd"]);
    expect(report.rows.map((r) => r.testAccuracy)).toEqual([85, 90, 95, 100].map((v) => expect.closeTo(v, 9)));
    expect(report.fit!.slope).toBeCloseTo(5, 9);
    expect(report.fit!.intercept).toBeCloseTo(70, 9);
    expect(report.fit!.pearsonR).toBeCloseTo(1, 9);
    expect(report.rows[0].seconds).toBe(20);
    expect(report.seconds).toBe(80);
    expect(formatTrends(report)).toMatch(/OLS slope = 5\.00 \+- 0\.00 points per tenfold parameters/);
  });

  it("names a run that is not a grid point of the study", () => {
    const stranger = { ...run(0, 0, 0.5, 0.5), spec: { backbone: { name: "vgg" }, optimizer: OPTIMIZERS[0].optimizer } as unknown as StoredRun["spec"] };
    expect(() => trendsReport([stranger], () => 1)).toThrow(/run h00.*not a grid point of fashion-mnist-transfer/);
  });
});
