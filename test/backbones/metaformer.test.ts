// CAFormer (timm MetaFormer) beyond the generic parity/grads/train tests: sail-sg's original
// checkpoint names, the `pooled` feature output (timm's pre-logits), which part of the MLP head a
// new head resets and linear probing trains, stochastic depth, and the full-size parameter count.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { SeedTree } from "../../core/rng.ts";
import { countParameters, createBackbone } from "../../plugins/index.ts";
import { readSafetensors } from "../../plugins/backbones/weights/index.ts";
import { toTorchLayout } from "../../plugins/backbones/nn/store.ts";
import { checkParity } from "./parity-check.ts";

const DIR = "fixtures/parity/backbones";
const WEIGHTS = `${DIR}/caformer_mini.safetensors`;

beforeAll(async () => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  expect(await tf.setBackend("wasm")).toBe(true);
});

describe("caformer checkpoints", () => {
  it("loads sail-sg/metaformer's names and Linear shapes as timm's checkpoint_filter_fn renames them", async () => {
    const r = await checkParity(DIR, "caformer_mini", "caformer_mini.sail.safetensors");
    expect(r.maxAbsDiff).toBeLessThanOrEqual(r.tolerance);
  });

  it("gives timm's forward_head(pre_logits=True) as the `pooled` feature output", async () => {
    const ref = readSafetensors(await readFile(`${DIR}/caformer_mini.pooled.safetensors`), "pooled reference");
    const input = ref.get("input")!;
    const expected = ref.get("pooled")!;
    const bb = await createBackbone("caformer_mini.random", { numClasses: 10, weights: WEIGHTS });
    const got = tf.tidy(() => bb.forwardTap("pooled", tf.tensor4d(input.data, input.shape as [number, number, number, number])).dataSync());
    bb.dispose();
    expect(got.length).toBe(expected.data.length);
    const scale = Math.max(1, ...Array.from(expected.data, Math.abs));
    got.forEach((v, i) => expect(Math.abs(v - expected.data[i])).toBeLessThanOrEqual(1e-4 * scale));
  });
});

describe("caformer head", () => {
  it("a new head replaces only the MLP head's last linear layer; linear probing trains only it", async () => {
    const checkpoint = readSafetensors(await readFile(WEIGHTS), WEIGHTS);
    const bb = await createBackbone("caformer_mini.random", { numClasses: 4, weights: WEIGHTS });
    try {
      expect(tf.tidy(() => bb.forwardFeatures(tf.zeros([1, 32, 32, 3])).shape)).toEqual([1, 96]);
      for (const name of ["head.norm.weight", "head.fc.fc1.weight", "head.fc.norm.bias"]) {
        const spec = bb.store.specs.find((s) => s.name === name)!;
        const kept = toTorchLayout(Float32Array.from(bb.store.get(name).dataSync()), spec.torchShape, spec.layout);
        expect(Array.from(kept), name).toEqual(Array.from(checkpoint.get(name)!.data));
      }
      expect(bb.store.get("head.fc.fc2.weight").shape).toEqual([96, 4]);
      bb.freeze({ except: "head" });
      expect(bb.namedParameters().filter(([, v]) => v.trainable).map(([n]) => n)).toEqual(["head.fc.fc2.weight", "head.fc.fc2.bias"]);
    } finally {
      bb.dispose();
    }
  });
});

describe("caformer stochastic depth", () => {
  it("drops residual branches in training mode only, drawn from the run's dropout stream", async () => {
    const x = tf.randomNormal([8, 32, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D;
    const run = async (seed: number, modes: boolean[]) => {
      const bb = await createBackbone("caformer_mini.random", { numClasses: 3, seeds: new SeedTree(seed) });
      const outs = modes.map((training) => Array.from(tf.tidy(() => bb.forward(x, training).dataSync())));
      bb.dispose();
      return outs;
    };
    const [train] = await run(1, [true]);
    // eval mode drops nothing and draws nothing: the training pass after it is the same
    const [evaluated, trainAfterEval] = await run(1, [false, true]);
    expect(trainAfterEval).toEqual(train);
    expect(train).not.toEqual(evaluated);
    x.dispose();
  });
});

describe("caformer_b36 size", () => {
  it("counts timm's 98,753,614 parameters (results tables: 98.75 M) without allocating", () => {
    expect(countParameters("caformer_b36.sail_in1k", 1000)).toBe(98_753_614);
  });
});
