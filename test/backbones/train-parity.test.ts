// Gradients against PyTorch: one forward/backward from the committed parity weights must give
// torch's logits, cross-entropy, every parameter gradient and the batch-norm running statistics.
// Training mode (updated running stats: momentum 0.1, unbiased variance) for the minis without
// dropout or stochastic depth; eval mode for the others. wasm backend with the training kernels.
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { createBackbone } from "../../plugins/backbones/index.ts";
import { readSafetensors, readSafetensorsMetadata } from "../../plugins/backbones/weights/index.ts";
import { toTorchLayout } from "../../plugins/backbones/nn/store.ts";
import { registerWasmTrainingKernels } from "../../plugins/backends/wasm/kernels/index.ts";

const DIR = "fixtures/parity/backbones";

beforeAll(async () => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  registerWasmTrainingKernels();
  expect(await tf.setBackend("wasm")).toBe(true);
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { diff, scale };
}

// Every committed backward step: `<case>.train.safetensors` (training mode) or `.evalgrad.` (eval mode).
const CASES = readdirSync(DIR).flatMap((f) => {
  const m = /^(.+)\.(train|evalgrad)\.safetensors$/.exec(f);
  return m ? [[m[1], m[2] as "train" | "evalgrad"] as const] : [];
}).sort();

describe.each(CASES)("%s (%s)", (name, kind) => {
  it("matches PyTorch's logits, loss, gradients and running statistics", async () => {
    const training = kind === "train";
    const ioBytes = await readFile(`${DIR}/${name}.io.safetensors`);
    const io = readSafetensors(ioBytes, name);
    const refPath = `${DIR}/${name}.${kind}.safetensors`;
    const refBytes = await readFile(refPath);
    expect(readSafetensorsMetadata(refBytes, refPath).training).toBe(training ? "True" : "False");
    const ref = readSafetensors(refBytes, refPath);
    const id = readSafetensorsMetadata(ioBytes, name).id;
    const numClasses = io.get("logits")!.shape[1];
    const bb = await createBackbone(id, { numClasses, weights: `${DIR}/${name}.safetensors` });
    const input = io.get("input")!;
    const x = tf.tensor4d(input.data, input.shape as [number, number, number, number]);
    const labels = tf.oneHot(tf.tensor1d(Array.from(ref.get("labels")!.data), "int32"), numClasses);
    let logits: Float32Array | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = bb.forward(x, training);
      logits = out.dataSync() as Float32Array;
      return tf.losses.softmaxCrossEntropy(labels, out) as tf.Scalar;
    }, bb.trainableVariables());

    const l = maxDiff(logits!, ref.get("logits")!.data);
    expect(l.diff).toBeLessThanOrEqual(1e-4 * Math.max(1, l.scale));
    expect(value.dataSync()[0]).toBeCloseTo(ref.get("loss")!.data[0], 4);

    // gradients: float32 noise through batch norm over 2 samples; bound relative to the largest entry
    let diff = 0;
    let scale = 0;
    for (const spec of bb.store.specs.filter((s) => !s.buffer && !s.local)) {
      const g = grads[bb.store.get(spec.name).name];
      const torchLayout = toTorchLayout(Float32Array.from(g.dataSync() as Float32Array), spec.torchShape, spec.layout);
      const r = maxDiff(torchLayout, ref.get(`grad.${spec.name}`)!.data);
      diff = Math.max(diff, r.diff);
      scale = Math.max(scale, r.scale);
    }
    expect(scale).toBeGreaterThan(0);
    expect(diff).toBeLessThanOrEqual(1e-3 * scale);

    const buffers = bb.store.specs.filter((s) => s.buffer);
    expect(buffers.length).toBe([...ref.keys()].filter((k) => k.startsWith("state.")).length);
    for (const spec of buffers) {
      const r = maxDiff(bb.store.get(spec.name).dataSync(), ref.get(`state.${spec.name}`)!.data);
      expect(r.diff, spec.name).toBeLessThanOrEqual(1e-4 * Math.max(1, r.scale));
    }
    tf.dispose([x, labels, value, ...Object.values(grads)]);
    bb.dispose();
  });
});
