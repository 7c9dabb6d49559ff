// Core under Deno: the same plan hashes as Node, seeded streams, and a tiny training run on the
// cpu backend. Run with `npm run deno:test` (see .ci/run).
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { createRootContainer, defineRecipe, MemoryRunStore, parseConfig, plan, runPlan, SeedTree } from "../../core/index.ts";
import { GOLDEN, helloLikeTemplate } from "../helpers/golden.ts";
import { NO_FILES, testRegistry } from "../helpers/plugins.ts";

Deno.test("plan hashes equal Node's golden values", () => {
  const runs = plan(defineRecipe({ name: "golden", description: "fixed", template: helloLikeTemplate, grid: { "training.lr": [0.1, 0.01] } }));
  assert.deepEqual(runs.map((r) => r.hash), GOLDEN.hashes);
});

Deno.test("named streams are deterministic and independent", () => {
  const a = new SeedTree(42).stream("shuffle", 3);
  const b = new SeedTree(42).stream("shuffle", 3);
  const c = new SeedTree(42).stream("augment", 3);
  const drawsA = [a.uniform(), a.uniform()];
  assert.deepEqual([b.uniform(), b.uniform()], drawsA);
  assert.notDeepEqual([c.uniform(), c.uniform()], drawsA);
});

Deno.test("a recipe trains through the DI container with the in-memory store", async () => {
  await tf.setBackend("cpu");
  const store = new MemoryRunStore();
  const root = createRootContainer({
    registry: testRegistry(),
    config: parseConfig({}, "deno test"),
    ...NO_FILES,
    runStore: store,
    environment: { backend: "cpu", backendVersion: tf.version_core, threads: 1, runtime: `deno ${Deno.version.deno}`, platform: Deno.build.os, versions: {} },
    clock: performance,
  });
  const runs = plan(defineRecipe({ name: "deno", description: "", template: helloLikeTemplate }));
  const outcome = await runPlan(root, runs);
  assert.equal(outcome.trained.length, 1);
  assert.equal((await store.get(runs[0].hash))!.result.epochs.length, 2);
  assert.deepEqual(store.epochs(runs[0].hash), outcome.results[0].epochs);
  const again = await runPlan(root, runs);
  assert.deepEqual(again.skipped, [runs[0].hash]);
});
