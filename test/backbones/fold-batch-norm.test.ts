// Eval-time batch-norm folding (`convBn`, plugins/backbones/nn/layers.ts) on the wasm backend:
// eval outputs within 1e-5 (of the largest magnitude) of the unfolded conv -> batch norm ->
// activation, training bit-identical to it, the folded tensors cached until a weight or statistic
// changes and disposed with the store.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Rng, SeedTree } from "../../core/rng.ts";
import { createBackbone } from "../../plugins/backbones/index.ts";
import { type Ctx, type Module, Scope, batchNorm2d, conv2d, convBn, relu, sequential } from "../../plugins/backbones/nn/layers.ts";
import { ParamStore } from "../../plugins/backbones/nn/store.ts";
import { exportStore, loadIntoStore } from "../../plugins/backbones/weights/tensors.ts";
import { initBackends, maxRelativeError } from "../backend/helpers.ts";

const TOLERANCE = 1e-5;
const EVAL: Ctx = { training: false, rng: null };
const UNFOLDED: Ctx = { training: false, rng: null, foldBatchNorm: false };
const TRAIN: Ctx = { training: true, rng: null };

beforeAll(async () => {
  await initBackends();
  expect(tf.getBackend()).toBe("wasm");
});

function input(seed: number, shape: number[]): tf.Tensor4D {
  const rng = new SeedTree(seed).stream("fold-test");
  return tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape as [number, number, number, number]);
}

const values = (m: Module, x: tf.Tensor, ctx: Ctx) => tf.tidy(() => m(x, ctx).dataSync() as Float32Array);

// The families whose conv + batch-norm pairs fold: ResNet, ResNeXt, MobileNetV3 (convBnAct), VGG-BN (a conv bias), CLIP's ResNet, ShuffleNetV2 (depthwise).
describe.each(["resnet18_mini.random", "resnext50_mini.random", "mobilenet_v3_mini.random", "vgg_bn_mini.random", "clip_rn_mini.random", "shufflenet_v2_mini.random"])("%s in eval", (id) => {
  it("gives the unfolded features within the tolerance, after training moved weights and statistics", async () => {
    const bb = await createBackbone(id, { numClasses: 3, seeds: new SeedTree(4) });
    const x = input(5, [4, bb.meta.inputSize, bb.meta.inputSize, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], "int32"), 3);
    const optimizer = tf.train.sgd(0.1);
    for (let step = 0; step < 2; step++) {
      tf.tidy(() => void optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, bb.forward(x, true)) as tf.Scalar, false, bb.trainableVariables()));
    }
    const features = (ctx: Ctx) => tf.tidy(() => bb.net.features(x, ctx).dataSync() as Float32Array);
    const folded = features(EVAL);
    const unfolded = features(UNFOLDED);
    expect(maxRelativeError(unfolded, folded)).toBeLessThanOrEqual(TOLERANCE);
    // Folding changes the rounding: equal bits would mean the folded path never ran.
    expect(folded).not.toEqual(unfolded);
    optimizer.dispose();
    tf.dispose([x, y]);
    bb.dispose();
  });
});

/** The same parameters (same names, order and seed) as convBn or as the three modules in sequence. */
function layers(foldable: boolean, channels = 8) {
  const store = new ParamStore(new Rng("fold-test/params"));
  const s = new Scope(store);
  const m = foldable
    ? convBn(s.at("conv"), s.at("bn"), 4, channels, 3, { stride: 2, padding: 1, act: relu })
    : sequential(conv2d(s.at("conv"), 4, channels, 3, { stride: 2, padding: 1 }), batchNorm2d(s.at("bn"), channels), relu);
  return { store, m };
}

describe("convBn", () => {
  it("trains bit for bit as conv2d -> batchNorm2d -> relu: output, running statistics and gradients", () => {
    const x = input(6, [3, 9, 7, 4]);
    const results = [true, false].map((foldable) => {
      const { store, m } = layers(foldable);
      const vars = store.parameters().map(([, v]) => v);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(m(x, TRAIN))) as tf.Scalar, vars);
      const out = {
        loss: value.dataSync()[0],
        grads: vars.map((v) => Array.from(grads[v.name].dataSync())),
        state: store.specs.map((spec) => Array.from(store.get(spec.name).dataSync())),
      };
      tf.dispose([value, ...Object.values(grads)]);
      store.dispose();
      return out;
    });
    expect(results[0]).toEqual(results[1]);
    x.dispose();
  });

  it("refolds after an optimizer step, a running-statistics update and a checkpoint load, frees the fold while training, and leaks nothing", () => {
    const start = tf.memory().numTensors;
    const x = input(7, [2, 8, 8, 4]);
    const { store, m } = layers(true);
    values(m, x, TRAIN); // running statistics off their initial 0 and 1
    values(m, x, UNFOLDED); // the first call of a kernel may allocate for good: not counted below
    const first = values(m, x, EVAL);
    const cached = tf.memory().numTensors;
    expect(values(m, x, EVAL)).toEqual(first);
    expect(tf.memory().numTensors).toBe(cached);
    const matchesUnfolded = () => {
      const folded = values(m, x, EVAL);
      expect(maxRelativeError(values(m, x, UNFOLDED), folded)).toBeLessThanOrEqual(TOLERANCE);
      expect(tf.memory().numTensors).toBe(cached);
      return folded;
    };

    const optimizer = tf.train.sgd(0.5);
    tf.tidy(() => void optimizer.minimize(() => tf.sum(m(x, TRAIN)) as tf.Scalar, false, store.parameters().map(([, v]) => v)));
    optimizer.dispose();
    // Training dropped the folded filter and bias (2 tensors) rather than hold them until the next eval.
    expect(tf.memory().numTensors).toBe(cached - 2);
    const stepped = matchesUnfolded();
    expect(stepped).not.toEqual(first);

    const statistics = store.get("bn.running_var");
    const scaled = tf.mul(statistics, 4);
    statistics.assign(scaled);
    scaled.dispose();
    const rescaled = matchesUnfolded();
    expect(rescaled).not.toEqual(stepped);

    const other = layers(true, 8);
    const checkpoint = exportStore(other.store);
    other.store.dispose();
    checkpoint.set("conv.weight", { ...checkpoint.get("conv.weight")!, data: checkpoint.get("conv.weight")!.data.map((v) => -v) });
    loadIntoStore(store, checkpoint, "test checkpoint");
    const loaded = matchesUnfolded();
    expect(loaded).not.toEqual(rescaled);

    store.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
