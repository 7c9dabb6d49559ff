// Swin beyond the generic catalog tests: older timm checkpoints (PatchMerging at the end of the stage
// before, `head`, persisted index/mask buffers) load to the same logits; the input sizes the family
// builds for, and clear errors for the others; stochastic depth only in training.
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { SeedTree } from "../../core/rng.ts";
import { countParameters, createBackbone } from "../../plugins/index.ts";
import { readCheckpoint } from "../../plugins/backbones/weights/index.ts";
import { checkParity } from "./parity-check.ts";

const DIR = "fixtures/parity/backbones";
const BASE = "swin_base_patch4_window7_224.ms_in1k";

beforeAll(async () => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  expect(await tf.setBackend("wasm")).toBe(true);
});

describe("swin checkpoints", () => {
  it("loads an older timm checkpoint (downsample at the end of the stage before, head, int64 index and mask buffers) to PyTorch's logits", async () => {
    const legacy = await readCheckpoint(`${DIR}/swin_mini.legacy.pth`);
    expect(legacy.has("layers.0.downsample.reduction.weight") && legacy.has("head.weight") && legacy.has("layers.0.blocks.1.attn_mask")).toBe(true);
    const r = await checkParity(DIR, "swin_mini", "swin_mini.legacy.pth");
    expect(r.maxAbsDiff).toBeLessThanOrEqual(r.tolerance);
  });

  it("refuses a relative-position table of another window size, naming the tensor", async () => {
    const tensors = new Map(await readCheckpoint(`${DIR}/swin_mini.safetensors`));
    const key = "layers.1.blocks.0.attn.relative_position_bias_table";
    tensors.set(key, { shape: [25, 4], data: new Float32Array(100) });
    await expect(createBackbone("swin_mini.random", { numClasses: 10, weights: tensors })).rejects.toThrow(/relative_position_bias_table" has 25 rows, a 3-pixel window's; this model's window is 4 \(49 rows\)/);
  });
});

describe("swin input sizes", () => {
  it("builds Swin-B at 256 (padded windows) with the 224 parameter shapes", () => {
    expect(countParameters(BASE, 1000, { inputSize: 256 })).toBe(87_768_224);
  });

  it.each([[240, "a multiple of 32"], [192, "at least 224"]])("refuses Swin-B at %i px: %s", (size, reason) => {
    expect(() => countParameters(BASE, 1000, { inputSize: size })).toThrow(new RegExp(`backbone family "swin": input size ${size} is not supported: it must be .*${reason}`));
  });

  it("refuses an input of another size than it was built for", async () => {
    const bb = await createBackbone("swin_mini.random", { numClasses: 3, inputSize: 40 });
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    expect(() => bb.forward(x)).toThrow(/swin: input must be 40x40 \(build with inputSize for another size\), got 32x32/);
    tf.dispose(x);
    bb.dispose();
  });
});

describe("swin stochastic depth", () => {
  it("drops residual branches in training only, from the run's dropout stream", async () => {
    const outputs = async (training: boolean) => {
      const bb = await createBackbone("swin_mini.random", { numClasses: 3, seeds: new SeedTree(4) });
      const x = tf.randomNormal([8, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
      const runs = [bb.forward(x, training), bb.forward(x, training)].map((t) => t.arraySync() as number[][]);
      tf.dispose(x);
      bb.dispose();
      return runs;
    };
    const [eval1, eval2] = await outputs(false);
    expect(eval2).toEqual(eval1);
    const [train1, train2] = await outputs(true);
    expect(train1).not.toEqual(eval1);
    expect(train2).not.toEqual(train1);
    // the same seeds give the same draws
    expect((await outputs(true))[0]).toEqual(train1);
  });
});
