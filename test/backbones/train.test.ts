// Contract behaviour on the wasm backend with the project's training kernels: build, forward,
// head reset, freeze for linear probing, one optimizer step, dispose. Every mini variant, plus the
// full-size models small enough to build and step in a second or two at a reduced input size.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { SeedTree } from "../../core/rng.ts";
import { backboneIds, createBackbone } from "../../plugins/backbones/index.ts";
import { registerWasmTrainingKernels } from "../../plugins/backends/wasm/kernels/index.ts";

const MINIS = backboneIds().filter((id) => id.includes("_mini."));
/** Genuinely small full-size models, stepped at 64x64. */
const SMALL_FULL = ["squeezenet1_1.tv_in1k", "shufflenet_v2_x0_5.tv_in1k", "mobilenet_v3_small.tv_in1k"];

beforeAll(async () => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  registerWasmTrainingKernels();
  expect(await tf.setBackend("wasm")).toBe(true);
});

function batch(seed: number, size: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const rng = new SeedTree(seed).stream("test-batch");
  const data = Float32Array.from({ length: 2 * size * size * 3 }, () => rng.normal());
  return { x: tf.tensor4d(data, [2, size, size, 3]), y: tf.tensor1d([0, 2], "int32") };
}

describe.each([...MINIS, ...SMALL_FULL])("%s", (id) => {
  it("resets, trains one step, freezes to the head, and disposes everything", async () => {
    const before = tf.memory().numTensors;
    const seeds = new SeedTree(7);
    const inputSize = MINIS.includes(id) ? undefined : 64;
    const bb = await createBackbone(id, { numClasses: 4, seeds, inputSize });
    const size = bb.meta.inputSize;
    const { x, y } = batch(1, size);
    tf.tidy(() => {
      expect(bb.forward(x).shape).toEqual([2, 4]);
      expect(bb.forwardFeatures(x).shape).toEqual([2, bb.net.headIn]);
    });

    bb.resetClassifier(3, seeds.stream("head"));
    tf.tidy(() => {
      expect(bb.forward(x).shape).toEqual([2, 3]);
    });
    const names = bb.namedParameters().map(([n]) => n);
    const again = await createBackbone(id, { numClasses: 3, seeds, inputSize });
    expect(again.namedParameters().map(([n]) => n)).toEqual(names);
    again.dispose();

    const loss = () => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), bb.forward(x, true)) as tf.Scalar;
    const optimizer = tf.train.sgd(0.05);
    const vars = bb.trainableVariables();
    expect(vars.length).toBe(names.length);
    const { value, grads } = tf.variableGrads(loss, vars);
    const gradNorms = tf.tidy(() => Object.values(grads).map((g) => tf.norm(g).dataSync()[0]));
    expect(gradNorms.every(Number.isFinite)).toBe(true);
    expect(gradNorms.filter((n) => n > 0).length).toBeGreaterThan(vars.length / 2);
    optimizer.applyGradients(grads);
    const l0 = value.dataSync()[0];
    const l1 = tf.tidy(() => loss().dataSync()[0]);
    expect(l1).not.toBe(l0);
    value.dispose();
    tf.dispose(Object.values(grads));

    bb.freeze({ except: "head" });
    const trainable = bb.trainableVariables();
    const headNames = bb.namedParameters().filter(([, v]) => v.trainable).map(([n]) => n);
    expect(headNames.every((n) => bb.isHead(n))).toBe(true);
    expect(headNames).toContain(`${bb.net.headName}.weight`);
    const frozenBefore = bb.namedParameters().filter(([n]) => !bb.isHead(n)).map(([, v]) => v.dataSync().slice());
    tf.tidy(() => {
      optimizer.minimize(loss, false, trainable);
    });
    const frozenAfter = bb.namedParameters().filter(([n]) => !bb.isHead(n)).map(([, v]) => v.dataSync());
    frozenAfter.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(frozenBefore[i])));
    bb.freeze(false);
    expect(bb.trainableVariables().length).toBe(names.length);

    optimizer.dispose();
    tf.dispose([x, y]);
    bb.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("batch norm in training mode", () => {
  it("normalises with the batch statistics and updates running stats with torch momentum (unbiased variance)", async () => {
    const bb = await createBackbone("resnet18_mini.random", { numClasses: 2 });
    const { x } = batch(3, 32);
    const rm = () => bb.store.get("bn1.running_mean").dataSync().slice();
    const rv = () => bb.store.get("bn1.running_var").dataSync().slice();
    const [m0, v0] = [rm(), rv()];
    // bn1 input = conv1(x); recompute its per-channel batch statistics independently.
    const pre = tf.conv2d(x, bb.store.get("conv1.weight") as tf.Tensor4D, 2, [[0, 0], [3, 3], [3, 3], [0, 0]]);
    const vals = pre.dataSync();
    const c = pre.shape[3];
    const n = vals.length / c;
    tf.tidy(() => bb.forward(x, true));
    const [m1, v1] = [rm(), rv()];
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let i = ch; i < vals.length; i += c) s += vals[i];
      const mean = s / n;
      let ss = 0;
      for (let i = ch; i < vals.length; i += c) ss += (vals[i] - mean) ** 2;
      expect(m1[ch]).toBeCloseTo(0.9 * m0[ch] + 0.1 * mean, 4);
      expect(v1[ch]).toBeCloseTo(0.9 * v0[ch] + 0.1 * (ss / (n - 1)), 4);
    }
    // eval mode leaves them alone
    tf.tidy(() => bb.forward(x, false));
    expect(Array.from(rm())).toEqual(Array.from(m1));
    pre.dispose();
    x.dispose();
    bb.dispose();
  });
});
