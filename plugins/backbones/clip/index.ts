/**
 * OpenAI CLIP's image towers (github openai/CLIP clip/model.py): ModifiedResNet (3-conv stem,
 * anti-aliased bottlenecks, attention pooling) and VisionTransformer (QuickGELU). Parameters carry
 * the upstream state_dict names without the `visual.` prefix (`conv1.weight`, `attnpool.q_proj.weight`,
 * `transformer.resblocks.0.attn.in_proj_weight`, ...); `adaptCheckpoint` keeps a full CLIP
 * checkpoint's `visual.` tensors and strips the prefix. The towers end in CLIP's image embedding;
 * the classifier on it is xfer's own (`headLocal`), the LP-FT head of Fang et al. Appendix I.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../../core/errors.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";
import { type Ctx, type Module, type Scope, avgPool2d, conv2d, convBn, identity, layerNorm, linear, relu, sequential } from "../nn/layers.ts";
import { type CatalogEntry, type Net, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";
import { resizePosEmbedding } from "./pos-embed.ts";

const FAMILY = `backbone family "clip"`;

/** openai/CLIP QuickGELU: x * sigmoid(1.702 x). */
const quickGelu: Module = (x) => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));

/** Multi-head attention of `query` [n, q, d] over `keys`/`values` [n, t, d] (already projected). */
function multiHead(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, heads: number): tf.Tensor {
  const [n, tq, d] = q.shape;
  const t = k.shape[1]!;
  const hd = d! / heads;
  const split = (m: tf.Tensor, len: number) => tf.transpose(tf.reshape(m, [n!, len, heads, hd]), [0, 2, 1, 3]);
  const scores = tf.softmax(tf.div(tf.matMul(split(q, tq!), split(k, t), false, true), Math.sqrt(hd)));
  return tf.reshape(tf.transpose(tf.matMul(scores, split(v, t)), [0, 2, 1, 3]), [n!, tq!, d!]);
}

// ---- ModifiedResNet -------------------------------------------------------------------------

export interface ClipResNetConfig {
  readonly layers: readonly [number, number, number, number];
  readonly width: number;
  readonly embedDim: number;
  readonly imageSize: number;
  /** Attention-pool heads; upstream width * 32 / 64. */
  readonly heads?: number;
}

/** `conv{n}` + `bn{n}`, folded in eval (layers.ts convBn); the relu after it stays apart, as an average pool may sit between. */
const convBnAt = (s: Scope, name: number, inC: number, outC: number, k: number, stride = 1): Module =>
  convBn(s.at(`conv${name}`), s.at(`bn${name}`), inC, outC, k, { stride, padding: (k - 1) >> 1 });

/** Bottleneck: a stride is an average pool after conv2, and before the shortcut's 1x1 conv. */
function bottleneck(s: Scope, inplanes: number, planes: number, stride: number): Module {
  const pool = stride > 1 ? avgPool2d(stride, stride) : identity;
  const branch = sequential(convBnAt(s, 1, inplanes, planes, 1), relu, convBnAt(s, 2, planes, planes, 3), relu, pool, convBnAt(s, 3, planes, planes * 4, 1));
  const down = s.at("downsample");
  const shortcut = stride > 1 || inplanes !== planes * 4
    ? sequential(pool, convBn(down.at(0), down.at(1), inplanes, planes * 4, 1))
    : identity;
  return (x, ctx) => tf.relu(tf.add(branch(x, ctx), shortcut(x, ctx)));
}

/**
 * AttentionPool2d: the mean token attends over itself and the spatial tokens (position
 * embeddings added). Returns the attention output before `c_proj` and `c_proj` itself.
 */
function attentionPool(s: Scope, spatial: number, d: number, heads: number, outDim: number): { attend: Module; project: Module } {
  s.store.add(s.name("positional_embedding"), [spatial * spatial + 1, d], "plain", { kind: "normal", std: d ** -0.5 });
  const k = linear(s.at("k_proj"), d, d);
  const q = linear(s.at("q_proj"), d, d);
  const v = linear(s.at("v_proj"), d, d);
  const project = linear(s.at("c_proj"), d, outDim);
  const attend: Module = (x, ctx) => {
    const [n, h, w] = x.shape;
    const tokens = tf.reshape(x, [n!, h! * w!, d]);
    const all = tf.add(tf.concat([tf.mean(tokens, 1, true), tokens], 1), s.store.get(s.name("positional_embedding")));
    const query = tf.slice(all, [0, 0, 0], [-1, 1, -1]);
    return tf.reshape(multiHead(q(query, ctx), k(all, ctx), v(all, ctx), heads), [n!, d]);
  };
  return { attend, project };
}

export function clipResNet(c: ClipResNetConfig): NetBuilder {
  return (root, { numClasses, pooling, inputSize }) => {
    if (pooling !== "avg") throw new InputError(FAMILY, `pooling "${pooling}" is not available: CLIP's ResNet pools by attention`);
    if (inputSize !== undefined && inputSize !== c.imageSize) {
      throw new InputError(FAMILY, `the ResNet towers take their native ${c.imageSize}x${c.imageSize} input only (the attention pool's position embeddings are sized for it), got inputSize ${inputSize}`);
    }
    const w = c.width;
    const stem = sequential(
      convBnAt(root, 1, 3, w / 2, 3, 2), relu, convBnAt(root, 2, w / 2, w / 2, 3), relu, convBnAt(root, 3, w / 2, w, 3), relu, avgPool2d(2, 2),
    );
    const blocks: Module[] = [];
    let inplanes = w;
    c.layers.forEach((count, i) => {
      const planes = w * 2 ** i;
      for (let b = 0; b < count; b++) {
        blocks.push(bottleneck(root.at(`layer${i + 1}`).at(b), inplanes, planes, b === 0 && i > 0 ? 2 : 1));
        inplanes = planes * 4;
      }
    });
    const poolDim = w * 32;
    const pool = attentionPool(root.at("attnpool"), c.imageSize / 32, poolDim, c.heads ?? poolDim / 64, c.embedDim);
    const trunk = sequential(stem, ...blocks);
    // pre_projection: the attention pool's output before c_proj, the projection into CLIP's joint space
    const preProjection = (x: tf.Tensor4D, ctx: Ctx) => pool.attend(trunk(checkInput(x, c.imageSize), ctx), ctx) as tf.Tensor2D;
    return towerNet(root, numClasses, c.embedDim, (x, ctx) => pool.project(preProjection(x, ctx), ctx) as tf.Tensor2D, preProjection);
  };
}

// ---- VisionTransformer ----------------------------------------------------------------------

export interface ClipVitConfig {
  readonly imageSize: number;
  readonly patch: number;
  readonly width: number;
  readonly layers: number;
  readonly embedDim: number;
  /** Upstream width / 64. */
  readonly heads?: number;
}

function residualAttentionBlock(s: Scope, d: number, heads: number): Module {
  const ln1 = layerNorm(s.at("ln_1"), d);
  const a = s.at("attn");
  a.store.add(a.name("in_proj_weight"), [3 * d, d], "linear", { kind: "uniform", bound: Math.sqrt(6 / (4 * d)) });
  a.store.add(a.name("in_proj_bias"), [3 * d], "plain", { kind: "const", value: 0 });
  const outProj = linear(a.at("out_proj"), d, d);
  const mlp = sequential(layerNorm(s.at("ln_2"), d), linear(s.at("mlp").at("c_fc"), d, 4 * d), quickGelu, linear(s.at("mlp").at("c_proj"), 4 * d, d));
  const attend: Module = (x, ctx) => {
    const [n, t] = x.shape;
    const qkv = tf.add(tf.matMul(tf.reshape(x, [n! * t!, d]), a.store.get(a.name("in_proj_weight"))), a.store.get(a.name("in_proj_bias")));
    const [q, k, v] = tf.split(qkv, 3, 1).map((m) => tf.reshape(m, [n!, t!, d]));
    return outProj(multiHead(q, k, v, heads), ctx);
  };
  // one tidy per block: at 577 tokens (L/14@336) a forward's intermediates would otherwise fill
  // wasm's 4 GB heap before the last block (gradients still see what they need: the tape keeps it)
  return (x, ctx) => tf.tidy(() => {
    const h = tf.add(x, attend(ln1(x, ctx), ctx));
    return tf.add(h, mlp(h, ctx));
  });
}

export function clipVit(c: ClipVitConfig): NetBuilder {
  return (root, { numClasses, pooling, inputSize }) => {
    if (pooling !== "avg") throw new InputError(FAMILY, `pooling "${pooling}" is not available: CLIP's ViT embeds its class token`);
    const imageSize = inputSize ?? c.imageSize;
    if (imageSize % c.patch !== 0) throw new InputError(FAMILY, `input size ${imageSize} is not a multiple of the patch size ${c.patch}`);
    const d = c.width;
    const grid = imageSize / c.patch;
    const seq = grid * grid + 1;
    const patchify = conv2d(root.at("conv1"), 3, d, c.patch, { stride: c.patch });
    root.store.add("class_embedding", [d], "plain", { kind: "normal", std: d ** -0.5 });
    root.store.add("positional_embedding", [seq, d], "plain", { kind: "normal", std: d ** -0.5 });
    const lnPre = layerNorm(root.at("ln_pre"), d);
    const blocks: Module[] = [];
    for (let i = 0; i < c.layers; i++) blocks.push(residualAttentionBlock(root.at("transformer").at("resblocks").at(i), d, c.heads ?? d / 64));
    const lnPost = layerNorm(root.at("ln_post"), d);
    root.store.add("proj", [d, c.embedDim], "plain", { kind: "normal", std: d ** -0.5 });
    const encoder = sequential(lnPre, ...blocks);
    const preProjection = (x: tf.Tensor4D, ctx: Ctx): tf.Tensor2D => {
      const n = checkInput(x, imageSize).shape[0];
      const tokens = tf.reshape(patchify(x, ctx), [n, grid * grid, d]);
      const cls = tf.tile(tf.reshape(root.store.get("class_embedding"), [1, 1, d]), [n, 1, 1]);
      const h = encoder(tf.add(tf.concat([cls, tokens], 1), root.store.get("positional_embedding")), ctx);
      return lnPost(tf.reshape(tf.slice(h, [0, 0, 0], [n, 1, d]), [n, d]), ctx) as tf.Tensor2D;
    };
    const embed = (x: tf.Tensor4D, ctx: Ctx) => tf.matMul(preProjection(x, ctx), root.store.get("proj")) as tf.Tensor2D;
    return towerNet(root, numClasses, c.embedDim, embed, preProjection, (tensors, where) => {
      const pos = tensors.get("positional_embedding");
      if (!pos || pos.shape[0] === seq || pos.shape.length !== 2) return tensors;
      const out = new Map(tensors);
      out.set("positional_embedding", { shape: [seq, d], data: resizePosEmbedding(pos.data, pos.shape, grid, where) });
      return out;
    });
  };
}

// ---- shared ---------------------------------------------------------------------------------

function checkInput(x: tf.Tensor4D, size: number): tf.Tensor4D {
  if (x.shape[1] !== size || x.shape[2] !== size) {
    throw new InputError("clip", `input must be ${size}x${size} (build with inputSize for another size; ViT towers only), got ${x.shape[1]}x${x.shape[2]}`);
  }
  return x;
}

/** Names of a full CLIP checkpoint's image tower: OpenAI's, open_clip's, DataParallel's `module.`. */
const VISUAL_PREFIX = /^(?:module\.)?visual\./;

/**
 * The image tower's tensors of a CLIP checkpoint under xfer's names: a full model's `visual.*`
 * (OpenAI TorchScript archives, open_clip state dicts, either with `module.`) with the prefix
 * stripped and the text tower, `logit_scale` etc. dropped; a map already in xfer's names (its
 * parity files, `xfer weights convert` output) as it is.
 */
export function clipVisualTensors(tensors: TensorMap, where: string): TensorMap {
  const visual = [...tensors].filter(([name]) => VISUAL_PREFIX.test(name));
  if (visual.length > 0) return new Map(visual.map(([name, t]) => [name.replace(VISUAL_PREFIX, ""), t]));
  if (tensors.has("conv1.weight")) return tensors;
  const sample = [...tensors.keys()].slice(0, 5).join(", ");
  throw new InputError(where, `no CLIP image-tower tensors: expected names starting with "visual." (an OpenAI or open_clip CLIP checkpoint) or the tower's own ("conv1.weight", ...), got ${tensors.size} tensors (${sample || "none"}${tensors.size > 5 ? ", ..." : ""})`);
}

function towerNet(
  root: Scope, numClasses: number, embedDim: number,
  embed: (x: tf.Tensor4D, ctx: Ctx) => tf.Tensor2D,
  preProjection: (x: tf.Tensor4D, ctx: Ctx) => tf.Tensor2D,
  /** ViT: position embeddings resampled for the input size built. */
  resize: (tensors: TensorMap, where: string) => TensorMap = (tensors) => tensors,
): Net {
  buildHead(root, "head", embedDim, numClasses, "linear", { local: true });
  return {
    features: embed,
    headName: "head",
    headIn: embedDim,
    headLocal: true,
    taps: { pre_projection: preProjection },
    adaptCheckpoint(tensors, where) {
      return resize(clipVisualTensors(tensors, where), where);
    },
  };
}

// ---- catalog --------------------------------------------------------------------------------

const MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
const STD = [0.26862954, 0.26130258, 0.27577711] as const;

/** OpenAI's release file; preprocessing of clip.load: bicubic resize of the short side, centre crop. */
const openai = (id: string, file: string, params: number, imagenetTop1: number, inputSize = 224) => ({
  id, source: "openai" as const, upstreamName: `OpenAI CLIP ${file}`, params, imagenetTop1,
  inputSize, resizeSize: inputSize, interpolation: "bicubic" as const, mean: [...MEAN], std: [...STD],
});

export const CLIP_BACKBONES: readonly CatalogEntry[] = [
  pretrained(openai("clip_rn50.openai", "RN50.pt", 38_316_896, 73.3), clipResNet({ layers: [3, 4, 6, 3], width: 64, embedDim: 1024, imageSize: 224 }), "CLIP-RN50"),
  pretrained(openai("clip_rn101.openai", "RN101.pt", 56_259_936, 75.7), clipResNet({ layers: [3, 4, 23, 3], width: 64, embedDim: 512, imageSize: 224 }), "CLIP-RN101"),
  pretrained(openai("clip_vit_b32.openai", "ViT-B-32.pt", 87_849_216, 76.1), clipVit({ imageSize: 224, patch: 32, width: 768, layers: 12, embedDim: 512 }), "CLIP-B32"),
  pretrained(openai("clip_vit_b16.openai", "ViT-B-16.pt", 86_192_640, 80.2), clipVit({ imageSize: 224, patch: 16, width: 768, layers: 12, embedDim: 512 }), "CLIP-B16"),
  pretrained(openai("clip_vit_l14.openai", "ViT-L-14.pt", 303_966_208, 83.9), clipVit({ imageSize: 224, patch: 14, width: 1024, layers: 24, embedDim: 768 }), "CLIP-L14"),
  pretrained(openai("clip_vit_l14_336.openai", "ViT-L-14-336px.pt", 304_293_888, 85.4, 336), clipVit({ imageSize: 336, patch: 14, width: 1024, layers: 24, embedDim: 768 }), "CLIP-L14@336"),
  mini("clip_rn_mini.random", 22_202, clipResNet({ layers: [2, 1, 1, 1], width: 2, embedDim: 16, imageSize: 32, heads: 2 })),
  mini("clip_vit_mini.random", 10_112, clipVit({ imageSize: 32, patch: 8, width: 16, layers: 2, embedDim: 8, heads: 2 })),
];
