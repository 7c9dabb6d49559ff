/**
 * torchvision VisionTransformer (torchvision/models/vision_transformer.py) for ViT-B/16 and the
 * DeiT dimensions (timm checkpoints are renamed to these names on load, see weights/timm.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../../core/errors.ts";
import { type Module, type Scope, conv2d, gelu, layerNorm, linear, sequential } from "../nn/layers.ts";
import { interpolatePosEmbedding, isTimmVit, renameLegacyVitMlp, timmVitToTorchvision } from "../weights/vit.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

export interface VitConfig {
  readonly imageSize: number;
  readonly patch: number;
  readonly layers: number;
  readonly heads: number;
  readonly hidden: number;
  readonly mlp: number;
}

function attention(s: Scope, d: number, heads: number): Module {
  s.store.add(s.name("in_proj_weight"), [3 * d, d], "linear", { kind: "uniform", bound: Math.sqrt(6 / (4 * d)) });
  s.store.add(s.name("in_proj_bias"), [3 * d], "plain", { kind: "const", value: 0 });
  const out = linear(s.at("out_proj"), d, d);
  const hd = d / heads;
  return (x, ctx) => {
    const [n, t] = x.shape;
    const qkv = tf.add(tf.matMul(tf.reshape(x, [n * t, d]), s.store.get(s.name("in_proj_weight"))), s.store.get(s.name("in_proj_bias")));
    // [n*t, 3d] -> q, k, v each [n, heads, t, hd]
    const [q, k, v] = tf.split(qkv, 3, 1).map((m) => tf.transpose(tf.reshape(m, [n, t, heads, hd]), [0, 2, 1, 3]));
    const scores = tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(hd)));
    const o = tf.reshape(tf.transpose(tf.matMul(scores, v), [0, 2, 1, 3]), [n, t, d]);
    return out(o, ctx);
  };
}

function encoderBlock(s: Scope, c: VitConfig): Module {
  const ln1 = layerNorm(s.at("ln_1"), c.hidden, 1e-6);
  const attn = attention(s.at("self_attention"), c.hidden, c.heads);
  const mlp = sequential(layerNorm(s.at("ln_2"), c.hidden, 1e-6), linear(s.at("mlp").at(0), c.hidden, c.mlp), gelu, linear(s.at("mlp").at(3), c.mlp, c.hidden));
  return (x, ctx) => {
    const h = tf.add(x, attn(ln1(x, ctx), ctx));
    return tf.add(h, mlp(h, ctx));
  };
}

export function vit(c: VitConfig): NetBuilder {
  return (root, { numClasses, pooling, inputSize }) => {
    if (pooling !== "avg") throw new InputError(`backbone family "vit"`, `pooling "${pooling}" is not available: ViT classifies its class token`);
    const imageSize = inputSize ?? c.imageSize;
    if (imageSize % c.patch !== 0) throw new InputError(`backbone family "vit"`, `input size ${imageSize} is not a multiple of the patch size ${c.patch}`);
    const d = c.hidden;
    const grid = imageSize / c.patch;
    const seq = grid * grid + 1;
    const proj = conv2d(root.at("conv_proj"), 3, d, c.patch, { stride: c.patch, bias: true });
    root.store.add("class_token", [1, 1, d], "plain", { kind: "const", value: 0 });
    const e = root.at("encoder");
    root.store.add(e.name("pos_embedding"), [1, seq, d], "plain", { kind: "normal", std: 0.02 });
    const blocks: Module[] = [];
    for (let i = 0; i < c.layers; i++) blocks.push(encoderBlock(e.at("layers").at(`encoder_layer_${i}`), c));
    const ln = layerNorm(e.at("ln"), d, 1e-6);
    buildHead(root, "heads.head", d, numClasses);
    const encoder = sequential(...blocks, ln);
    return {
      features: (x: tf.Tensor4D, ctx) => {
        if (x.shape[1] !== imageSize || x.shape[2] !== imageSize) {
          throw new InputError("vit", `input must be ${imageSize}x${imageSize} (build with inputSize for another size), got ${x.shape[1]}x${x.shape[2]}`);
        }
        const n = x.shape[0];
        const tokens = tf.reshape(proj(x, ctx), [n, grid * grid, d]);
        const cls = tf.tile(root.store.get("class_token"), [n, 1, 1]);
        const h = tf.add(tf.concat([cls, tokens], 1), root.store.get(e.name("pos_embedding")));
        return tf.reshape(tf.slice(encoder(h, ctx), [0, 0, 0], [n, 1, d]), [n, d]);
      },
      headName: "heads.head",
      headIn: d,
      adaptCheckpoint(tensors, where) {
        const renamed = isTimmVit(tensors) ? timmVitToTorchvision(tensors, where) : renameLegacyVitMlp(tensors);
        const pos = renamed.get("encoder.pos_embedding");
        if (!pos || pos.shape[1] === seq) return renamed;
        const out = new Map(renamed);
        out.set("encoder.pos_embedding", { shape: [1, seq, d], data: interpolatePosEmbedding(pos.data, pos.shape, grid, where) });
        return out;
      },
    };
  };
}

const VIT_B16: VitConfig = { imageSize: 224, patch: 16, layers: 12, heads: 12, hidden: 768, mlp: 3072 };
const DEIT_TINY: VitConfig = { imageSize: 224, patch: 16, layers: 12, heads: 3, hidden: 192, mlp: 768 };
const DEIT_SMALL: VitConfig = { imageSize: 224, patch: 16, layers: 12, heads: 6, hidden: 384, mlp: 1536 };

const timm = (id: string, params: number, imagenetTop1: number) =>
  ({ id, source: "timm" as const, upstreamName: `timm ${id} (renamed to torchvision VisionTransformer names on load)`, params, imagenetTop1, interpolation: "bicubic" as const });

export const VIT_BACKBONES: readonly CatalogEntry[] = [
  pretrained({ id: "vit_b_16.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.vit_b_16 ViT_B_16_Weights.IMAGENET1K_V1", params: 86_567_656, imagenetTop1: 78.7 }, vit(VIT_B16), "ViT-B/16"),
  pretrained(timm("deit_tiny_patch16_224.fb_in1k", 5_717_416, 72.2), vit(DEIT_TINY), "DeiT-tiny"),
  pretrained(timm("deit_small_patch16_224.fb_in1k", 22_050_664, 79.9), vit(DEIT_SMALL), "DeiT-small"),
  mini("vit_mini.random", 8_026, vit({ imageSize: 32, patch: 8, layers: 2, heads: 2, hidden: 16, mlp: 32 })),
];
