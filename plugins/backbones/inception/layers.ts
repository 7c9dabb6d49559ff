/**
 * The Inception families' shared pieces: torchvision's BasicConv2d / timm's ConvNormAct with
 * rectangular kernels (1x7, 7x1, 1x3, 3x1), the padding-excluding 3x3 average pool of the FID and
 * Inception-ResNet blocks, and the 75x75 minimum input both stems need.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../../core/errors.ts";
import { type Module, type Scope, batchNorm2d, maxPool2d, sequential } from "../nn/layers.ts";

export type Pair = number | readonly [number, number];

const pair = (v: Pair): readonly [number, number] => (typeof v === "number" ? [v, v] : v);

/**
 * torchvision BasicConv2d and timm ConvNormAct as Inception uses them: conv without bias at
 * `.conv`, BatchNorm (eps 1e-3, momentum 0.1) at `.bn`, then ReLU. Kernel and padding are (h, w).
 */
export function convBnRelu(s: Scope, inC: number, outC: number, kernel: Pair, o: { stride?: number; padding?: Pair } = {}): Module {
  const [kh, kw] = pair(kernel);
  const [ph, pw] = pair(o.padding ?? 0);
  const conv = s.at("conv");
  s.store.add(conv.name("weight"), [outC, inC, kh, kw], "conv", { kind: "normal", std: Math.sqrt(2 / (outC * kh * kw)) });
  const bn = batchNorm2d(s.at("bn"), outC, 1e-3);
  const padding: "valid" | [[number, number], [number, number], [number, number], [number, number]] =
    ph === 0 && pw === 0 ? "valid" : [[0, 0], [ph, ph], [pw, pw], [0, 0]];
  return (x, ctx) => tf.relu(bn(tf.conv2d(x as tf.Tensor4D, s.store.get(conv.name("weight")) as tf.Tensor4D, o.stride ?? 1, padding), ctx));
}

/**
 * `F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)`. tf's "same" average pool
 * computes this forward, but its gradient (cpu and wasm AvgPoolGrad) divides by the full 9 cells
 * at the borders too; so: zero-pad, average over 9, then rescale each output by 9 / (the cells
 * of its window inside the input), which differentiates correctly.
 */
export const avgPool3x3ExcludePad: Module = (x) => {
  const [, h, w] = x.shape as number[];
  const inside = (n: number) => Array.from({ length: n }, (_, i) => 3 - (i === 0 ? 1 : 0) - (i === n - 1 ? 1 : 0));
  const rows = inside(h);
  const cols = inside(w);
  const scale = tf.tensor4d(Float32Array.from({ length: h * w }, (_, k) => 9 / (rows[Math.floor(k / w)] * cols[k % w])), [1, h, w, 1]);
  return tf.mul(tf.avgPool(tf.pad(x as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 1, "valid"), scale);
};

/** Channel concatenation of the branches' outputs (torch.cat(..., 1) in NHWC). */
export function concatBranches(branches: readonly Module[]): Module {
  return (x, ctx) => tf.concat(branches.map((b) => b(x, ctx)), 3);
}

/**
 * The smallest input both stems take: below 75x75 the last reduction block's 3x3 stride-2 convs
 * and pools have nothing to read (as torchvision's `min_size` (75, 75) for Inception-v3 says).
 */
const INCEPTION_MIN_INPUT = 75;

export function checkInputSize(family: string, x: tf.Tensor): void {
  const [, h, w] = x.shape;
  if (h! < INCEPTION_MIN_INPUT || w! < INCEPTION_MIN_INPUT) {
    throw new InputError(`backbone family "${family}"`, `input must be at least ${INCEPTION_MIN_INPUT}x${INCEPTION_MIN_INPUT}, got ${h}x${w}; resize the images up (the pretrained models expect 299x299)`);
  }
}

/** Output widths ceil(w / div) of a narrowed variant (div 1: the published model). */
export type Width = (w: number) => number;

/**
 * The stem both models share, under each one's five conv names: 3x3/2, 3x3, 3x3 pad 1, max pool,
 * 1x1, 3x3, max pool; `w(192)` channels out.
 */
export function inceptionStem(root: Scope, names: readonly [string, string, string, string, string], w: Width): Module {
  return sequential(
    convBnRelu(root.at(names[0]), 3, w(32), 3, { stride: 2 }),
    convBnRelu(root.at(names[1]), w(32), w(32), 3),
    convBnRelu(root.at(names[2]), w(32), w(64), 3, { padding: 1 }),
    maxPool2d(3, 2),
    convBnRelu(root.at(names[3]), w(64), w(80), 1),
    convBnRelu(root.at(names[4]), w(80), w(192), 3),
    maxPool2d(3, 2),
  );
}
