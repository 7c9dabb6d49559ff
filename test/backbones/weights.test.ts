// Checkpoint import: safetensors decoding, strict by-name loading, layout round trips.
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { SeedTree } from "../../core/rng.ts";
import { createBackbone } from "../../plugins/backbones/index.ts";
import { toTfLayout, toTorchLayout, transposeArray } from "../../plugins/backbones/nn/store.ts";
import { exportStore, readSafetensors, writeSafetensors } from "../../plugins/backbones/weights/index.ts";
import type { TensorMap } from "../../core/formats/tensor-map.ts";
import { halfToFloat } from "../../core/formats/safetensors.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function safetensorsBytes(header: object, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe("safetensors", () => {
  it("round-trips float32 tensors (property, seed printed on failure)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }), fc.float({ noNaN: true })), { minLength: 1, maxLength: 4 }), (specs) => {
        const m: TensorMap = new Map(specs.map(([shape, v], i) => [`t${i}.weight`, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v) }]));
        const back = readSafetensors(writeSafetensors(m), "mem");
        expect([...back.keys()]).toEqual([...m.keys()]);
        for (const [k, t] of m) {
          expect(back.get(k)!.shape).toEqual(t.shape);
          expect(Array.from(back.get(k)!.data)).toEqual(Array.from(t.data));
        }
      }),
      { seed: 42 },
    );
  });

  it("decodes F16 and BF16", () => {
    const raw = new Uint8Array(8);
    const v = new DataView(raw.buffer);
    v.setUint16(0, 0x3c00, true); // 1.0
    v.setUint16(2, 0xc100, true); // -2.5
    v.setUint16(4, 0x3f80, true); // bf16 1.0
    v.setUint16(6, 0x4049, true); // bf16 3.140625
    const m = readSafetensors(safetensorsBytes({ a: { dtype: "F16", shape: [2], data_offsets: [0, 4] }, b: { dtype: "BF16", shape: [2], data_offsets: [4, 8] } }, raw), "mem");
    expect(Array.from(m.get("a")!.data)).toEqual([1, -2.5]);
    expect(Array.from(m.get("b")!.data)).toEqual([1, 3.140625]);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
  });

  it("rejects malformed files naming the tensor", () => {
    expect(() => readSafetensors(new Uint8Array(3), "f.safetensors")).toThrow(/f\.safetensors: too short/);
    expect(() => readSafetensors(safetensorsBytes({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), "f")).toThrow(/tensor "a": data_offsets/);
    expect(() => readSafetensors(safetensorsBytes({ a: { dtype: "U8", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), "f")).toThrow(/unsupported dtype "U8"/);
    expect(() => readSafetensors(safetensorsBytes({ __metadata__: { n: 1 } }, new Uint8Array(0)), "f")).toThrow(/f: safetensors __metadata__ must be an object of strings/);
    expect(() => readSafetensors(safetensorsBytes({ a: { dtype: "F32", shape: [1], data_offsets: [0.5, 4.5] } }, new Uint8Array(8)), "f")).toThrow(/tensor "a": bad data_offsets/);
  });

  it("keeps metadata and names that only look like keys inside strings", () => {
    const header = { __metadata__: { note: "\"b\":{\"a\":1}" }, a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [0], data_offsets: [4, 4] } };
    const m = readSafetensors(safetensorsBytes(header, new Uint8Array(new Float32Array([2.5]).buffer)), "f");
    expect([...m.keys()]).toEqual(["a", "b"]);
    expect(Array.from(m.get("a")!.data)).toEqual([2.5]);
  });
});

describe("layouts", () => {
  it("conv OIHW -> HWIO and back is the identity; matches tf.transpose", () => {
    const shape = [4, 3, 2, 5];
    const data = Float32Array.from({ length: 120 }, (_, i) => i);
    const hwio = toTfLayout(data, shape, "conv");
    expect(Array.from(hwio)).toEqual(Array.from(tf.transpose(tf.tensor(data, shape), [2, 3, 1, 0]).dataSync()));
    expect(Array.from(toTorchLayout(hwio, shape, "conv"))).toEqual(Array.from(data));
    expect(Array.from(transposeArray(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0]))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe("strict checkpoint loading", () => {
  const id = "resnet18_mini.random";

  it("export -> load reproduces the outputs; a different numClasses resets the head", async () => {
    const a = await createBackbone(id, { numClasses: 10, seeds: new SeedTree(1) });
    const sd = exportStore(a.store);
    const b = await createBackbone(id, { numClasses: 10, weights: readSafetensors(writeSafetensors(sd), "mem") });
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D;
    expect(Array.from(b.forward(x).dataSync())).toEqual(Array.from(a.forward(x).dataSync()));
    const c = await createBackbone(id, { numClasses: 4, weights: sd });
    expect(c.forward(x).shape).toEqual([1, 4]);
    expect(Array.from(c.forwardFeatures(x).dataSync())).toEqual(Array.from(a.forwardFeatures(x).dataSync()));
    [a, b, c].forEach((m) => m.dispose());
  });

  it("missing, extra and mis-shaped tensors fail with names and both shapes, loading nothing", async () => {
    const a = await createBackbone(id, { numClasses: 10, seeds: new SeedTree(1) });
    const sd = exportStore(a.store);
    a.dispose();
    const bad: TensorMap = new Map(sd);
    bad.delete("layer1.0.bn1.running_var");
    bad.set("layer9.weight", { shape: [1], data: new Float32Array(1) });
    bad.set("conv1.weight", { shape: [8, 3, 5, 5], data: new Float32Array(600) });
    await expect(createBackbone(id, { numClasses: 10, weights: bad })).rejects.toThrow(
      /nothing was loaded: shape mismatch for "conv1\.weight": checkpoint \[8, 3, 5, 5\], model \[8, 3, 7, 7\]; missing tensor "layer1\.0\.bn1\.running_var".*; unexpected tensor "layer9\.weight"/,
    );
    const noHead: TensorMap = new Map(sd);
    noHead.delete("fc.weight");
    await expect(createBackbone(id, { numClasses: 10, weights: noHead })).rejects.toThrow(/no classifier tensor "fc\.weight"/);
  });

  it("leaks no tensors when loading fails", async () => {
    const a = await createBackbone(id, { numClasses: 10 });
    const sd = exportStore(a.store);
    a.dispose();
    const before = tf.memory().numTensors;
    sd.delete("bn1.weight");
    await expect(createBackbone(id, { numClasses: 10, weights: sd })).rejects.toThrow(/bn1\.weight/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("torch.save .pth checkpoints", () => {
  const DIR = "fixtures/parity/backbones";

  it("reads the zip + pickle state_dict to the same tensors as the safetensors twin", async () => {
    const { readFile } = await import("node:fs/promises");
    const { readPth } = await import("../../plugins/backbones/weights/index.ts");
    const pth = readPth(await readFile(`${DIR}/resnet18_mini.pth`), "pth");
    const st = readSafetensors(await readFile(`${DIR}/resnet18_mini.safetensors`), "st");
    expect([...pth.keys()].sort()).toEqual([...st.keys()].sort());
    for (const [k, t] of st) {
      expect(pth.get(k)!.shape, k).toEqual(t.shape);
      expect(Array.from(pth.get(k)!.data), k).toEqual(Array.from(t.data));
    }
  });

  it.each([
    ["resnet18_mini", "a plain dict with a strided view"],
    ["densenet_mini", "torch's OrderedDict state_dict with _metadata, legacy denselayer keys"],
    ["shufflenet_v2_mini", "legacy pre-1.6 torch.save stream", ".legacy.pth"],
    ["squeezenet_mini", "legacy stream with PyTorch 0.3 _rebuild_tensor", ".torch03.pth"],
    ["resnet18_mini", "a training checkpoint: the weights under state_dict, beside epoch and optimizer state", ".wrapped.pth"],
  ])("loads %s (%s) through createBackbone with PyTorch parity", async (name, _what, suffix = ".pth") => {
    const { checkParity } = await import("./parity-check.ts");
    const r = await checkParity(DIR, name, `${name}${suffix}`);
    expect(r.maxAbsDiff).toBeLessThanOrEqual(r.tolerance);
  });

  it("refuses a pickle that calls anything outside the state_dict subset", async () => {
    await expect(createBackbone("resnet18_mini.random", { numClasses: 10, weights: `${DIR}/malicious.pth` })).rejects.toThrow(
      /malicious\.pth: unsafe or unsupported pickle content: global "posix\.system" is not allowed/,
    );
  });

  it("rejects truncated, foreign and non-checkpoint data with a clear message", async () => {
    const { readFile } = await import("node:fs/promises");
    const { readPth } = await import("../../plugins/backbones/weights/index.ts");
    expect(() => readPth(new Uint8Array([0x80, 2, 0x8a, 10]), "old.pth")).toThrow(/old\.pth: unsafe or unsupported pickle content: truncated at byte 4/);
    expect(() => readPth(new Uint8Array([0x80, 2, 0x4b, 7, 0x2e]), "int.pth")).toThrow(/bad magic number/);
    expect(() => readPth(new Uint8Array(40), "x.pth")).toThrow(/not a torch checkpoint/);
    const legacy = await readFile(`${DIR}/shufflenet_v2_mini.legacy.pth`);
    expect(() => readPth(legacy.subarray(0, legacy.length - 100), "cut.pth")).toThrow(/cut\.pth: legacy storage "\d+" is truncated/);
  });
});

describe("tfjs weights directories (xfer weights convert)", () => {
  it("convert -> load keeps PyTorch parity, from a .pth checkpoint", async () => {
    const { mkdtemp, rm, cp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { convertWeights } = await import("../../plugins/backbones/index.ts");
    const { checkParity } = await import("./parity-check.ts");
    const dir = await mkdtemp(join(tmpdir(), "xfer-bb-"));
    try {
      const r = await convertWeights("resnet18_mini.random", "fixtures/parity/backbones/resnet18_mini.pth", join(dir, "resnet18_mini.tfjs"));
      expect(r.params).toBe(78_962);
      await cp("fixtures/parity/backbones/resnet18_mini.io.safetensors", join(dir, "resnet18_mini.io.safetensors"));
      const p = await checkParity(dir, "resnet18_mini", "resnet18_mini.tfjs");
      expect(p.maxAbsDiff).toBeLessThanOrEqual(p.tolerance);
      // the manifest is a plain tfjs weights manifest: TensorFlow (HWIO) shapes
      const manifest = JSON.parse(await (await import("node:fs/promises")).readFile(join(dir, "resnet18_mini.tfjs", "model.json"), "utf8"));
      expect(manifest.weightsManifest[0].weights[0]).toEqual({ name: "conv1.weight", shape: [7, 7, 3, 8], dtype: "float32" });
      await expect(createBackbone("resnet18_mini.random", { numClasses: 2, weights: dir })).rejects.toThrow(/not an xfer backbone weights directory|cannot read a tfjs weights directory/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
