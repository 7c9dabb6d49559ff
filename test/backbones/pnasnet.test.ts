// PNASNet-5 large specifics: TensorFlow SAME padding follows the input size (the committed mini
// weights at 33x33, where cell_stem_0's stride-2 padding is asymmetric and at 32x32 it is not),
// and the catalog entry carries timm's pretrained_cfg and parameter count.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { backboneMeta, countParameters, createBackbone } from "../../plugins/backbones/index.ts";
import { readSafetensors } from "../../plugins/backbones/weights/index.ts";

const DIR = "fixtures/parity/backbones";

beforeAll(async () => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  expect(await tf.setBackend("wasm")).toBe(true);
});

describe("pnasnet", () => {
  it("matches PyTorch at 33x33 with the 32x32 case's weights", async () => {
    const path = `${DIR}/pnasnet_mini.odd33.safetensors`;
    const io = readSafetensors(await readFile(path), path);
    const input = io.get("input")!;
    const expected = io.get("logits")!;
    expect(input.shape).toEqual([2, 33, 33, 3]);
    const bb = await createBackbone("pnasnet_mini.random", { numClasses: 10, weights: `${DIR}/pnasnet_mini.safetensors` });
    try {
      const got = tf.tidy(() => bb.forward(tf.tensor4d(input.data, [2, 33, 33, 3])).dataSync());
      const scale = Math.max(1, ...Array.from(expected.data, Math.abs));
      expect(got.length).toBe(expected.data.length);
      got.forEach((v, i) => expect(Math.abs(v - expected.data[i])).toBeLessThanOrEqual(1e-4 * scale));
    } finally {
      bb.dispose();
    }
  });

  it("is timm's pnasnet5large.tf_in1k: 86,057,668 parameters, 331 px bicubic, crop 0.911, mean/std 0.5", () => {
    expect(countParameters("pnasnet5large.tf_in1k", 1000)).toBe(86_057_668);
    expect(backboneMeta("pnasnet5large.tf_in1k")).toMatchObject({
      params: 86_057_668, inputSize: 331, resizeSize: Math.round(331 / 0.911), interpolation: "bicubic", mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], imagenetTop1: 82.9,
    });
  });
});
