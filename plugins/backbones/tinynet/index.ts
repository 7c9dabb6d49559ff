/**
 * TinyNet (Han et al. 2020, "Model Rubik's Cube") as timm builds it: `_gen_tinynet`
 * (timm/models/efficientnet.py) scales EfficientNet-B0's arch_def by a width and a depth
 * multiplier through timm's EfficientNet builder. timm's state_dict names (conv_stem, bn1,
 * blocks.<stage>.<block>.{conv_dw, bn1, se.conv_reduce, se.conv_expand, conv_pw, bn2, conv_pwl,
 * bn3}, conv_head, bn2, classifier), symmetric padding (timm's pad_type ''), BatchNorm eps 1e-5,
 * Swish; no dropout or drop path (timm's defaults for these weights). timm's make_divisible (behind
 * round_channels) is torchvision's _make_divisible, so layers.ts's makeDivisible serves both.
 */
import * as tf from "@tensorflow/tfjs";
import { type Module, type Scope, batchNorm2d, conv2d, globalPool, makeDivisible, sequential, silu } from "../nn/layers.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

/** One stage of an arch_def: block type, repeats, depthwise kernel, stride, expansion, output channels (SE 0.25). */
export type TinyStage = readonly ["ds" | "ir", number, number, number, number, number];

/** EfficientNet-B0's arch_def, as `_gen_tinynet` writes it. */
export const B0_ARCH: readonly TinyStage[] = [
  ["ds", 1, 3, 1, 1, 16], ["ir", 2, 3, 2, 6, 24], ["ir", 2, 5, 2, 6, 40], ["ir", 3, 3, 2, 6, 80],
  ["ir", 3, 5, 1, 6, 112], ["ir", 4, 5, 2, 6, 192], ["ir", 1, 3, 1, 6, 320],
];

export interface TinyNetConfig {
  readonly arch: readonly TinyStage[];
  /** Channel multiplier (timm's `model_width`). */
  readonly width: number;
  readonly depth: number;
  /** Stem channels, not scaled (fix_stem). */
  readonly stem: number;
  readonly numFeatures: number;
}

/** Python's round(): ties to even (depth and SE widths are rounded with it upstream). */
function pyRound(x: number): number {
  const f = Math.floor(x);
  const frac = x - f;
  if (frac !== 0.5) return frac < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** `_gen_tinynet(width, depth)`: stem 32, head max(1280, round_channels(1280, width)). */
export function tinynetConfig(width: number, depth: number): TinyNetConfig {
  return { arch: B0_ARCH, width, depth, stem: 32, numFeatures: Math.max(1280, makeDivisible(1280 * width)) };
}

/** timm's BatchNormAct2d: a BatchNorm2d under the same name, the activation after it. */
function bnAct(s: Scope, c: number, act: Module): Module {
  return sequential(batchNorm2d(s, c), act);
}

/** timm's padding for pad_type '': ((stride - 1) + (k - 1)) // 2. */
function depthwise(s: Scope, c: number, k: number, stride: number): Module {
  return conv2d(s, c, c, k, { stride, padding: ((stride - 1) + (k - 1)) >> 1, groups: c });
}

/** timm's SqueezeExcite: 1x1 convs `conv_reduce`, `conv_expand` (bias) on the pooled input, sigmoid gate. */
function squeezeExcite(s: Scope, c: number, rdRatio: number): Module {
  const rd = pyRound(c * rdRatio);
  const reduce = conv2d(s.at("conv_reduce"), c, rd, 1, { bias: true });
  const expand = conv2d(s.at("conv_expand"), rd, c, 1, { bias: true });
  return (x, ctx) => tf.mul(x, tf.sigmoid(expand(silu(reduce(tf.mean(x, [1, 2], true), ctx), ctx), ctx)));
}

function withSkip(body: Module, skip: boolean): Module {
  return skip ? (x, ctx) => tf.add(body(x, ctx), x) : body;
}

/** DepthwiseSeparableConv: conv_dw, bn1 (+act), se, conv_pw, bn2 (no pw activation). */
function depthwiseSeparable(s: Scope, inC: number, out: number, k: number, stride: number): Module {
  return withSkip(sequential(
    depthwise(s.at("conv_dw"), inC, k, stride), bnAct(s.at("bn1"), inC, silu),
    squeezeExcite(s.at("se"), inC, 0.25),
    conv2d(s.at("conv_pw"), inC, out, 1), batchNorm2d(s.at("bn2"), out),
  ), stride === 1 && inC === out);
}

/** InvertedResidual: conv_pw, bn1, conv_dw, bn2, se (ratio relative to the block input), conv_pwl, bn3. */
function invertedResidual(s: Scope, inC: number, out: number, k: number, stride: number, expansion: number): Module {
  const mid = makeDivisible(inC * expansion);
  return withSkip(sequential(
    conv2d(s.at("conv_pw"), inC, mid, 1), bnAct(s.at("bn1"), mid, silu),
    depthwise(s.at("conv_dw"), mid, k, stride), bnAct(s.at("bn2"), mid, silu),
    squeezeExcite(s.at("se"), mid, 0.25 / expansion),
    conv2d(s.at("conv_pwl"), mid, out, 1), batchNorm2d(s.at("bn3"), out),
  ), stride === 1 && inC === out);
}

export function tinynet(cfg: TinyNetConfig): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const mods: Module[] = [conv2d(root.at("conv_stem"), 3, cfg.stem, 3, { stride: 2, padding: 1 }), bnAct(root.at("bn1"), cfg.stem, silu)];
    let inC = cfg.stem;
    cfg.arch.forEach(([kind, repeats, k, stride, expansion, outC], i) => {
      const out = makeDivisible(outC * cfg.width);
      // _scale_stage_depth, depth_trunc "round" (one block definition per stage)
      const n = Math.max(1, pyRound(repeats * cfg.depth));
      for (let b = 0; b < n; b++) {
        const s = root.at("blocks").at(i).at(b);
        const st = b === 0 ? stride : 1;
        mods.push(kind === "ds" ? depthwiseSeparable(s, inC, out, k, st) : invertedResidual(s, inC, out, k, st, expansion));
        inC = out;
      }
    });
    mods.push(conv2d(root.at("conv_head"), inC, cfg.numFeatures, 1), bnAct(root.at("bn2"), cfg.numFeatures, silu));
    const pool = globalPool(root.at("pool"), pooling);
    buildHead(root, "classifier", cfg.numFeatures, numClasses);
    const body = sequential(...mods);
    return { features: (x: tf.Tensor4D, ctx) => pool(body(x, ctx)), headName: "classifier", headIn: cfg.numFeatures };
  };
}

// timm pretrained_cfg: crop_pct 0.875, bicubic, ImageNet mean/std; input 152 / 106.
const timm = (id: string, params: number, imagenetTop1: number, inputSize: number) => ({
  id, source: "timm" as const, upstreamName: `timm ${id} (huawei-noah CV-Backbones TinyNet weights)`, params, imagenetTop1,
  inputSize, resizeSize: Math.round(inputSize / 0.875), interpolation: "bicubic" as const,
});

export const TINYNET_BACKBONES: readonly CatalogEntry[] = [
  pretrained(timm("tinynet_d.in1k", 2_338_446, 67.0, 152), tinynet(tinynetConfig(0.54, 0.695)), "TinyNet d"),
  pretrained(timm("tinynet_e.in1k", 2_042_972, 59.9, 106), tinynet(tinynetConfig(0.51, 0.6)), "TinyNet e"),
  // B0's first three stages at width 0.25 / depth 0.8, stem 8 (a DS block with skip), head 32
  mini("tinynet_mini.random", 14_222, tinynet({ arch: B0_ARCH.slice(0, 3), width: 0.25, depth: 0.8, stem: 8, numFeatures: 32 })),
];
