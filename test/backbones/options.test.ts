// createBackbone options and the backbone plugins: pooling, input size, dropout streams, registry.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { SeedTree } from "../../core/rng.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { countParameters, createBackbone } from "../../plugins/backbones/index.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const input = (size: number) => tf.randomNormal([2, size, size, 3], 0, 1, "float32", 5) as tf.Tensor4D;

describe("pooling", () => {
  it("GeM with p = 1 equals average pooling on positive features; p is a head parameter", async () => {
    const avg = await createBackbone("densenet_mini.random", { numClasses: 3 });
    const gem = await createBackbone("densenet_mini.random", { numClasses: 3, pooling: "gem" });
    expect(gem.namedParameters().map(([n]) => n)).toContain("pool.p");
    expect(gem.isHead("pool.p")).toBe(true);
    gem.store.get("pool.p").assign(tf.tensor1d([1]));
    const x = input(32);
    // densenet features end in ReLU: non-negative, so max(x, eps) only touches exact zeros
    const a = avg.forwardFeatures(x).dataSync();
    const g = gem.forwardFeatures(x).dataSync();
    a.forEach((v, i) => expect(g[i]).toBeCloseTo(v, 4));
    [avg, gem].forEach((b) => b.dispose());
  });

  it.each(["vgg_bn_mini.random", "alexnet_mini.random", "squeezenet_mini.random", "vit_mini.random"])("%s rejects GeM with a reason", async (id) => {
    await expect(createBackbone(id, { numClasses: 3, pooling: "gem" })).rejects.toThrow(/pooling "gem" is not available/);
  });
});

describe("training-mode randomness", () => {
  it("dropout and stochastic depth come from the seeded dropout stream", async () => {
    const run = async (seed: number) => {
      const bb = await createBackbone("efficientnet_mini.random", { numClasses: 3, seeds: new SeedTree(seed) });
      const out = bb.forward(input(32), true).dataSync();
      bb.dispose();
      return Array.from(out);
    };
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
  });
});

describe("ViT input size", () => {
  it("builds position embeddings for another size and names the expected size on mismatch", async () => {
    const bb = await createBackbone("vit_mini.random", { numClasses: 3, inputSize: 48 });
    expect(bb.meta.inputSize).toBe(48);
    expect(bb.store.get("encoder.pos_embedding").shape).toEqual([1, 37, 16]);
    expect(() => bb.forward(input(32))).toThrow(/input must be 48x48/);
    bb.dispose();
  });
});

describe("backbone plugins", () => {
  it("create a backbone sized by the run's numClasses and validate options", async () => {
    const registry = builtinRegistry();
    const ctx = { seeds: new SeedTree(0), numClasses: 5 };
    const bb = await registry.create("backbone", { name: "resnet18_mini.random" }, ctx);
    const x = input(32);
    expect(bb.forward(x).shape).toEqual([2, 5]);
    bb.dispose();
    await expect(registry.create("backbone", { name: "resnet18_mini.random", options: { variant: "x" } }, ctx)).rejects.toThrow(/backbone plugin "resnet18_mini.random": option "\(root\)": Unrecognized key: "variant"|option "variant"|variant/);
    await expect(registry.create("backbone", { name: "vit_mini.random" }, { seeds: new SeedTree(0) })).rejects.toThrow(/no numClasses/);
    await expect(registry.create("backbone", { name: "resnet9000.tv_in1k" }, ctx)).rejects.toThrow(/unknown backbone "resnet9000.tv_in1k"; valid backbone names: .*resnet50.tv_in1k/);
  });

  it("needs the pretrained checkpoint of a pretrained id, from the config's weights map, and never falls back to random weights", async () => {
    const registry = builtinRegistry();
    const ctx = { seeds: new SeedTree(0), numClasses: 5, weightsFor: () => undefined };
    await expect(registry.create("backbone", { name: "resnet50.tv_in1k" }, ctx)).rejects.toThrow(
      /backbone "resnet50.tv_in1k": needs its pretrained weights .*set weights\["resnet50.tv_in1k"\] in your xfer config/,
    );
    await expect(registry.create("backbone", { name: "resnet18.tv_in1k" }, { ...ctx, weightsFor: () => "/no/such/file.safetensors" })).rejects.toThrow(/no\/such\/file.safetensors/);
  });
});

describe("tinycnn in the catalog", () => {
  const family = { channels: 1, widths: [4, 8], hidden: 16 };

  it("takes its family options through createBackbone and countParameters, and keeps its checkpoint names", async () => {
    const bb = await createBackbone("tinycnn.random", { numClasses: 3, inputSize: 8, familyOptions: family });
    const names = bb.namedParameters().map(([n]) => n);
    expect(names).toEqual(["conv1/kernel", "conv1/bias", "conv2/kernel", "conv2/bias", "fc1/kernel", "fc1/bias", "head/kernel", "head/bias"]);
    expect(bb.store.get("fc1/kernel").shape).toEqual([2 * 2 * 8, 16]);
    const allocated = bb.namedParameters().reduce((n, [, v]) => n + v.size, 0);
    expect(countParameters("tinycnn.random", 3, { inputSize: 8, familyOptions: family })).toBe(allocated);
    expect(bb.meta.params).toBe(allocated);
    expect(bb.meta).toMatchObject({ channels: 1, inputSize: 8, mean: [0], std: [1] });
    expect(bb.forward(tf.zeros([2, 8, 8, 1]) as tf.Tensor4D).shape).toEqual([2, 3]);
    bb.resetClassifier(5, new SeedTree(1).stream("head"));
    expect(bb.store.get("head/kernel").shape).toEqual([16, 5]);
    expect(bb.isHead("head/bias")).toBe(true);
    bb.dispose();
  });

  it("draws its init from the run's plain init stream, as rng.range(-1/sqrt(fan_in), 1/sqrt(fan_in))", async () => {
    const bb = await createBackbone("tinycnn.random", { numClasses: 2, inputSize: 8, familyOptions: family, seeds: new SeedTree(7) });
    const rng = new SeedTree(7).stream("init");
    const bound = 1 / Math.sqrt(9);
    const expected = Float32Array.from({ length: 3 * 3 * 1 * 4 }, () => rng.range(-bound, bound));
    expect(Array.from(bb.store.get("conv1/kernel").dataSync())).toEqual(Array.from(expected));
    bb.dispose();
  });

  it("rejects options of other families and GeM pooling, naming the backbone", async () => {
    await expect(createBackbone("tinycnn.random", { numClasses: 2, familyOptions: { widths: [4] } })).rejects.toThrow(/tinycnn\.random.*widths/);
    await expect(createBackbone("resnet18_mini.random", { numClasses: 2, familyOptions: { hidden: 4 } })).rejects.toThrow(/resnet18_mini\.random.*hidden/);
    await expect(createBackbone("tinycnn.random", { numClasses: 2, pooling: "gem" })).rejects.toThrow(/pooling "gem" is not available/);
    const registry = builtinRegistry();
    await expect(registry.create("backbone", { name: "tinycnn.random", options: { pooling: "avg" } }, { seeds: new SeedTree(0), numClasses: 2 }))
      .rejects.toThrow(/tinycnn\.random.*pooling/);
  });
});
