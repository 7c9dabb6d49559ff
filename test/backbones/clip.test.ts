// CLIP image towers beyond the generic parity/grads/train tests: the checkpoint layouts a CLIP
// tower is loaded from (OpenAI's full-model names, open_clip's DataParallel `module.` prefix), the
// refusal of a checkpoint without an image tower, the pre-projection tap, input sizes, and the
// full-size towers' parameter counts against open_clip's published profile table.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { backboneMeta, countParameters, createBackbone } from "../../plugins/index.ts";
import { readCheckpoint } from "../../plugins/backbones/weights/index.ts";
import { checkParity } from "./parity-check.ts";

const DIR = "fixtures/parity/backbones";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("CLIP checkpoint layouts", () => {
  it.each([
    ["clip_rn_mini", "clip_rn_mini.openai.safetensors"],
    ["clip_vit_mini", "clip_vit_mini.openai.safetensors"],
    ["clip_vit_mini", "clip_vit_mini.open_clip.pth"],
  ])("%s from %s (visual. tensors kept, text tower and logit_scale dropped)", async (name, file) => {
    const r = await checkParity(DIR, name, file);
    expect(r.maxAbsLogit).toBeGreaterThan(0.1);
    expect(r.maxAbsDiff).toBeLessThanOrEqual(r.tolerance);
  });

  it("refuses a checkpoint without image-tower tensors, naming what it found", async () => {
    const textOnly = new Map([
      ["token_embedding.weight", { shape: [6, 8], data: new Float32Array(48) }],
      ["logit_scale", { shape: [], data: new Float32Array(1) }],
    ]);
    await expect(createBackbone("clip_vit_mini.random", { numClasses: 3, weights: textOnly }))
      .rejects.toThrow(/no CLIP image-tower tensors: expected names starting with "visual\."[^]*token_embedding\.weight, logit_scale/);
  });

  it("refuses a classifier in the checkpoint: the head is xfer's own, built fresh", async () => {
    const withHead = new Map(await readCheckpoint(`${DIR}/clip_vit_mini.openai.safetensors`));
    withHead.set("visual.head.weight", { shape: [3, 8], data: new Float32Array(24) });
    await expect(createBackbone("clip_vit_mini.random", { numClasses: 3, weights: withHead }))
      .rejects.toThrow(/nothing was loaded: unexpected tensor "head\.weight" \[3, 8\]$/);
  });
});

describe("CLIP features", () => {
  it.each(["clip_rn_mini", "clip_vit_mini"])("%s: the embedding is the projection of the pre_projection tap", async (name) => {
    const bb = await createBackbone(`${name}.random`, { numClasses: 3, weights: `${DIR}/${name}.safetensors` });
    try {
      const params = new Map(bb.namedParameters());
      tf.tidy(() => {
        const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 7) as tf.Tensor4D;
        const pre = bb.forwardTap("pre_projection", x);
        const embedding = bb.forwardFeatures(x);
        // ViT: ln_post(class token) @ proj; RN: the attention pool's heads before c_proj
        const projected = name === "clip_vit_mini"
          ? tf.matMul(pre, params.get("proj")!)
          : tf.add(tf.matMul(pre, params.get("attnpool.c_proj.weight")!), params.get("attnpool.c_proj.bias")!);
        expect(pre.shape).toEqual([2, name === "clip_vit_mini" ? 16 : 64]);
        expect(embedding.shape).toEqual([2, 8 * (name === "clip_vit_mini" ? 1 : 2)]);
        expect(tf.max(tf.abs(tf.sub(projected, embedding))).dataSync()[0]).toBeLessThan(1e-5);
        expect(bb.forward(x).shape).toEqual([2, 3]);
      });
      expect(() => bb.forwardTap("pooled", tf.zeros([1, 32, 32, 3]))).toThrow(/has no feature output "pooled"; it has: pre_projection/);
    } finally {
      bb.dispose();
    }
  });
});

describe("CLIP input sizes", () => {
  it("ResNet towers refuse a non-native input size; ViT towers need a multiple of the patch", async () => {
    await expect(createBackbone("clip_rn_mini.random", { numClasses: 3, inputSize: 64 })).rejects.toThrow(/ResNet towers take their native 32x32 input only/);
    await expect(createBackbone("clip_vit_mini.random", { numClasses: 3, inputSize: 36 })).rejects.toThrow(/input size 36 is not a multiple of the patch size 8/);
    const bb = await createBackbone("clip_vit_mini.random", { numClasses: 3, inputSize: 48 });
    expect(bb.meta.inputSize).toBe(48);
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
    expect(() => bb.forward(x)).toThrow(/input must be 48x48/);
    tf.dispose(x);
    bb.dispose();
  });
});

describe("CLIP towers at full size", () => {
  // open_clip docs/model_profile.csv image_mparams (visual tower, millions, 2 decimals); embedding
  // widths from openai/CLIP build_model on the released checkpoints (open_clip model_configs embed_dim)
  it.each([
    ["clip_rn50.openai", 38.32, 1024, 224],
    ["clip_rn101.openai", 56.26, 512, 224],
    ["clip_vit_b32.openai", 87.85, 512, 224],
    ["clip_vit_b16.openai", 86.19, 512, 224],
    ["clip_vit_l14.openai", 303.97, 768, 224],
    ["clip_vit_l14_336.openai", 304.29, 768, 336],
  ])("%s: %f M parameters in the tower, a %i-d embedding, %i px bicubic", (id, mparams, embed, size) => {
    const meta = backboneMeta(id);
    // the count includes xfer's local head on the embedding: headClasses x (embed + 1)
    expect(countParameters(id, 1000) - 1000 * (embed + 1)).toBe(meta.params);
    expect(Math.round(meta.params / 1e4) / 100).toBe(mparams);
    expect([meta.inputSize, meta.resizeSize, meta.interpolation, meta.source]).toEqual([size, size, "bicubic", "openai"]);
    expect(meta.mean).toEqual([0.48145466, 0.4578275, 0.40821073]);
    expect(meta.std).toEqual([0.26862954, 0.26130258, 0.27577711]);
  });
});
