/**
 * timm MetaFormer as CAFormer (timm/models/metaformer.py, Yu et al. 2022 "MetaFormer Baselines for
 * Vision"): a 7x7/4 conv stem, four stages of MetaFormer blocks whose token mixer is SepConv in
 * stages 0-1 and self-attention in stages 2-3, then global pooling, LayerNorm and an MLP head.
 * Parameter names are timm's; sail-sg/metaformer's original checkpoint names are renamed on load
 * as timm's checkpoint_filter_fn does.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../../core/errors.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";
import { type Ctx, type Module, type Scope, conv2d, globalPool, identity, layerNorm, linear, sequential, stochasticDepth } from "../nn/layers.ts";
import { layerNormNoBias, mlpHead, scale, sepConv, starReLU } from "../nn/metaformer-ops.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

export interface CaformerConfig {
  /** Blocks per stage (four stages: SepConv, SepConv, Attention, Attention). */
  readonly depths: readonly [number, number, number, number];
  readonly dims: readonly [number, number, number, number];
  /** timm's drop_path_rate: stochastic depth rising linearly from 0 over all blocks to this. */
  readonly dropPathRate: number;
  /** Channels per attention head (timm's Attention `head_dim`, 32 unless passed to the model). */
  readonly headDim?: number;
}

/** timm metaformer Attention: `qkv` and `proj` without bias, heads of `headDim` channels, on [n, tokens, dim]. */
function attention(s: Scope, dim: number, headDim: number): Module {
  const heads = Math.max(Math.floor(dim / headDim), 1);
  // timm reshapes the heads' output back to `dim` channels, which only works when they tile it
  if (heads * headDim !== dim) throw new InputError(`backbone family "metaformer"`, `attention stage width ${dim} is not a multiple of the head size ${headDim}`);
  const qkv = linear(s.at("qkv"), dim, 3 * dim, false);
  const proj = linear(s.at("proj"), dim, dim, false);
  return (x, ctx) => {
    const [n, t] = x.shape;
    const [q, k, v] = tf.split(qkv(x, ctx), 3, 2).map((m) => tf.transpose(tf.reshape(m, [n, t, heads, headDim]), [0, 2, 1, 3]));
    const weights = tf.softmax(tf.mul(tf.matMul(q, k, false, true), headDim ** -0.5));
    return proj(tf.reshape(tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]), [n, t, dim]), ctx);
  };
}

/**
 * timm MetaFormerBlock: `x = res_scale1(x) + drop_path(token_mixer(norm1(x)))`, then the same with
 * `norm2` and the StarReLU `mlp` (1x1 convs on maps in SepConv stages, linears on tokens in
 * attention stages; no biases). CAFormer has res scales in the attention stages and no layer scale.
 */
function block(s: Scope, dim: number, isAttention: boolean, dropPath: number, headDim: number): Module {
  const norm1 = layerNormNoBias(s.at("norm1"), dim);
  const mixer = isAttention ? attention(s.at("token_mixer"), dim, headDim) : sepConv(s.at("token_mixer"), dim);
  const res1 = isAttention ? scale(s.at("res_scale1"), dim) : identity;
  const norm2 = layerNormNoBias(s.at("norm2"), dim);
  const m = s.at("mlp");
  const fc = (name: string, inF: number, outF: number) => (isAttention ? linear(m.at(name), inF, outF, false) : conv2d(m.at(name), inF, outF, 1));
  const mlp = sequential(fc("fc1", dim, 4 * dim), starReLU(m.at("act")), fc("fc2", 4 * dim, dim));
  const res2 = isAttention ? scale(s.at("res_scale2"), dim) : identity;
  const drop = stochasticDepth(dropPath);
  return (x, ctx) => {
    const h = tf.add(res1(x, ctx), drop(mixer(norm1(x, ctx), ctx), ctx));
    return tf.add(res2(h, ctx), drop(mlp(norm2(h, ctx), ctx), ctx));
  };
}

/** Runs `blocks` on the map's pixels as a token sequence [n, h * w, c] (row-major, as torch's flatten). */
function onTokens(blocks: Module): Module {
  return (x, ctx) => {
    const [n, h, w, c] = x.shape;
    return tf.reshape(blocks(tf.reshape(x, [n, h * w, c]), ctx), [n, h, w, c]);
  };
}

/** sail-sg/metaformer checkpoint name -> timm name (timm's checkpoint_filter_fn, for CAFormer's keys). */
const SAIL_NAMES: readonly (readonly [RegExp, string])[] = [
  [/^downsample_layers\.0\.conv\./, "stem.conv."],
  [/^downsample_layers\.0\.post_norm\./, "stem.norm."],
  [/^downsample_layers\.(\d+)\.pre_norm\./, "stages.$1.downsample.norm."],
  [/^downsample_layers\.(\d+)\.conv\./, "stages.$1.downsample.conv."],
  [/^stages\.(\d+)\.(\d+)\./, "stages.$1.blocks.$2."],
  [/^norm\./, "head.norm."],
  [/^head\./, "head.fc."],
];

/**
 * sail-sg's original checkpoints (no `stem.conv.weight`, a `downsample_layers.0.conv.weight`) renamed
 * to timm's names, and their channel-last Linear weights (`pwconv1/2`, SepConv-stage `mlp.fc1/2`)
 * reshaped to the 1x1 convs' [out, in, 1, 1], as timm's filter reshapes any tensor whose element count
 * matches. timm checkpoints pass unchanged.
 */
function fromSailNames(tensors: TensorMap, expected: ReadonlyMap<string, readonly number[]>): TensorMap {
  if (tensors.has("stem.conv.weight") || !tensors.has("downsample_layers.0.conv.weight")) return tensors;
  const out: TensorMap = new Map();
  for (const [name, t] of tensors) {
    const rule = SAIL_NAMES.find(([pattern]) => pattern.test(name));
    const renamed = rule ? name.replace(rule[0], rule[1]) : name;
    const shape = expected.get(renamed);
    const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    out.set(renamed, shape && shape.length !== t.shape.length && count(shape) === count(t.shape) ? { shape: [...shape], data: t.data } : t);
  }
  return out;
}

export function caformer(c: CaformerConfig): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const { depths, dims } = c;
    const stemScope = root.at("stem");
    const mods: Module[] = [
      conv2d(stemScope.at("conv"), 3, dims[0], 7, { stride: 4, padding: 2, bias: true }),
      layerNormNoBias(stemScope.at("norm"), dims[0]),
    ];
    const total = depths.reduce((a, b) => a + b, 0);
    let blockIndex = 0;
    let prev = dims[0];
    dims.forEach((dim, i) => {
      const st = root.at("stages").at(i);
      // timm: no downsampling where a stage keeps its input width (stage 0 after the stem)
      if (prev !== dim) {
        mods.push(layerNormNoBias(st.at("downsample").at("norm"), prev), conv2d(st.at("downsample").at("conv"), prev, dim, 3, { stride: 2, padding: 1, bias: true }));
      }
      const isAttention = i >= 2;
      const blocks: Module[] = [];
      for (let b = 0; b < depths[i]; b++) {
        blocks.push(block(st.at("blocks").at(b), dim, isAttention, total > 1 ? (c.dropPathRate * blockIndex++) / (total - 1) : 0, c.headDim ?? 32));
      }
      mods.push(isAttention ? onTokens(sequential(...blocks)) : sequential(...blocks));
      prev = dim;
    });
    const last = dims[3];
    const pool = globalPool(root.at("pool"), pooling);
    const norm = layerNorm(root.at("head").at("norm"), last, 1e-6);
    const head = mlpHead(root.at("head").at("fc"), last);
    buildHead(root, head.classifier, head.hiddenSize, numClasses);
    const body = sequential(...mods);
    const pooled = (x: tf.Tensor4D, ctx: Ctx) => norm(pool(body(x, ctx)), ctx) as tf.Tensor2D;
    return {
      features: (x, ctx) => head.hidden(pooled(x, ctx), ctx),
      headName: head.classifier,
      headIn: head.hiddenSize,
      // timm's forward_head(pre_logits=True): pooled and normalised, before the MLP head
      taps: { pooled },
      adaptCheckpoint: (tensors) => fromSailNames(tensors, new Map(root.store.specs.map((s) => [s.name, s.torchShape]))),
    };
  };
}

export const METAFORMER_BACKBONES: readonly CatalogEntry[] = [
  pretrained(
    {
      id: "caformer_b36.sail_in1k", source: "timm", upstreamName: "timm caformer_b36.sail_in1k (sail-sg/metaformer caformer_b36 weights)",
      params: 98_753_614, imagenetTop1: 85.5, resizeSize: 224, interpolation: "bicubic",
    },
    caformer({ depths: [3, 12, 18, 3], dims: [128, 256, 512, 768], dropPathRate: 0 }),
    "CAFormer B36",
  ),
  mini("caformer_mini.random", 25_590, caformer({ depths: [1, 1, 1, 1], dims: [8, 12, 16, 24], dropPathRate: 0.1, headDim: 8 })),
];
