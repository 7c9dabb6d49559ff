/**
 * timm SwinTransformer (timm/models/swin_transformer.py, current layout: `layers.N.downsample` at the
 * start of stages 1.., classifier `head.fc`), NHWC. Older timm / Microsoft checkpoints (PatchMerging
 * at the end of the stage before, classifier `head`, persisted index and mask buffers) are renamed
 * on load as timm's checkpoint_filter_fn does.
 *
 * Input sizes: timm builds Swin for one image size (strict_img_size; the attention masks are made
 * for it). xfer builds for `inputSize` where timm's build keeps every parameter shape of the
 * checkpoint: a multiple of patch x 2^(stages-1) (every patch merging sees an even grid; timm's
 * static masks assume it) whose last-stage grid is at least the window (a smaller grid would shrink
 * the window and its relative-position table). Grids that are not window multiples are padded
 * inside the attention and a grid equal to the window is not shifted, both as timm does.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../../core/errors.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";
import { type Module, type Scope, conv2d, gelu, globalPool, layerNorm, linear, sequential, stochasticDepth } from "../nn/layers.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";
import { cyclicShift, patchMerging, shiftedWindowMask, windowAttention, windowPartition, windowReverse } from "../nn/window-attention.ts";

export interface SwinConfig {
  readonly imageSize: number;
  readonly patch: number;
  readonly embedDim: number;
  readonly depths: readonly number[];
  readonly heads: readonly number[];
  readonly window: number;
  /** timm's drop_path_rate (0.1 by default), rising linearly over the blocks; training only. */
  readonly dropPath: number;
}

/** timm SwinTransformerBlock on an h x h grid: (shifted) window attention, then the MLP. */
function swinBlock(s: Scope, dim: number, grid: number, heads: number, window: number, shift: number, dropPath: number): Module {
  // timm _calc_window_shift: a grid no larger than the window is a single unshifted window
  const ws = Math.min(window, grid);
  const sh = grid <= window ? 0 : shift;
  const norm1 = layerNorm(s.at("norm1"), dim);
  const attn = windowAttention(s.at("attn"), dim, heads, ws);
  const mlp = sequential(layerNorm(s.at("norm2"), dim), linear(s.at("mlp").at("fc1"), dim, 4 * dim), gelu, linear(s.at("mlp").at("fc2"), 4 * dim, dim));
  const mask = sh ? shiftedWindowMask(grid, grid, ws, sh) : null;
  const pad = (ws - (grid % ws)) % ws;
  const drop = stochasticDepth(dropPath);
  return (x, ctx) => {
    const [b, h, w, c] = x.shape;
    let y = norm1(x, ctx);
    if (sh) y = cyclicShift(y, -sh);
    if (pad) y = tf.pad(y, [[0, 0], [0, pad], [0, pad], [0, 0]]);
    y = windowReverse(attn(windowPartition(y, ws), mask, ctx), ws, h + pad, w + pad);
    if (pad) y = tf.slice(y, [0, 0, 0, 0], [b, h, w, c]);
    if (sh) y = cyclicShift(y, sh);
    const mid = tf.add(x, drop(y, ctx));
    return tf.add(mid, drop(mlp(mid, ctx), ctx));
  };
}

/** The input sizes a config accepts, or the reason it does not. */
function checkInputSize(c: SwinConfig, size: number): void {
  const unit = c.patch * 2 ** (c.depths.length - 1);
  if (size % unit !== 0 || size / unit < c.window) {
    throw new InputError(
      `backbone family "swin"`,
      `input size ${size} is not supported: it must be a multiple of ${unit} (patch ${c.patch} x ${c.depths.length - 1} patch mergings) and at least ${unit * c.window} (window ${c.window} in the last stage), e.g. ${c.imageSize} or ${c.imageSize + unit}`,
    );
  }
}

export function swin(c: SwinConfig): NetBuilder {
  return (root, { numClasses, pooling, inputSize }) => {
    const imageSize = inputSize ?? c.imageSize;
    checkInputSize(c, imageSize);
    const dims = c.depths.map((_, i) => c.embedDim * 2 ** i);
    const mods: Module[] = [
      conv2d(root.at("patch_embed").at("proj"), 3, c.embedDim, c.patch, { stride: c.patch, bias: true }),
      layerNorm(root.at("patch_embed").at("norm"), c.embedDim),
    ];
    const total = c.depths.reduce((a, b) => a + b, 0);
    let grid = imageSize / c.patch;
    let blockId = 0;
    c.depths.forEach((depth, i) => {
      const stage = root.at("layers").at(i);
      if (i > 0) {
        mods.push(patchMerging(stage.at("downsample"), dims[i - 1], dims[i]));
        grid /= 2;
      }
      for (let j = 0; j < depth; j++) {
        // torch.linspace(0, rate, total)[blockId]
        const rate = total > 1 ? (c.dropPath * blockId) / (total - 1) : 0;
        blockId++;
        mods.push(swinBlock(stage.at("blocks").at(j), dims[i], grid, c.heads[i], c.window, j % 2 === 0 ? 0 : c.window >> 1, rate));
      }
    });
    const last = dims[dims.length - 1];
    mods.push(layerNorm(root.at("norm"), last));
    const pool = globalPool(root.at("pool"), pooling);
    buildHead(root, "head.fc", last, numClasses);
    const body = sequential(...mods);
    return {
      features: (x: tf.Tensor4D, ctx) => {
        if (x.shape[1] !== imageSize || x.shape[2] !== imageSize) {
          throw new InputError("swin", `input must be ${imageSize}x${imageSize} (build with inputSize for another size), got ${x.shape[1]}x${x.shape[2]}`);
        }
        return pool(body(x, ctx));
      },
      headName: "head.fc",
      headIn: last,
      adaptCheckpoint: (tensors, where) => adaptSwinCheckpoint(tensors, where, c.window),
    };
  };
}

/**
 * timm checkpoint_filter_fn: drops the persisted `relative_position_index` / `attn_mask` buffers
 * (computed here), and when the checkpoint has no `head.fc.weight` (older timm, Microsoft's release)
 * moves `layers.N.downsample` to `layers.N+1.downsample` and renames `head.` to `head.fc.`. timm
 * also resamples relative-position tables and patch embeddings of another window or patch size;
 * xfer does not, and says so.
 */
export function adaptSwinCheckpoint(tensors: TensorMap, where: string, window: number): TensorMap {
  const old = !tensors.has("head.fc.weight");
  const out: TensorMap = new Map();
  for (const [key, t] of tensors) {
    if (key.includes("relative_position_index") || key.includes("attn_mask")) continue;
    if (key.endsWith("relative_position_bias_table") && t.shape[0] !== (2 * window - 1) ** 2) {
      throw new InputError(where, `"${key}" has ${t.shape[0]} rows, a ${Math.round((Math.sqrt(t.shape[0]) + 1) / 2)}-pixel window's; this model's window is ${window} (${(2 * window - 1) ** 2} rows), and xfer does not resample relative-position tables`);
    }
    const renamed = old ? key.replace(/^layers\.(\d+)\.downsample\./, (_, n: string) => `layers.${Number(n) + 1}.downsample.`).replace(/^head\./, "head.fc.") : key;
    out.set(renamed, t);
  }
  return out;
}

const SWIN_BASE: SwinConfig = { imageSize: 224, patch: 4, embedDim: 128, depths: [2, 2, 18, 2], heads: [4, 8, 16, 32], window: 7, dropPath: 0.1 };

export const SWIN_BACKBONES: readonly CatalogEntry[] = [
  pretrained({
    id: "swin_base_patch4_window7_224.ms_in1k", source: "timm", upstreamName: "timm swin_base_patch4_window7_224.ms_in1k (Microsoft's swin_base_patch4_window7_224.pth)",
    params: 87_768_224, imagenetTop1: 83.6, resizeSize: Math.round(224 / 0.9), interpolation: "bicubic",
  }, swin(SWIN_BASE), "SWIN Base"),
  mini("swin_mini.random", 10_078, swin({ imageSize: 32, patch: 4, embedDim: 8, depths: [2, 2], heads: [2, 4], window: 4, dropPath: 0.1 })),
];
