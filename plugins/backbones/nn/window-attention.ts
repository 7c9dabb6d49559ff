/**
 * Shifted-window attention (Swin, Liu et al. 2021) as timm's swin_transformer.py computes it, NHWC:
 * window partition/reverse, the cyclic shift, window multi-head attention with a learned relative
 * position bias, the shifted-window attention mask and patch merging. Index tables and masks are
 * plain arrays computed at build time (timm's non-persistent buffers): never loaded, never trained.
 */
import * as tf from "@tensorflow/tfjs";
import { type Ctx, type Module, type Scope, layerNorm, linear } from "./layers.ts";

/** [B, H, W, C] -> [B * nW, ws * ws, C], windows in row-major order per image (timm window_partition). */
export function windowPartition(x: tf.Tensor, ws: number): tf.Tensor3D {
  const [b, h, w, c] = x.shape;
  const grid = tf.reshape(x, [b, h / ws, ws, w / ws, ws, c]);
  return tf.reshape(tf.transpose(grid, [0, 1, 3, 2, 4, 5]), [-1, ws * ws, c]);
}

/** Inverse of `windowPartition`: [B * nW, ws * ws, C] -> [B, H, W, C]. */
export function windowReverse(windows: tf.Tensor, ws: number, h: number, w: number): tf.Tensor4D {
  const c = windows.shape[2]!;
  const grid = tf.reshape(windows, [-1, h / ws, w / ws, ws, ws, c]);
  return tf.reshape(tf.transpose(grid, [0, 1, 3, 2, 4, 5]), [-1, h, w, c]) as tf.Tensor4D;
}

/** torch.roll(x, (shift, shift), dims=(1, 2)) of an NHWC tensor. */
export function cyclicShift(x: tf.Tensor, shift: number): tf.Tensor {
  const roll = (t: tf.Tensor, axis: number) => {
    const n = t.shape[axis]!;
    const s = ((shift % n) + n) % n;
    if (s === 0) return t;
    const [head, tail] = tf.split(t, [n - s, s], axis);
    return tf.concat([tail, head], axis);
  };
  return roll(roll(x, 1), 2);
}

/** timm get_relative_position_index: the bias-table row of each (query, key) pair of a ws x ws window. */
export function relativePositionIndex(ws: number): Int32Array {
  const n = ws * ws;
  const out = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const dh = Math.floor(i / ws) - Math.floor(j / ws) + ws - 1;
      const dw = (i % ws) - (j % ws) + ws - 1;
      out[i * n + j] = dh * (2 * ws - 1) + dw;
    }
  }
  return out;
}

const ONE_HOTS = new Map<number, Float32Array>();

/** [ws^4, (2ws-1)^2]: row `pair` has a 1 at the bias-table row of that (query, key) pair; shared by window size. */
function relativePositionOneHot(ws: number): Float32Array {
  const cached = ONE_HOTS.get(ws);
  if (cached) return cached;
  const rows = (2 * ws - 1) ** 2;
  const index = relativePositionIndex(ws);
  const m = new Float32Array(index.length * rows);
  index.forEach((row, pair) => { m[pair * rows + row] = 1; });
  ONE_HOTS.set(ws, m);
  return m;
}

/**
 * timm SwinTransformerBlock.get_attn_mask for an h x w grid: the grid padded up to window multiples
 * is labelled in 3 x 3 regions, cut at -ws and -shift from the padded end; a (query, key) pair of a
 * window from different regions gets -100, else 0. [nW, ws * ws, ws * ws], nW = Hp * Wp / ws^2.
 */
export function shiftedWindowMask(h: number, w: number, ws: number, shift: number): Float32Array {
  const hp = Math.ceil(h / ws) * ws;
  const wp = Math.ceil(w / ws) * ws;
  // the three slices (0, -ws), (-ws, -shift), (-shift, None) of python indexing on a padded axis
  const region = (i: number, size: number) => (i < size - ws ? 0 : i < size - shift ? 1 : 2);
  const n = ws * ws;
  const nw = (hp / ws) * (wp / ws);
  const mask = new Float32Array(nw * n * n);
  const labels = new Int32Array(n);
  for (let win = 0; win < nw; win++) {
    const h0 = Math.floor(win / (wp / ws)) * ws;
    const w0 = (win % (wp / ws)) * ws;
    for (let t = 0; t < n; t++) labels[t] = 3 * region(h0 + Math.floor(t / ws), hp) + region(w0 + (t % ws), wp);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) mask[(win * n + i) * n + j] = labels[i] === labels[j] ? 0 : -100;
  }
  return mask;
}

/**
 * timm WindowAttention: `qkv` and `proj` linears and `relative_position_bias_table`
 * [(2ws-1)^2, heads]. Returns attention over windows [B * nW, ws * ws, C]; `mask` (from
 * `shiftedWindowMask`, nW windows per image) is added to the scores with the bias. The bias is
 * gathered by a one-hot matrix product, so its gradient needs no scatter kernel (wasm has none).
 */
export function windowAttention(s: Scope, dim: number, heads: number, ws: number): (x: tf.Tensor3D, mask: Float32Array | null, ctx: Ctx) => tf.Tensor3D {
  const n = ws * ws;
  const rows = (2 * ws - 1) ** 2;
  const oneHot = relativePositionOneHot(ws);
  const tableName = s.name("relative_position_bias_table");
  s.store.add(tableName, [rows, heads], "plain", { kind: "normal", std: 0.02 });
  const qkv = linear(s.at("qkv"), dim, 3 * dim);
  const proj = linear(s.at("proj"), dim, dim);
  const hd = dim / heads;
  return (x, mask, ctx) => {
    const [b, t] = x.shape;
    const [q, k, v] = tf.split(qkv(x, ctx), 3, 2).map((m) => tf.transpose(tf.reshape(m, [b, t, heads, hd]), [0, 2, 1, 3]));
    const scores = tf.matMul(tf.mul(q, hd ** -0.5), k, false, true);
    // [n*n, rows] x [rows, heads] -> [heads, n, n]
    const bias = tf.transpose(tf.reshape(tf.matMul(tf.tensor2d(oneHot, [n * n, rows]), s.store.get(tableName)), [n, n, heads]), [2, 0, 1]);
    let attn: tf.Tensor;
    if (mask) {
      const nw = mask.length / (n * n);
      const biasMask = tf.reshape(tf.add(bias, tf.tensor4d(mask, [nw, 1, n, n])), [nw * heads, n, n]);
      attn = tf.reshape(tf.add(tf.reshape(scores, [b / nw, nw * heads, n, n]), biasMask), [b, heads, n, n]);
    } else {
      attn = tf.add(scores, bias);
    }
    const out = tf.reshape(tf.transpose(tf.matMul(tf.softmax(attn), v), [0, 2, 1, 3]), [b, t, dim]);
    return proj(out, ctx) as tf.Tensor3D;
  };
}

/**
 * timm PatchMerging: each 2 x 2 neighbourhood's channels concatenated in (0,0), (1,0), (0,1), (1,1)
 * (row, column) order, LayerNorm `norm`, then `reduction` (no bias). Odd sizes are padded at the end.
 */
export function patchMerging(s: Scope, dim: number, outDim: number): Module {
  const norm = layerNorm(s.at("norm"), 4 * dim);
  const reduction = linear(s.at("reduction"), 4 * dim, outDim, false);
  return (x, ctx) => {
    const [b, h0, w0, c] = x.shape;
    const padded = h0 % 2 || w0 % 2 ? tf.pad(x, [[0, 0], [0, h0 % 2], [0, w0 % 2], [0, 0]]) : x;
    const [, h, w] = padded.shape;
    const merged = tf.reshape(tf.transpose(tf.reshape(padded, [b, h / 2, 2, w / 2, 2, c]), [0, 1, 3, 4, 2, 5]), [b, h / 2, w / 2, 4 * c]);
    return reduction(norm(merged, ctx), ctx);
  };
}
