// training.mode "logistic-regression": the trainer's result is what selectRegularisation gives on the
// same penultimate features (the mode adds no numerics of its own), the checkpoint re-scores to the
// stored metrics, nothing is left to resume, and tasks it cannot fit are refused by name.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import {
  createRootContainer, createRunContainer, defineRecipe, definePlugin, evaluateRun, executeRun, logisticPredict, logisticPredictProba, MemoryRunStore, parseConfig, plan,
  PluginRegistry, RunStopped, selectOneVsRestRegularisation, selectRegularisation, toBatch, TOKENS, type DenseMatrix, type LogisticRegressionModel, type Plugin, type RunTemplate, type Sample,
} from "../../core/index.ts";
import { FIXED_FEATURE_TOLERANCE } from "../../core/train/trainer.ts";
import { helloLikeTemplate } from "../helpers/golden.ts";
import { argmaxAccuracy, constantSchedule, cpuEnvironment, NO_FILES, plainSgd, tinyCnnBackbone } from "../helpers/plugins.ts";
import { syntheticDataset } from "../../plugins/datasets/synthetic/index.ts";
import { vocMapMetric } from "../../plugins/metrics/index.ts";

/** Every third sample to train, val and test, in index order. */
const thirds = definePlugin({
  meta: { kind: "splitter", name: "test-thirds", version: "0.0.0", description: "" },
  create: () => ({
    split: (index: { samples: readonly Sample[] }) => ({
      train: index.samples.filter((_, i) => i % 3 === 0).map((s) => s.id),
      val: index.samples.filter((_, i) => i % 3 === 1).map((s) => s.id),
      test: index.samples.filter((_, i) => i % 3 === 2).map((s) => s.id),
    }),
  }),
});

/** The synthetic images, labelled as a multilabel task scored by voc-map (each sample its own class only; every 4th ignores the next class). */
const multilabelSynthetic = definePlugin({
  meta: { kind: "dataset", name: "synthetic-multilabel", version: "0.0.0", description: "" },
  async create(options, ctx) {
    const inner = await syntheticDataset.create(options, ctx);
    return {
      ...inner,
      meta: { ...inner.meta, name: "synthetic-multilabel", task: "multilabel" as const, selectionMetric: "voc-map" },
      index: async (c: Parameters<typeof inner.index>[0]) => ({ samples: (await inner.index(c)).samples.map((s, i) => ({ ...s, label: [s.label as number], ...(i % 4 === 0 ? { ignore: [((s.label as number) + 1) % 3] } : {}) })) }),
    };
  },
});

const template: RunTemplate = {
  ...helloLikeTemplate,
  dataset: { name: "synthetic", options: { classes: 3, perClass: 15, size: 8 } },
  splitter: { name: "test-thirds" },
  training: { epochs: 1, batchSize: 8, lr: 0.1, weightDecay: 0, mode: "logistic-regression" },
};

async function setUp(t: RunTemplate, splitter: Plugin = thirds) {
  const registry = new PluginRegistry([syntheticDataset, multilabelSynthetic, tinyCnnBackbone, splitter, plainSgd, constantSchedule, argmaxAccuracy, vocMapMetric] as Plugin[]);
  const store = new MemoryRunStore();
  const environment = await cpuEnvironment();
  const root = createRootContainer({ registry, config: parseConfig({}, "test"), ...NO_FILES, runStore: store, environment, clock: performance });
  const [{ hash, spec }] = plan(defineRecipe({ name: "logistic-mode-test", description: "", template: t }));
  return { store, environment, root, hash, spec };
}

async function trainOnce(t: RunTemplate, splitter?: Plugin) {
  const { store, environment, root, hash, spec } = await setUp(t, splitter);
  const attempt = await store.begin(hash, spec as never, environment);
  const result = await executeRun(await createRunContainer(root, hash, spec), attempt);
  // Published as `xfer run` publishes it, so the store hands out its checkpoint and predictions.
  await attempt.finish(result);
  return { store, root, hash, spec, result };
}

/** Penultimate features of `samples` as the trainer computes them: eval mode, batches of the run's size. */
async function featuresOf(run: Awaited<ReturnType<typeof createRunContainer>>, samples: readonly Sample[], batchSize: number): Promise<DenseMatrix> {
  const backbone = run.resolve(TOKENS.backbone);
  const dataset = run.resolve(TOKENS.dataset);
  const context = run.resolve(TOKENS.datasetContext)(dataset.meta);
  const rows: Float32Array[] = [];
  for (let start = 0; start < samples.length; start += batchSize) {
    const input = toBatch(await Promise.all(samples.slice(start, start + batchSize).map((s) => dataset.load(s, context))), backbone.meta);
    const f = backbone.forwardFeatures(input, false);
    const data = f.dataSync() as Float32Array;
    for (let i = 0; i < f.shape[0]; i++) rows.push(data.slice(i * f.shape[1], (i + 1) * f.shape[1]));
    input.dispose();
    f.dispose();
  }
  const cols = rows[0].length;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => data.set(r, i * cols));
  return { data, rows: rows.length, cols };
}

function accuracy(model: LogisticRegressionModel, X: DenseMatrix, y: readonly number[]): number {
  const predicted = logisticPredict(model, X);
  return y.filter((label, i) => predicted[i] === label).length / y.length;
}

/** Mean cross-entropy of the model's probabilities, computed in float64. */
function meanCrossEntropy(model: LogisticRegressionModel, X: DenseMatrix, y: readonly number[]): number {
  const p = logisticPredictProba(model, X);
  return y.reduce((sum, label, i) => sum - Math.log(p.data[i * p.cols + label]), 0) / y.length;
}

describe('training.mode "logistic-regression"', () => {
  it("equals selectRegularisation and its refit on the same features", async () => {
    const { store, root, hash, spec, result } = await trainOnce(template);
    const run = await createRunContainer(root, hash, spec);
    const samples = (await run.resolve(TOKENS.dataset).index(run.resolve(TOKENS.datasetContext)(run.resolve(TOKENS.dataset).meta))).samples;
    const part = (r: number) => samples.filter((_, i) => i % 3 === r);
    const [train, val, test] = [part(0), part(1), part(2)];
    const labels = (s: readonly Sample[]) => s.map((x) => x.label as number);
    const [trainX, valX, testX] = [await featuresOf(run, train, 8), await featuresOf(run, val, 8), await featuresOf(run, test, 8)];
    run.resolve(TOKENS.backbone).dispose();
    const path = selectRegularisation({ X: trainX, y: labels(train) }, { X: valX, y: labels(val) }, { tol: FIXED_FEATURE_TOLERANCE });

    expect(result.regularisation).toEqual({ lambda: path.lambda, candidates: 45 });
    expect(result.epochs).toHaveLength(1);
    expect(result.bestEpoch).toBe(1);
    // Val from the train-only fit at the chosen lambda: the accuracy that chose it.
    expect(result.best.accuracy).toBe(accuracy(path.trainModel, valX, labels(val)));
    expect(result.best.accuracy).toBe(path.valAccuracies[path.grid.indexOf(path.lambda)]);
    expect(result.epochs[0].selection).toEqual(result.best);
    expect(result.epochs[0].trainLoss).toBeCloseTo(meanCrossEntropy(path.trainModel, trainX, labels(train)), 5);
    expect(result.epochs[0].valLoss).toBeCloseTo(meanCrossEntropy(path.trainModel, valX, labels(val)), 5);
    // Test from the model refitted on train + val, which is the checkpoint.
    expect(result.test!.accuracy).toBe(accuracy(path.model, testX, labels(test)));
    const { numClasses: k, numFeatures: d } = path.model;
    const kernel = new Float32Array(d * k);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) kernel[j * k + c] = path.model.coef[c * d + j];
    const checkpoint = (await store.checkpoint(hash))!;
    expect([...checkpoint.keys()]).toEqual(["linear/kernel", "linear/bias"]);
    expect(checkpoint.get("linear/kernel")).toEqual({ shape: [d, k], data: kernel });
    expect(checkpoint.get("linear/bias")).toEqual({ shape: [k], data: Float32Array.from(path.model.intercept) });

    const predictions = (await store.predictions(hash))!;
    expect(predictions.split).toBe("test");
    expect(predictions.ids).toEqual(test.map((s) => s.id));
    const probabilities = logisticPredictProba(path.model, testX);
    predictions.scores.forEach((row, i) => row.forEach((p, c) => expect(Math.abs(p - probabilities.data[i * k + c])).toBeLessThan(1e-5)));
  });

  it("re-scores its checkpoint on test to the stored metrics, leaves nothing to resume and no tensor behind", async () => {
    const before = tf.memory().numTensors;
    const { store, root, hash, spec, result } = await trainOnce(template);
    expect(tf.memory().numTensors).toBe(before);
    expect(await store.resume(hash)).toBeUndefined();
    const scored = await evaluateRun(await createRunContainer(root, hash, spec), (await store.checkpoint(hash))!, "test");
    expect(scored.metrics).toEqual(result.test);
    expect(scored.evaluation).toEqual(result.evaluation!.test);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("stops before it ends with no completed epoch, and starts over", async () => {
    const { store, environment, root, hash, spec } = await setUp(template);
    const stopped = executeRun(await createRunContainer(root, hash, spec), await store.begin(hash, spec as never, environment), { shouldStop: () => true });
    await expect(stopped).rejects.toThrow(RunStopped);
    await expect(stopped).rejects.toMatchObject({ epochsDone: 0 });
    expect(await store.resume(hash)).toBeUndefined();
  });

  it("fits multilabel data one-vs-rest: selectOneVsRestRegularisation by the selection metric, ignored pairs left out", async () => {
    const multilabel: RunTemplate = { ...template, dataset: { name: "synthetic-multilabel", options: template.dataset.options }, metrics: [] };
    const { root, hash, spec, result } = await trainOnce(multilabel);
    const run = await createRunContainer(root, hash, spec);
    const samples = (await run.resolve(TOKENS.dataset).index(run.resolve(TOKENS.datasetContext)(run.resolve(TOKENS.dataset).meta))).samples;
    const part = (r: number) => samples.filter((_, i) => i % 3 === r);
    const [train, val, test] = [part(0), part(1), part(2)];
    const rows = (s: readonly Sample[]) => s.map((x) => [0, 1, 2].map((c) => ((x.label as number[]).includes(c) ? 1 : x.ignore?.includes(c) ? -1 : 0)));
    const [trainX, valX, testX] = [await featuresOf(run, train, 8), await featuresOf(run, val, 8), await featuresOf(run, test, 8)];
    run.resolve(TOKENS.backbone).dispose();
    expect(rows(val).flat()).toContain(-1);
    const vocMap = vocMapMetric.build();
    const path = selectOneVsRestRegularisation({ X: trainX, Y: rows(train) }, { X: valX, Y: rows(val) }, { tol: FIXED_FEATURE_TOLERANCE, score: (Y, p) => vocMap.compute(Y, p) });
    expect(path.model.kind).toBe("one-vs-rest");
    expect(result.regularisation).toEqual({ lambda: path.lambda, candidates: 45 });
    expect(result.best["voc-map"]).toBeCloseTo(path.valScores[path.grid.indexOf(path.lambda)], 6);
    const p = logisticPredictProba(path.model, testX);
    const testScores = Array.from({ length: p.rows }, (_, i) => Array.from(p.data.subarray(i * 3, i * 3 + 3)));
    expect(result.test!["voc-map"]).toBeCloseTo(vocMap.compute(rows(test), testScores), 6);
  });

  it("refuses an ignore list that names a class of the sample's label, naming the sample", async () => {
    const selfIgnoring = definePlugin({
      meta: { kind: "dataset", name: "synthetic-multilabel", version: "0.0.0", description: "" },
      async create(options, ctx) {
        const inner = await multilabelSynthetic.create(options, ctx) as Awaited<ReturnType<typeof syntheticDataset.create>>;
        return { ...inner, index: async (c: Parameters<typeof inner.index>[0]) => ({ samples: (await inner.index(c)).samples.map((s, i) => (i === 3 ? { ...s, ignore: s.label as number[] } : s)) }) };
      },
    });
    const { store, environment, hash, spec } = await setUp({ ...template, dataset: { name: "synthetic-multilabel", options: template.dataset.options }, metrics: [] });
    const registry = new PluginRegistry([selfIgnoring, tinyCnnBackbone, thirds, plainSgd, constantSchedule, argmaxAccuracy, vocMapMetric] as Plugin[]);
    const root = createRootContainer({ registry, config: parseConfig({}, "test"), ...NO_FILES, runStore: store, environment, clock: performance });
    const run = executeRun(await createRunContainer(root, hash, spec), await store.begin(hash, spec as never, environment));
    await expect(run).rejects.toThrow(/sample "[^"]+": ignore lists class 0; expected class indices in 0..2, once each, none of them in its label/);
  });

  it("refuses ordinal regression and label smoothing by name", async () => {
    await expect(trainOnce({ ...template, training: { ...template.training, loss: "ordinal-l1" } })).rejects.toThrow(/logistic-regression.*training.loss "ordinal-l1" does not apply/);
    await expect(trainOnce({ ...template, training: { ...template.training, labelSmoothing: 0.1 } })).rejects.toThrow(/training.labelSmoothing 0.1 does not apply/);
  });

  it("needs every class in the train split", async () => {
    const noLastClass = definePlugin({
      meta: { kind: "splitter", name: "test-thirds", version: "0.0.0", description: "" },
      create: () => ({
        split: (index: { samples: readonly Sample[] }) => ({
          train: index.samples.filter((s, i) => i % 3 === 0 && s.label !== 2).map((s) => s.id),
          val: index.samples.filter((_, i) => i % 3 === 1).map((s) => s.id),
        }),
      }),
    });
    await expect(trainOnce(template, noLastClass)).rejects.toThrow(/needs every class in the train split; "pattern-2" has none/);
  });
});
