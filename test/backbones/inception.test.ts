// The Inception family beyond the generic parity/grads/train tests: pytorch-fid's FID feature
// extraction (resize + 2x - 1 + pool3) against PyTorch, its input checks, the 75x75 minimum
// input, and the published parameter counts (FID's with its 1008-way classifier).
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { backboneMeta, countParameters, createBackbone, fidFeatures } from "../../plugins/index.ts";
import { readSafetensors, readSafetensorsMetadata } from "../../plugins/backbones/weights/index.ts";

const DIR = "fixtures/parity/backbones";
const FID_CASE = `${DIR}/fid_inception_mini.fid.safetensors`;

beforeAll(async () => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  expect(await tf.setBackend("wasm")).toBe(true);
});

const miniFid = () => createBackbone("fid_inception_mini.random", { numClasses: 10, weights: `${DIR}/fid_inception_mini.safetensors` });

describe("FID features", () => {
  it("equal pytorch-fid's InceptionV3 wrapper (bilinear resize of another size, 2x - 1, pool3)", async () => {
    const bytes = await readFile(FID_CASE);
    const ref = readSafetensors(bytes, FID_CASE);
    const images = ref.get("images")!;
    const expected = ref.get("features")!;
    // shorter and wider than the mini's 107x107 target: the resize upsamples one axis, downsamples
    // the other; at 107 the last blocks run at 2x2, where E_2's max pool and E_1's average differ
    expect(images.shape).toEqual([2, 32, 120, 3]);
    expect(Number(readSafetensorsMetadata(bytes, FID_CASE).resize)).toBe(107);
    const bb = await miniFid();
    const x = tf.tensor4d(images.data, images.shape as [number, number, number, number]);
    const before = tf.memory().numTensors;
    const features = fidFeatures(bb, x);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(features.shape).toEqual(expected.shape);
    const got = features.dataSync();
    let diff = 0;
    let scale = 0;
    expected.data.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(got[i] - v));
      scale = Math.max(scale, Math.abs(v));
    });
    expect(scale).toBeGreaterThan(0.1);
    expect(diff).toBeLessThanOrEqual(1e-4 * Math.max(1, scale));
    tf.dispose([x, features]);
    bb.dispose();
  });

  it("refuses images outside [0, 1], the wrong layout and backbones that are not FID's", async () => {
    const bb = await miniFid();
    const bytes = tf.fill([1, 80, 80, 3], 255) as tf.Tensor4D;
    expect(() => fidFeatures(bb, bytes)).toThrow(/FID features: images must lie in \[0, 1\].*got values from 255 to 255/);
    // The same checks through the backbone's `fid` feature output, which recipes use.
    expect(() => bb.forwardTap("fid", bytes)).toThrow(/FID features: images must lie in \[0, 1\]/);
    const nchw = tf.zeros([1, 3, 80, 80]) as tf.Tensor4D;
    expect(() => fidFeatures(bb, nchw)).toThrow(/float32 \[n, height, width, 3\].*got float32 \[1, 3, 80, 80\]/);
    bb.dispose();
    const gem = await createBackbone("fid_inception_mini.random", { numClasses: 10, pooling: "gem" });
    const x = tf.zeros([1, 80, 80, 3]) as tf.Tensor4D;
    expect(() => fidFeatures(gem, x)).toThrow(/GeM pooling/);
    gem.dispose();
    const other = await createBackbone("inception_resnet_v2_mini.random", { numClasses: 10 });
    expect(() => fidFeatures(other, x)).toThrow(/FID features come from inception_v3\.pytorch_fid or fid_inception_mini\.random, got backbone "inception_resnet_v2_mini\.random"/);
    other.dispose();
    tf.dispose([bytes, nchw, x]);
  });
});

describe("Inception input size", () => {
  it.each(["fid_inception_mini.random", "inception_resnet_v2_mini.random"])("%s needs at least 75x75 and says so", async (id) => {
    const bb = await createBackbone(id, { numClasses: 3 });
    const small = tf.zeros([1, 74, 120, 3]) as tf.Tensor4D;
    expect(() => bb.forward(small)).toThrow(/input must be at least 75x75, got 74x120/);
    const fits = tf.zeros([1, 75, 75, 3]) as tf.Tensor4D;
    const logits = bb.forward(fits);
    expect(logits.shape).toEqual([1, 3]);
    tf.dispose([small, fits, logits]);
    bb.dispose();
  });
});

describe("published sizes", () => {
  it("count pytorch-fid's Inception-v3 with its 1008-way fc and timm's Inception-ResNet-v2", () => {
    // torchvision's Inception3 (27,161,264 with AuxLogits and 1000 classes) without AuxLogits, fc 1008-way
    expect(countParameters("inception_v3.pytorch_fid", 1008)).toBe(23_850_960);
    expect(backboneMeta("inception_v3.pytorch_fid").params).toBe(23_850_960);
    expect(countParameters("inception_v3.pytorch_fid", 1000)).toBe(23_850_960 - 8 * 2049);
    // timm's results tables: inception_resnet_v2 55.84 M
    expect(countParameters("inception_resnet_v2.tf_in1k", 1000)).toBe(55_843_464);
  });

  it("carry the upstream preprocessing", () => {
    expect(backboneMeta("inception_v3.pytorch_fid")).toMatchObject({ inputSize: 299, resizeSize: 299, interpolation: "bilinear", mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], source: "pytorch-fid" });
    expect(backboneMeta("inception_resnet_v2.tf_in1k")).toMatchObject({ inputSize: 299, resizeSize: 333, interpolation: "bicubic", mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], imagenetTop1: 80.4 });
  });
});
