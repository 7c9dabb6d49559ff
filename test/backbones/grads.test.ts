// Training-mode gradients of every mini backbone on wasm (project kernels) against the pure-JS cpu
// backend. Differences are float32 accumulation noise, amplified by batch norm over 2 samples at
// 1x1 spatial size in the last stages; the bound is relative to the largest gradient entry.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { SeedTree } from "../../core/rng.ts";
import { backboneIds, createBackbone } from "../../plugins/backbones/index.ts";
import { registerWasmTrainingKernels } from "../../plugins/backends/wasm/kernels/index.ts";

beforeAll(() => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  registerWasmTrainingKernels();
});

async function gradients(backend: string, id: string): Promise<Float32Array[]> {
  expect(await tf.setBackend(backend)).toBe(true);
  const bb = await createBackbone(id, { numClasses: 3, seeds: new SeedTree(1) });
  const size = bb.meta.inputSize;
  const rng = new SeedTree(2).stream("x");
  const out = tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from({ length: 2 * size * size * 3 }, () => rng.normal()), [2, size, size, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 2], "int32"), 3);
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, bb.forward(x, true)) as tf.Scalar, bb.trainableVariables());
    return bb.trainableVariables().map((v) => grads[v.name].dataSync() as Float32Array);
  });
  bb.dispose();
  return out;
}

describe("wasm gradients match cpu", () => {
  it.each(backboneIds().filter((id) => id.includes("_mini.")))("%s", async (id) => {
    const w = await gradients("wasm", id);
    const c = await gradients("cpu", id);
    let scale = 0;
    let diff = 0;
    c.forEach((g, i) => g.forEach((v, k) => {
      scale = Math.max(scale, Math.abs(v));
      diff = Math.max(diff, Math.abs(v - w[i][k]));
    }));
    expect(scale).toBeGreaterThan(0);
    expect(diff).toBeLessThanOrEqual(2e-3 * scale);
  });
});
