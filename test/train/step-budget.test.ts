/**
 * Kornblith et al. 2019's training settings in the trainer: a step budget (`training.steps`, full
 * batches drawn from back-to-back seeded passes, rounds of steps / epochs), a batch-norm momentum
 * override (`training.batchNormMomentum`, a number or "kornblith"), and backbones built from
 * scratch (`init: "random"`).
 */
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import {
  createRootContainer, createRunContainer, definePlugin, defineRecipe, executeRun, MemoryRunStore, parseConfig, plan, PluginRegistry,
  type NamedTensor, type Plugin, type RunAttempt, type RunSpec, type RunTemplate, type Sample,
} from "../../core/index.ts";
import { SeedTree } from "../../core/rng.ts";
import { batchDrawer, batchNormMomentumOf } from "../../core/train/trainer.ts";
import { helloLikeTemplate } from "../helpers/golden.ts";
import { constantSchedule, cpuEnvironment, everyThirdHoldout, NO_FILES, plainSgd, tinyCnnBackbone } from "../helpers/plugins.ts";
import { syntheticDataset } from "../../plugins/datasets/synthetic/index.ts";
import { BACKBONE_CATALOG, createBackbone, defineBackbone } from "../../plugins/backbones/index.ts";
import { accuracyMetric } from "../../plugins/metrics/index.ts";

const samples: Sample[] = Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, label: i % 2 }) as Sample);
const specWith = (training: Partial<RunSpec["training"]>) => ({ training: { ...helloLikeTemplate.training, ...training } }) as RunSpec;
const ids = (batch: readonly Sample[]) => batch.map((s) => s.id);

describe("training.steps: a step budget", () => {
  it("full batches from passes laid end to end, each pass a seeded permutation, a batch spanning two passes", () => {
    const seeds = new SeedTree(3);
    const { stepsPerEpoch, batchAt } = batchDrawer({ spec: specWith({ epochs: 2, batchSize: 4, steps: 6 }), seeds }, samples);
    expect(stepsPerEpoch).toBe(3);
    const drawn = [0, 1].flatMap((epoch) => [0, 1, 2].map((step) => batchAt(epoch, step)));
    expect(drawn.every((d) => d.batch.length === 4)).toBe(true);
    const stream = drawn.flatMap((d) => ids(d.batch));
    const pass = (p: number) => ids(seeds.stream("shuffle", p).shuffle(samples));
    // 24 positions: passes 0 and 1 whole, then the first 4 of pass 2.
    expect(stream).toEqual([...pass(0), ...pass(1), ...pass(2).slice(0, 4)]);
    expect(new Set(pass(0)).size).toBe(10);
    // Step 2 reads positions 8-11: two samples of pass 0, two of pass 1, each keyed by its pass.
    expect(drawn[2].passes).toEqual([0, 0, 1, 1]);
    // A pure function of (epoch, step): asked again out of order, the same batch.
    expect(ids(batchAt(0, 2).batch)).toEqual(ids(drawn[2].batch));
  });

  it("without steps: one pass per epoch, ceil(n / batch) steps, the last batch smaller, as before", () => {
    const seeds = new SeedTree(3);
    const { stepsPerEpoch, batchAt } = batchDrawer({ spec: specWith({ epochs: 2, batchSize: 4 }), seeds }, samples);
    expect(stepsPerEpoch).toBe(3);
    expect(ids(batchAt(1, 2).batch)).toEqual(ids(seeds.stream("shuffle", 1).shuffle(samples)).slice(8));
    expect(batchAt(1, 2).passes).toEqual([1, 1]);
  });

  it("refuses a budget the epochs do not divide into equal rounds", () => {
    const seeds = new SeedTree(0);
    expect(() => batchDrawer({ spec: specWith({ epochs: 4, steps: 6 }), seeds }, samples)).toThrow(/training.steps must be a positive integer that training.epochs \(4\) divides into equal rounds, got 6/);
    expect(() => batchDrawer({ spec: specWith({ epochs: 1, steps: 0 }), seeds }, samples)).toThrow(/got 0/);
  });
});

describe("training.batchNormMomentum", () => {
  it("\"kornblith\" is 1 - max(1 - 10/s, 0.9) for s = n / batch steps per epoch", () => {
    expect(batchNormMomentumOf(specWith({ batchSize: 256, batchNormMomentum: "kornblith" }), 1020)).toBeCloseTo(0.1, 12);
    // Food-101's 80% train holdout: 60,600 images, s = 236.7, decay 0.9578.
    expect(batchNormMomentumOf(specWith({ batchSize: 256, batchNormMomentum: "kornblith" }), 60600)).toBeCloseTo(2560 / 60600, 12);
    expect(batchNormMomentumOf(specWith({ batchNormMomentum: 0.03 }), 10)).toBe(0.03);
    expect(batchNormMomentumOf(specWith({}), 10)).toBeUndefined();
    expect(() => batchNormMomentumOf(specWith({ batchNormMomentum: 0 }), 10)).toThrow(/training.batchNormMomentum must be a number in \(0, 1\]/);
    expect(() => batchNormMomentumOf(specWith({ batchNormMomentum: "tf" as never }), 10)).toThrow(/got "tf"/);
  });

  it("replaces every batch-norm layer's momentum in training mode, and null restores the layers' own", async () => {
    const backbone = await createBackbone("resnet18_mini.random", { numClasses: 3 });
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    const runningMean = () => backbone.store.get("bn1.running_mean").arraySync() as number[];
    const batchMean = tf.tidy(() => {
      // bn1 sees conv1's output: its batch mean over N, H, W.
      backbone.setBatchNormMomentum(1);
      tf.dispose(backbone.forward(x, true));
      return runningMean();
    });
    backbone.store.get("bn1.running_mean").assign(tf.zeros([batchMean.length]));
    backbone.setBatchNormMomentum(0.25);
    tf.dispose(backbone.forward(x, true));
    runningMean().forEach((v, i) => expect(v).toBeCloseTo(0.25 * batchMean[i], 5));
    backbone.store.get("bn1.running_mean").assign(tf.zeros([batchMean.length]));
    backbone.setBatchNormMomentum(null);
    tf.dispose(backbone.forward(x, true));
    runningMean().forEach((v, i) => expect(v).toBeCloseTo(0.1 * batchMean[i], 5));
    expect(() => backbone.setBatchNormMomentum(1.5)).toThrow(/batch-norm momentum must be in \(0, 1\]/);
    x.dispose();
    backbone.dispose();
  });
});

/** tinycnn as a hand-written backbone plugin would be: without setBatchNormMomentum. */
const plainBackbone = definePlugin({
  meta: { kind: "backbone", name: "plain-cnn", version: "0.0.0", description: "" },
  async create(options, ctx) {
    const inner = await tinyCnnBackbone.create(options, ctx);
    return new Proxy(inner, { get: (target, key) => (key === "setBatchNormMomentum" ? undefined : Reflect.get(target, key, target)) });
  },
});

const PLUGINS = [syntheticDataset, tinyCnnBackbone, plainBackbone, everyThirdHoldout, plainSgd, constantSchedule, accuracyMetric, defineBackbone(BACKBONE_CATALOG.get("resnet18_mini.random")!)] as Plugin[];

/** The single run of `template`: its result and best state (what the run store would write). */
async function trainOnce(template: RunTemplate) {
  const store = new MemoryRunStore();
  const root = createRootContainer({ registry: new PluginRegistry(PLUGINS), config: parseConfig({}, "test"), ...NO_FILES, runStore: store, environment: await cpuEnvironment(), clock: { now: () => 0 } });
  const [{ hash, spec }] = plan(defineRecipe({ name: "step-budget-test", description: "", template }));
  let best: readonly NamedTensor[] = [];
  const attempt = { id: "a1", appendEpoch: async () => {}, putCheckpoint: async (state: readonly NamedTensor[]) => void (best = state), putPredictions: async () => {}, putResume: async () => {} } as unknown as RunAttempt;
  const result = await executeRun(await createRunContainer(root, hash, spec), attempt);
  return { result, best: new Map(best.map((t) => [t.name, Array.from(t.data)])) };
}

const resnetMini = {
  ...helloLikeTemplate,
  dataset: { name: "synthetic", options: { classes: 3, perClass: 4, size: 32, channels: 3 } },
  backbone: { name: "resnet18_mini.random" },
  training: { epochs: 1, batchSize: 4, lr: 0.01, weightDecay: 0 },
} satisfies RunTemplate;

describe("the trainer with Kornblith's settings", () => {
  it("takes exactly `steps` full batches in rounds, whatever the train split's size", async () => {
    // 24 train samples (every third of 36 is val), batch 8: 10 steps are 3 1/3 passes, in 5 rounds of 2 steps.
    const { result } = await trainOnce({ ...helloLikeTemplate, training: { ...helloLikeTemplate.training, epochs: 5, steps: 10 } });
    expect(result.data?.train).toBe(24);
    expect(result.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5]);
  });

  it("applies batchNormMomentum to the backbone: \"kornblith\" at s = 2 is torch's 0.1 (the mini's own), 0.5 moves the statistics further", async () => {
    const own = await trainOnce(resnetMini);
    const kornblith = await trainOnce({ ...resnetMini, training: { ...resnetMini.training, batchNormMomentum: "kornblith" } });
    const half = await trainOnce({ ...resnetMini, training: { ...resnetMini.training, batchNormMomentum: 0.5 } });
    const stat = "bn1.running_mean";
    expect(kornblith.best.get(stat)).toEqual(own.best.get(stat));
    expect(half.best.get(stat)).not.toEqual(own.best.get(stat));
  });

  it("refuses batchNormMomentum for a backbone that cannot take it", async () => {
    const backbone = { name: "plain-cnn", options: helloLikeTemplate.backbone.options };
    await expect(trainOnce({ ...helloLikeTemplate, backbone, training: { ...helloLikeTemplate.training, batchNormMomentum: 0.1 } }))
      .rejects.toThrow(/training.batchNormMomentum is set, but backbone "plain-cnn" offers no setBatchNormMomentum/);
  });
});

describe("backbone option init: \"random\"", () => {
  const plugin = defineBackbone(BACKBONE_CATALOG.get("squeezenet1_1.tv_in1k")!);
  it("builds a pretrained id's architecture from scratch, reading no weights", async () => {
    const seeds = new SeedTree(0);
    expect(() => plugin.validate!({}, { seeds })).toThrow(/needs its pretrained weights/);
    expect(() => plugin.validate!({ init: "random" }, { seeds, weightsFor: () => "/nowhere.safetensors" })).not.toThrow();
    expect(() => plugin.validate!({ init: "random", weights: "/w.safetensors" }, { seeds })).toThrow(/init "random" reads no weights, yet weights "\/w.safetensors" is given/);
    const backbone = await plugin.create({ init: "random" }, { numClasses: 5, seeds });
    expect(backbone.forward(tf.zeros([1, 64, 64, 3]) as tf.Tensor4D).shape).toEqual([1, 5]);
    backbone.dispose();
  });
});
