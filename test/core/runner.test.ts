import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { attemptFree } from "../helpers/attempt-free.ts";
import { checkPlugins, createRunContainer, defineRecipe, parseConfig, plan, runPlan, TOKENS, type RunResult } from "../../core/index.ts";
import { createNodeRoot } from "../../plugins/platform/node/services.ts";
import { readCheckpoint } from "../../plugins/backbones/weights/index.ts";
import { helloLikeTemplate } from "../helpers/golden.ts";
import { cpuEnvironment, testRegistry } from "../helpers/plugins.ts";
import { checkRunFolders } from "../store/run-folders.ts";

const recipe = defineRecipe({ name: "resume", description: "", template: helloLikeTemplate, grid: { "training.lr": [0.1, 0.05] } });

async function root(dir: string) {
  return createNodeRoot({ config: parseConfig({}, "test"), runDir: dir, registry: testRegistry(), environment: await cpuEnvironment() });
}

describe("running a plan", () => {
  it("trains every run, stores spec, environment and result, and skips finished runs on resume", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-runs-"));
    const runs = plan(recipe);
    const first = await runPlan(await root(dir), runs);
    expect(first.trained).toEqual(runs.map((r) => r.hash));
    for (const { hash } of runs) {
      expect((await readdir(join(dir, hash))).sort()).toEqual(["attempts", "result.json", "spec.json"]);
      const [attempt] = await readdir(join(dir, hash, "attempts"));
      expect((await readdir(join(dir, hash, "attempts", attempt))).sort()).toEqual(["best.safetensors", "environment.json", "epochs.jsonl", "predictions.safetensors", "result.json", "spec.json"]);
    }
    const stored = JSON.parse(await readFile(join(dir, runs[0].hash, "result.json"), "utf8")) as RunResult;
    const streamed = (await readFile(join(dir, runs[0].hash, "attempts", stored.attempt!, "epochs.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(stored.epochs).toHaveLength(2);
    expect(streamed).toEqual(stored.epochs);
    expect(checkRunFolders(dir).published.size).toBe(2);

    // The best epoch's weights, readable by the safetensors reader the backbones use.
    const checkpoint = await readCheckpoint(join(dir, runs[0].hash, stored.checkpoint!.path));
    expect([...checkpoint.keys()].sort()).toEqual([
      "conv1/bias", "conv1/kernel", "conv2/bias", "conv2/kernel", "fc1/bias", "fc1/kernel", "head/bias", "head/kernel",
    ]);
    expect(checkpoint.get("head/kernel")!.shape).toEqual([8, 3]);
    expect(stored.environment.backend).toBe("cpu");
    expect(stored.best.accuracy).toBeGreaterThanOrEqual(0);

    const second = await runPlan(await root(dir), runs);
    expect(second.trained).toEqual([]);
    expect(second.skipped).toEqual(runs.map((r) => r.hash));
    expect(second.results).toEqual(first.results);
  });

  it("re-runs a run killed before its result was published, and reproduces it exactly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-runs-"));
    const runs = plan(recipe);
    const full = await runPlan(await root(dir), runs);
    // Simulate a kill before the result was linked into place (the attempt's own result.json stays).
    const victim = runs[1].hash;
    await rm(join(dir, victim, "result.json"));

    const resumed = await runPlan(await root(dir), runs);
    expect(resumed.skipped).toEqual([runs[0].hash]);
    expect(resumed.trained).toEqual([victim]);
    expect(resumed.discarded).toEqual([]);
    expect(resumed.results.map(attemptFree)).toEqual(full.results.map(attemptFree));
    // The new attempt published; the earlier one keeps its folder.
    expect(await readdir(join(dir, victim, "attempts"))).toHaveLength(2);
    expect(resumed.results[1].attempt).not.toBe(full.results[1].attempt);
    expect(checkRunFolders(dir).published.size).toBe(2);
  });

  it("builds one child container per run holding that run's own plugin instances", async () => {
    const container = await root(await mkdtemp(join(tmpdir(), "xfer-runs-")));
    const [a, b] = plan(recipe);
    const runA = await createRunContainer(container, a.hash, a.spec);
    const runB = await createRunContainer(container, b.hash, b.spec);
    expect(runA.resolve(TOKENS.spec).training.lr).toBe(0.1);
    expect(runB.resolve(TOKENS.spec).training.lr).toBe(0.05);
    expect(runA.resolve(TOKENS.backbone)).not.toBe(runB.resolve(TOKENS.backbone));
    expect(runA.resolve(TOKENS.registry)).toBe(runB.resolve(TOKENS.registry));
    expect(runA.resolve(TOKENS.metrics).map((m) => m.name)).toEqual(["accuracy"]);
    runA.resolve(TOKENS.backbone).dispose();
    runB.resolve(TOKENS.backbone).dispose();
  });
});

describe("checkPlugins", () => {
  it("names each missing plugin once, with its run count and the valid names", () => {
    const runs = plan(defineRecipe({ name: "bad", description: "", template: { ...helloLikeTemplate, backbone: { name: "resnet9000.x" } }, grid: { "training.lr": [0.1, 0.2] } }));
    expect(checkPlugins(testRegistry(), runs)).toEqual([
      'unknown backbone "resnet9000.x"; valid backbone names: tinycnn.random (needed by 2 run(s))',
    ]);
    expect(checkPlugins(testRegistry(), plan(recipe))).toEqual([]);
    const badAugment = plan(defineRecipe({ name: "bad-aug", description: "", template: { ...helloLikeTemplate, augment: { train: [{ name: "random-crop-typo" }], eval: [] } } }));
    expect(checkPlugins(testRegistry(), badAugment)).toEqual(['unknown augmentation "random-crop-typo"; valid augmentation names: (none registered) (needed by 1 run(s))']);
  });
});
