// DLA checkpoint layouts: timm's (the committed parity case) and the official ucbdrive one, whose
// deeper trees carry a `project` their forward never used; loading stays strict otherwise.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { countParameters, createBackbone } from "../../plugins/backbones/index.ts";
import { readSafetensors } from "../../plugins/backbones/weights/index.ts";
import { checkParity } from "./parity-check.ts";

const DIR = "fixtures/parity/backbones";
const OFFICIAL = `${DIR}/dla_mini.official.safetensors`;

beforeAll(async () => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  expect(await tf.setBackend("wasm")).toBe(true);
});

describe("DLA checkpoints", () => {
  it("loads the official layout (unused project of a two-level tree) with timm's logits", async () => {
    const official = readSafetensors(await readFile(OFFICIAL), OFFICIAL);
    expect([...official.keys()].filter((k) => k.startsWith("level3.project."))).toHaveLength(6);
    const r = await checkParity(DIR, "dla_mini", "dla_mini.official.safetensors");
    expect(r.maxAbsDiff).toBeLessThanOrEqual(r.tolerance);
  });

  it("still rejects a project where no upstream tree has one", async () => {
    const official = readSafetensors(await readFile(OFFICIAL), OFFICIAL);
    const extra = new Map(official);
    extra.set("level3.tree2.project.0.weight", { shape: [16, 16, 1, 1], data: new Float32Array(256) });
    await expect(createBackbone("dla_mini.random", { numClasses: 10, weights: extra })).rejects.toThrow(/unexpected tensor "level3\.tree2\.project\.0\.weight"/);
  });

  it("counts timm's parameters with the 1x1-conv fc", () => {
    expect(countParameters("dla46_c.in1k", 1000)).toBe(1_301_400);
    expect(countParameters("dla46x_c.in1k", 1000)).toBe(1_068_440);
    expect(countParameters("dla46_c.in1k", 10)).toBe(1_301_400 - 990 * 257);
  });
});

describe("DLA input sizes", () => {
  it("refuses a side whose levels do not halve evenly, with the reason, and runs at a multiple of 32", async () => {
    const backbone = await createBackbone("dla_mini.random", { numClasses: 3 });
    try {
      const odd = tf.zeros([1, 80, 64, 3]) as tf.Tensor4D;
      expect(() => backbone.forward(odd)).toThrow(/a 80x64 input does not fit: .* each side must be a multiple of 32/);
      odd.dispose();
      const fits = tf.zeros([1, 63, 96, 3]) as tf.Tensor4D;
      const logits = backbone.forward(fits);
      expect(logits.shape).toEqual([1, 3]);
      tf.dispose([fits, logits]);
    } finally {
      backbone.dispose();
    }
  });
});
