import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import {
  createRootContainer, createRunContainer, defineRecipe, definePlugin, executeRun, MemoryRunStore, parseConfig, plan, PluginRegistry,
  toBatch, type Labels, type Plugin, type RunTemplate, type Scores,
} from "../../core/index.ts";
import { helloLikeTemplate } from "../helpers/golden.ts";
import { argmaxAccuracy, constantSchedule, cpuEnvironment, everyThirdHoldout, NO_FILES, plainSgd, tinyCnnBackbone } from "../helpers/plugins.ts";
import { syntheticDataset } from "../../plugins/datasets/synthetic/index.ts";
import { BATCH_AUGMENTATION_PLUGINS } from "../../plugins/augmentations/index.ts";


/** Trains the single run of `template` with the test plugins, `overrides` replacing same-named ones. */
async function trainOnce(template: RunTemplate, overrides: readonly Plugin[] = []) {
  const names = new Set(overrides.map((o) => `${o.meta.kind}/${o.meta.name}`));
  const base = [syntheticDataset, tinyCnnBackbone, everyThirdHoldout, plainSgd, constantSchedule, argmaxAccuracy] as Plugin[];
  const registry = new PluginRegistry([...base.filter((p) => !names.has(`${p.meta.kind}/${p.meta.name}`)), ...overrides]);
  const store = new MemoryRunStore();
  const environment = await cpuEnvironment();
  const root = createRootContainer({ registry, config: parseConfig({}, "test"), ...NO_FILES, runStore: store, environment, clock: performance });
  const [{ hash, spec }] = plan(defineRecipe({ name: "trainer-test", description: "", template }));
  return executeRun(await createRunContainer(root, hash, spec), await store.begin(hash, spec as never, environment));
}

/** A metric that reports a scripted value per validation pass and records what it saw. */
function scriptedMetric(values: number[], direction: "max" | "min") {
  const seen: Scores[] = [];
  const fittedOn: Scores[] = [];
  const plugin = definePlugin({
    meta: { kind: "metric", name: "scripted", version: "0.0.0", description: "" },
    create: () => {
      const metric = {
        name: "scripted",
        direction,
        compute: (_y: Labels, scores: Scores) => {
          seen.push(scores);
          return values[Math.min(seen.length - 1, values.length - 1)];
        },
        fit: (_y: Labels, scores: Scores) => {
          fittedOn.push(scores);
          return metric;
        },
      };
      return metric;
    },
  });
  return { plugin, seen, fittedOn };
}

/** The synthetic dataset, but selecting epochs by the scripted metric. */
const scriptedSelection = definePlugin({
  meta: { kind: "dataset", name: "synthetic-scripted", version: "0.0.0", description: "" },
  async create(options, ctx) {
    const inner = await syntheticDataset.create(options, ctx);
    return { ...inner, meta: { ...inner.meta, selectionMetric: "scripted" } };
  },
});

async function runWith(metricPlugin: ReturnType<typeof scriptedMetric>["plugin"], epochs: number, split: Plugin = everyThirdHoldout) {
  return trainOnce(
    {
      ...helloLikeTemplate,
      dataset: { name: "synthetic-scripted", options: helloLikeTemplate.dataset.options },
      splitter: { name: split.meta.name },
      metrics: ["accuracy"],
      training: { ...helloLikeTemplate.training, epochs },
    },
    [scriptedSelection, split, metricPlugin],
  );
}

describe("trainer", () => {
  it("keeps the strictly better epoch, so the earliest of tied epochs wins", async () => {
    const up = await runWith(scriptedMetric([0.5, 0.7, 0.7, 0.6], "max").plugin, 4);
    expect(up.epochs.map((e) => e.selection.scripted)).toEqual([0.5, 0.7, 0.7, 0.6]);
    expect(up.bestEpoch).toBe(2);
    expect(up.best.scripted).toBe(0.7);
    const down = await runWith(scriptedMetric([0.9, 0.4, 0.4, 0.3, 0.3], "min").plugin, 5);
    expect(down.bestEpoch).toBe(4);
  });

  it("scores the test split with the best epoch's weights, fitting metrics on the selection split", async () => {
    const withTest = definePlugin({
      meta: { kind: "splitter", name: "test-thirds", version: "0.0.0", description: "" },
      create: () => ({
        split: (index) => ({
          train: index.samples.filter((_, i) => i % 3 === 0).map((s) => s.id),
          val: index.samples.filter((_, i) => i % 3 === 1).map((s) => s.id),
          test: index.samples.filter((_, i) => i % 3 === 2).map((s) => s.id),
        }),
      }),
    });
    const scripted = scriptedMetric([0.2, 0.9, 0.5], "max");
    const result = await runWith(scripted.plugin, 3, withTest);
    expect(result.bestEpoch).toBe(2);
    expect(result.test).toBeDefined();
    // The val scores the metric is fitted on at test time are the best epoch's (epoch 2) scores.
    expect(scripted.fittedOn).toHaveLength(1);
    expect(scripted.fittedOn[0]).toEqual(scripted.seen[1]);
    expect(scripted.fittedOn[0]).not.toEqual(scripted.seen[2]);
  });

  it("learns the synthetic task well above chance", async () => {
    const result = await trainOnce({
      ...helloLikeTemplate,
      dataset: { name: "synthetic", options: { classes: 3, perClass: 30, size: 8 } },
      training: { epochs: 6, batchSize: 10, lr: 0.1, weightDecay: 0 },
    });
    expect(result.best.accuracy).toBeGreaterThan(0.6);
    expect(result.epochs[result.bestEpoch - 1].selection.accuracy).toBe(result.best.accuracy);
  });

  it("leaks no tensors across epochs or runs", async () => {
    const { plugin } = scriptedMetric([0.1, 0.2, 0.3], "max");
    await runWith(plugin, 1);
    const before = tf.memory().numTensors;
    await runWith(plugin, 3);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("training modes", () => {
  /** The tiny CNN, kept alive after the run so its weights can be inspected. */
  function keptBackbone() {
    const kept: { instance?: import("../../core/index.ts").Backbone; initial?: Float32Array[] } = {};
    const plugin = definePlugin({
      meta: { kind: "backbone", name: "tinycnn.random", version: "0.0.0", description: "" },
      async create(options, ctx) {
        const inner = await tinyCnnBackbone.create(options, ctx);
        // Every member of the real backbone (class instance or plain object) except dispose.
        kept.instance = new Proxy(inner, {
          get: (target, key) => (key === "dispose" ? () => {} : typeof Reflect.get(target, key) === "function" ? Reflect.get(target, key).bind(target) : Reflect.get(target, key)),
        });
        kept.initial = inner.stateVariables().map((v) => v.dataSync().slice() as Float32Array);
        return kept.instance;
      },
    });
    return { plugin, kept };
  }

  async function runMode(training: object) {
    const { plugin, kept } = keptBackbone();
    const result = await trainOnce({ ...helloLikeTemplate, training: { ...helloLikeTemplate.training, epochs: 3, ...training } }, [plugin]);
    const changed = kept.instance!.stateVariables().map((v, i) => !v.dataSync().every((x, j) => x === kept.initial![i][j]));
    kept.instance!.stateVariables().forEach((v) => v.dispose());
    return { result, changed };
  }

  it("linear-probe trains only the head", async () => {
    const { changed } = await runMode({ mode: "linear-probe" });
    // tiny CNN state: 6 body variables, then head kernel and bias
    expect(changed).toEqual([false, false, false, false, false, false, true, true]);
  });

  it("lp-ft probes first, then fine-tunes everything", async () => {
    const { changed, result } = await runMode({ mode: "lp-ft", lpEpochs: 1 });
    expect(changed.every(Boolean)).toBe(true);
    expect(result.epochs).toHaveLength(3);
    await expect(runMode({ mode: "lp-ft" })).rejects.toThrow(/training.lpEpochs/);
  });

  it("frozen-features trains a fresh linear classifier on features computed once", async () => {
    const { changed, result } = await runMode({ mode: "frozen-features", lr: 0.5 });
    expect(changed.every((c) => !c)).toBe(true);
    expect(result.best.accuracy).toBeGreaterThan(1 / 3);
  });
});

describe("toBatch", () => {
  it("applies the backbone's mean/std to 8-bit images and passes float images through", () => {
    const u8 = { width: 1, height: 1, channels: 3, data: Uint8Array.from([255, 0, 51]) };
    const x = toBatch([u8], { mean: [0.5, 0.5, 0.2], std: [0.5, 0.25, 0.2] });
    expect(Array.from(x.dataSync()).map((v) => Number(v.toFixed(6)))).toEqual([1, -2, 0]);
    const f32 = { width: 1, height: 1, channels: 3, data: Float32Array.from([0.1, -0.2, 3]) };
    expect(Array.from(toBatch([f32], { mean: [9, 9, 9], std: [9, 9, 9] }).dataSync())).toEqual(Array.from(f32.data));
    expect(() => toBatch([u8], { mean: [0.5], std: [0.5] })).toThrow(/3 channel\(s\) but the backbone normalizes 1/);
  });
});

describe("batch augmentations", () => {
  async function runWithBatch(batch: { name: string; options?: object }[], training: object = {}) {
    return trainOnce(
      { ...helloLikeTemplate, augment: { train: [], eval: [], batch: batch as never }, training: { ...helloLikeTemplate.training, ...training } },
      BATCH_AUGMENTATION_PLUGINS,
    );
  }

  it("trains on MixUp/CutMix-mixed batches, reproducibly, without leaking tensors", async () => {
    const plain = await runWithBatch([]);
    const before = tf.memory().numTensors;
    const mixed = await runWithBatch([{ name: "mixup", options: { p: 1 } }, { name: "cutmix", options: { p: 1 } }]);
    expect(tf.memory().numTensors).toBe(before);
    const again = await runWithBatch([{ name: "mixup", options: { p: 1 } }, { name: "cutmix", options: { p: 1 } }]);
    expect(mixed.epochs.map((e) => e.trainLoss)).toEqual(again.epochs.map((e) => e.trainLoss));
    expect(mixed.epochs[0].trainLoss).not.toBe(plain.epochs[0].trainLoss);
  });

  it("refuses batch augmentations in frozen-features mode", async () => {
    await expect(runWithBatch([{ name: "mixup" }], { mode: "frozen-features" })).rejects.toThrow(/do not apply in frozen-features mode/);
  });
});

describe("ordinal regression", () => {
  async function runOrdinal(loss: "ordinal-l1" | "ordinal-mse") {
    // Synthetic classes get brighter with the class index, so a single regressed number orders them.
    return trainOnce({
      ...helloLikeTemplate,
      dataset: { name: "synthetic", options: { classes: 3, perClass: 30, size: 8 } },
      training: { epochs: 6, batchSize: 10, lr: 0.05, weightDecay: 0, loss },
    });
  }

  it("regresses one output and maps it to classes by cut points fitted on the selection split", async () => {
    for (const loss of ["ordinal-l1", "ordinal-mse"] as const) {
      const result = await runOrdinal(loss);
      expect(result.thresholds).toHaveLength(2);
      expect(result.thresholds![0]).toBeLessThanOrEqual(result.thresholds![1]);
      expect(result.best.accuracy).toBeGreaterThan(0.5);
    }
  });
});
