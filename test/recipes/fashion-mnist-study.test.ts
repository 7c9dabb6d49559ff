// The Fashion-MNIST pretrain -> transfer study: its plan is the declared design (14 models of 10
// families upstream; every model x task x way to transfer downstream, each transferred run loading
// its own model's upstream run), and a user's commands run as processes on the committed fixture:
// `xfer run fashion-mnist-study --smoke` (both stages), `xfer results --by transfer` and
// `xfer report` (by transfer, the recipe's default), whose upstream column is the upstream runs' test accuracy.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { planStages, type PlannedRun, type RunResult, type TrainRecipe } from "../../core/index.ts";
import pretrain from "../../recipes/fashion-mnist-pretrain/recipe.ts";
import study from "../../recipes/fashion-mnist-study/recipe.ts";
import { MODELS, SMOKE_MODELS, TASKS, TRANSFERS } from "../../recipes/shared/fashion-mnist-study.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const expected = JSON.parse(readFileSync(new URL("../../recipes/fashion-mnist-study/expected.json", import.meta.url), "utf8")) as {
  upstreamRuns: number; runs: number; smokeUpstreamRuns: number; smokeRuns: number;
};

function xfer(...args: string[]) {
  return spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8" });
}

const lookups = { recipe: async (name: string): Promise<TrainRecipe> => (name === pretrain.name ? pretrain : Promise.reject(new Error(name))), identity: async (run: PlannedRun) => run.hash };

describe("fashion-mnist-study", () => {
  it("plans 14 upstream models of 10 families, then every model x task x way to transfer on its own model's upstream run", async () => {
    const [upstream, downstream] = await planStages(study, {}, lookups);
    expect(upstream.recipe.name).toBe("fashion-mnist-pretrain");
    expect(upstream.runs).toHaveLength(MODELS.length);
    expect(MODELS.length).toBeGreaterThanOrEqual(12);
    const families = new Set(MODELS.map((m) => m.backbone.name.split(/[_.]/)[0]));
    expect(families.size).toBeGreaterThanOrEqual(6);
    const runsPerTask = TRANSFERS.reduce((n, way) => n + way.training.length, 0);
    expect(downstream.runs).toHaveLength(MODELS.length * TASKS.length * runsPerTask);
    expect([upstream.runs.length, downstream.runs.length]).toEqual([expected.upstreamRuns, expected.runs]);
    const smoke = await planStages(study, { smoke: true }, lookups);
    expect(smoke.map((stage) => stage.runs.length)).toEqual([expected.smokeUpstreamRuns, expected.smokeRuns]);

    const upstreamOf = new Map(upstream.runs.map((r) => [r.spec.tags!.model, r]));
    for (const { spec } of downstream.runs) {
      const model = upstreamOf.get(spec.tags!.model)!;
      expect(spec.backbone).toEqual(model.spec.backbone);
      if (spec.tags!.transfer === "scratch") expect(spec.upstream).toBeNull();
      else expect(spec.upstream).toEqual({ recipe: "fashion-mnist-pretrain", select: { "tags.model": spec.tags!.model }, run: model.hash });
      // New classes are the four upstream never saw; the low-resolution task is the upstream classes at 10 px.
      const lowResolution = spec.tags!.task.startsWith("low-resolution");
      expect(spec.dataset.options!.classes).toEqual(lowResolution ? [0, 1, 2, 3, 4, 5] : [6, 7, 8, 9]);
      expect(spec.augment.eval[0]?.options).toEqual(lowResolution ? { resize: 10, crop: 10 } : spec.augment.eval[0]?.options);
      expect(spec.augment.train).toEqual(spec.augment.eval);
    }
  });

  it("xfer run --smoke trains both stages; xfer results --by transfer and xfer report (its recipe default: by transfer, compared with fine-tuning) read them", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-fm-study-"));
    const run = xfer("run", "fashion-mnist-study", "--smoke", "--out", out, "--backend", "wasm", "--jobs", "1");
    expect(run.status, run.stderr).toBe(0);
    const smokeRuns = SMOKE_MODELS.length * 2 * TRANSFERS.reduce((n, way) => n + way.training.length, 0);
    expect(run.stdout).toMatch(new RegExp(`^fashion-mnist-pretrain: ${SMOKE_MODELS.length} trained, 0 already done`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^fashion-mnist-study: ${smokeRuns} trained, 0 already done`, "m"));

    const csv = join(out, "results.csv");
    const results = xfer("results", "fashion-mnist-study", "--out", out, "--by", "transfer", "--csv", csv);
    expect(results.status, results.stderr).toBe(0);
    const [header, ...rows] = readFileSync(csv, "utf8").trim().split("\n").map((line) => line.split(","));
    expect(header.slice(0, 2)).toEqual(["model", "upstream_accuracy"]);
    for (const task of ["new-classes-k5", "low-resolution-k100"]) {
      for (const way of TRANSFERS) expect(header).toContain(`${task}/${way.transfer}`);
    }
    // The upstream column is each model's upstream run's test accuracy, in percent.
    const upstreamDir = join(out, "fashion-mnist-pretrain");
    const upstream = readdirSync(upstreamDir).filter((id) => /^[0-9a-f]{64}$/.test(id)).map((id) => ({
      model: JSON.parse(readFileSync(join(upstreamDir, id, "spec.json"), "utf8")).tags.model as string,
      result: JSON.parse(readFileSync(join(upstreamDir, id, "result.json"), "utf8")) as RunResult,
    }));
    expect(rows.map((r) => r[0]).sort()).toEqual(SMOKE_MODELS.map((m) => m.label).sort());
    for (const row of rows) {
      const { result } = upstream.find((u) => u.model === row[0])!;
      expect(Number(row[1])).toBeCloseTo(100 * result.test!.accuracy, 10);
    }

    // No --by: the recipe's report.by (transfer) and its comparison of each way with fine-tuning.
    const report = xfer("report", "fashion-mnist-study", "--out", out);
    expect(report.status, report.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, "fashion-mnist-study", "report", "report.json"), "utf8"));
    expect(json.x).toBe("upstream_accuracy");
    expect(json.comparison).toMatchObject({ axis: "transfer", reference: "finetune" });
    const others = TRANSFERS.map((way) => way.transfer).filter((way) => way !== "finetune");
    expect(Object.keys(json.compare_transfer).sort()).toEqual(["new-classes-k5", "low-resolution-k100"].flatMap((task) => others.map((way) => `${task}: ${way} - finetune`)).sort());
    expect(json.compare_transfer[`new-classes-k5: ${others[0]} - finetune`].r_diff.reason).toBe(`2 model(s) have both finetune and ${others[0]} values; a comparison needs at least 4`);
  }, 180_000);
});
