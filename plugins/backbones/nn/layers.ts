/**
 * PyTorch-equivalent layers on tfjs-core ops, NHWC. Names and defaults follow torch.nn
 * (BatchNorm eps 1e-5 / momentum 0.1 with the unbiased running variance, LayerNorm over the
 * channel axis, exact-erf GELU, MaxPool ceil_mode), so torchvision checkpoints load by name.
 */
import * as tf from "@tensorflow/tfjs";
import { XferError } from "../../../core/errors.ts";
import type { Rng } from "../../../core/rng.ts";
import { batchNormTraining } from "../../../core/ops/batch-norm.ts";
import { DerivedTensors, foldBatchNorm } from "../../../core/ops/fold-batch-norm.ts";
import type { ParamStore } from "./store.ts";

/** Per-call state: training mode, the dropout / stochastic-depth stream, a batch-norm momentum override. */
export interface Ctx {
  readonly training: boolean;
  readonly rng: Rng | null;
  /** Replaces every batch-norm layer's own momentum while training (`training.batchNormMomentum`). */
  readonly batchNormMomentum?: number;
  /** false: eval keeps convolution, batch norm and activation apart (`convBn`), the numerics before 0.3.0; for checks. */
  readonly foldBatchNorm?: boolean;
}

/** A name prefix inside a store: `scope.at("layer1").at(0)` -> "layer1.0". */
export class Scope {
  constructor(readonly store: ParamStore, readonly prefix = "") {}
  at(name: string | number): Scope {
    return new Scope(this.store, this.prefix ? `${this.prefix}.${name}` : String(name));
  }
  name(leaf: string): string {
    return this.prefix ? `${this.prefix}.${leaf}` : leaf;
  }
}

export type Module = (x: tf.Tensor, ctx: Ctx) => tf.Tensor;

export function sequential(...mods: Module[]): Module {
  return (x, ctx) => mods.reduce((h, m) => m(h, ctx), x);
}

export interface ConvOptions {
  stride?: number;
  padding?: number;
  groups?: number;
  bias?: boolean;
}

type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** A conv2d layer's geometry, shared by the plain and the folded (eval) paths. */
interface ConvGeometry {
  readonly stride: number;
  readonly pad: number;
  readonly padding: "valid" | ExplicitPadding;
  readonly groups: number;
  readonly depthwise: boolean;
}

function registerConv(s: Scope, inC: number, outC: number, k: number, o: ConvOptions): ConvGeometry {
  const stride = o.stride ?? 1;
  const pad = o.padding ?? 0;
  const groups = o.groups ?? 1;
  const depthwise = groups > 1 && groups === inC && groups === outC;
  const fanOut = (outC / groups) * k * k;
  s.store.add(s.name("weight"), [outC, inC / groups, k, k], depthwise ? "depthwise" : "conv", { kind: "normal", std: Math.sqrt(2 / fanOut) });
  if (o.bias) s.store.add(s.name("bias"), [outC], "plain", { kind: "const", value: 0 });
  return { stride, pad, padding: pad === 0 ? "valid" : [[0, 0], [pad, pad], [pad, pad], [0, 0]], groups, depthwise };
}

function convolve(x: tf.Tensor4D, weight: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  if (g.depthwise) return tf.depthwiseConv2d(x, weight, g.stride, g.padding);
  if (g.groups === 1) return tf.conv2d(x, weight, g.stride, g.padding);
  const xs = tf.split(x, g.groups, 3) as tf.Tensor4D[];
  const ws = tf.split(weight, g.groups, 3) as tf.Tensor4D[];
  return tf.concat(xs.map((xi, i) => tf.conv2d(xi, ws[i], g.stride, g.padding)), 3);
}

export function conv2d(s: Scope, inC: number, outC: number, k: number, o: ConvOptions = {}): Module {
  return convModule(s, registerConv(s, inC, outC, k, o), o.bias ?? false);
}

function convModule(s: Scope, g: ConvGeometry, bias: boolean): Module {
  return (x) => {
    const y = convolve(x as tf.Tensor4D, s.store.get(s.name("weight")) as tf.Tensor4D, g);
    return bias ? tf.add(y, s.store.get(s.name("bias"))) : y;
  };
}

export function linear(s: Scope, inF: number, outF: number, bias = true): Module {
  const bound = 1 / Math.sqrt(inF);
  s.store.add(s.name("weight"), [outF, inF], "linear", { kind: "uniform", bound });
  if (bias) s.store.add(s.name("bias"), [outF], "plain", { kind: "uniform", bound });
  return (x) => {
    const w = s.store.get(s.name("weight"));
    const rank = x.rank;
    const x2 = rank === 2 ? x : x.reshape([-1, inF]);
    let y = tf.matMul(x2 as tf.Tensor2D, w as tf.Tensor2D) as tf.Tensor;
    if (bias) y = tf.add(y, s.store.get(s.name("bias")));
    return rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), outF]);
  };
}

export function batchNorm2d(s: Scope, c: number, eps = 1e-5, momentum = 0.1): Module {
  s.store.add(s.name("weight"), [c], "plain", { kind: "const", value: 1 });
  s.store.add(s.name("bias"), [c], "plain", { kind: "const", value: 0 });
  s.store.add(s.name("running_mean"), [c], "plain", { kind: "const", value: 0 }, { buffer: true });
  s.store.add(s.name("running_var"), [c], "plain", { kind: "const", value: 1 }, { buffer: true });
  return (x, ctx) => {
    const m = ctx.batchNormMomentum ?? momentum;
    const { gamma, beta, mean: rm, variance: rv } = batchNormParams(s);
    if (!ctx.training) return tf.batchNorm(x, rm, rv, beta, gamma, eps);
    const { y, mean, variance } = batchNormTraining(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, eps);
    const n = x.size / c;
    // torch: running stats use the unbiased batch variance, normalisation the biased one.
    tf.tidy(() => {
      rm.assign(tf.add(tf.mul(rm, 1 - m), tf.mul(mean, m)));
      rv.assign(tf.add(tf.mul(rv, 1 - m), tf.mul(variance, (m * n) / Math.max(n - 1, 1))));
    });
    return y;
  };
}

function batchNormParams(s: Scope): { gamma: tf.Variable; beta: tf.Variable; mean: tf.Variable; variance: tf.Variable } {
  const st = s.store;
  return { gamma: st.get(s.name("weight")), beta: st.get(s.name("bias")), mean: st.get(s.name("running_mean")), variance: st.get(s.name("running_var")) };
}

/** tfjs's fused-epilogue name of an activation module, null for one it cannot fuse. */
function fusedActivation(act: Module): "linear" | "relu" | "relu6" | null {
  return act === identity ? "linear" : act === relu ? "relu" : act === relu6 ? "relu6" : null;
}

/**
 * conv2d (at `conv`) -> batchNorm2d (at `bn`) -> `act`, registering the same parameters in the
 * same order as the three modules in sequence. While training it is exactly that sequence. In eval
 * the batch norm is folded into the convolution (core/ops/fold-batch-norm.ts) and the bias and a
 * relu / relu6 run in the convolution's epilogue (`tf.fused.conv2d`; on wasm one SIMD pass over
 * the output): one kernel instead of three. The folded filter and bias are cached until a weight or
 * statistic changes (any `assign`), dropped by a training-mode call and disposed with the store. Eval outputs differ from
 * the unfolded sequence in the last bits (docs/determinism.md, tolerance in docs/backends.md).
 */
export function convBn(conv: Scope, bn: Scope, inC: number, outC: number, k: number, o: ConvOptions & NormOptions & { act?: Module } = {}): Module {
  const eps = o.eps ?? 1e-5;
  const act = o.act ?? identity;
  const g = registerConv(conv, inC, outC, k, o);
  const unfolded = sequential(convModule(conv, g, o.bias ?? false), batchNorm2d(bn, outC, eps, o.momentum), act);
  const fused = fusedActivation(act);
  const sources = () => {
    const { gamma, beta, mean, variance } = batchNormParams(bn);
    return [conv.store.get(conv.name("weight")), gamma, beta, mean, variance, ...(o.bias ? [conv.store.get(conv.name("bias"))] : [])];
  };
  const folded = new DerivedTensors(() => {
    const [weight, gamma, beta, mean, variance, convBias] = sources();
    const f = foldBatchNorm(weight as tf.Tensor4D, convBias ?? null, { gamma, beta, mean, variance, epsilon: eps }, g.depthwise);
    return [f.filter, f.bias] as [tf.Tensor4D, tf.Tensor1D];
  });
  conv.store.own(folded);
  return (x, ctx) => {
    if (ctx.training) {
      // Training changes what was folded: the folded copy would only hold memory until the next eval.
      folded.dispose();
      return unfolded(x, ctx);
    }
    if (ctx.foldBatchNorm === false) return unfolded(x, ctx);
    const [filter, bias] = folded.get(sources());
    const x4 = x as tf.Tensor4D;
    // Grouped (not depthwise) convolutions have no fused kernel: split, convolve, add, activate.
    if (g.groups > 1 && !g.depthwise) return act(tf.add(convolve(x4, filter, g), bias), ctx);
    const args = { x: x4, filter, strides: g.stride, bias, activation: fused ?? "linear" } as const;
    // tf.fused.depthwiseConv2d takes no explicit pads; a number is the same symmetric padding.
    const y = g.depthwise ? tf.fused.depthwiseConv2d({ ...args, pad: g.pad }) : tf.fused.conv2d({ ...args, pad: g.padding });
    return fused === null ? act(y, ctx) : y;
  };
}

/** LayerNorm over the last (channel) axis; also torchvision's LayerNorm2d in NHWC. */
export function layerNorm(s: Scope, c: number, eps = 1e-5): Module {
  s.store.add(s.name("weight"), [c], "plain", { kind: "const", value: 1 });
  s.store.add(s.name("bias"), [c], "plain", { kind: "const", value: 0 });
  return (x) => {
    const { mean, variance } = tf.moments(x, [x.rank - 1], true);
    const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(y, s.store.get(s.name("weight"))), s.store.get(s.name("bias")));
  };
}

export const relu: Module = (x) => tf.relu(x);
export const relu6: Module = (x) => tf.relu6(x);
const hardSigmoidOp = (x: tf.Tensor) => tf.div(tf.relu6(tf.add(x, 3)), 6);
export const hardsigmoid: Module = (x) => hardSigmoidOp(x);
export const hardswish: Module = (x) => tf.mul(x, hardSigmoidOp(x));
export const silu: Module = (x) => tf.mul(x, tf.sigmoid(x));
/** torch.nn.GELU() default: the exact erf form. */
export const gelu: Module = (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
export const identity: Module = (x) => x;

/** Inverted dropout drawn from the run's dropout stream (training only). */
export function dropout(p: number): Module {
  return (x, ctx) => {
    if (!ctx.training || p === 0) return x;
    const rng = requireRng(ctx, "dropout");
    const mask = new Float32Array(x.size);
    const scale = 1 / (1 - p);
    for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < p ? 0 : scale;
    return tf.mul(x, tf.tensor(mask, x.shape));
  };
}

/** torchvision StochasticDepth(p, "row"): drops whole residual branches per sample. */
export function stochasticDepth(p: number): Module {
  return (x, ctx) => {
    if (!ctx.training || p === 0) return x;
    const rng = requireRng(ctx, "stochastic depth");
    const n = x.shape[0];
    const keep = 1 - p;
    const mask = new Float32Array(n);
    for (let i = 0; i < n; i++) mask[i] = rng.uniform() < keep ? 1 / keep : 0;
    return tf.mul(x, tf.tensor(mask, [n, ...Array(x.rank - 1).fill(1)]));
  };
}

function requireRng(ctx: Ctx, what: string): Rng {
  if (!ctx.rng) throw new Error(`${what} in training mode needs the backbone's dropout stream`);
  return ctx.rng;
}

/** torch.nn.MaxPool2d(k, s, p, ceil_mode); padded cells never win the max. */
export function maxPool2d(k: number, stride: number, padding = 0, ceilMode = false): Module {
  return (x) => {
    const [, h, w] = x.shape;
    const padEnd = (size: number) => {
      const span = size + 2 * padding - k;
      let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
      // torch: the last window must start inside the input or the left padding.
      if (ceilMode && (out - 1) * stride >= size + padding) out -= 1;
      return Math.max((out - 1) * stride + k - size - padding, 0);
    };
    checkWindow("max", k, h + 2 * padding, w + 2 * padding);
    const ph = padEnd(h);
    const pw = padEnd(w);
    const padded = padding === 0 && ph === 0 && pw === 0 ? x : tf.pad(x, [[0, 0], [padding, ph], [padding, pw], [0, 0]], -Infinity);
    return tf.maxPool(padded as tf.Tensor4D, k, stride, "valid");
  };
}

export function avgPool2d(k: number, stride: number): Module {
  return (x) => {
    checkWindow("average", k, x.shape[1]!, x.shape[2]!);
    return tf.avgPool(x as tf.Tensor4D, k, stride, "valid");
  };
}

/**
 * A pooling window larger than its (padded) feature map has no output: the input image is too
 * small for the architecture. wasm would read out of bounds (and leave the process's heap broken
 * for every later run), cpu would return an empty tensor; both are stopped here with the reason.
 */
function checkWindow(kind: string, k: number, h: number, w: number): void {
  if (h < k || w < k) {
    throw new XferError(`a ${k}x${k} ${kind} pooling window does not fit its ${h}x${w} feature map: the input images are too small for this architecture; resize them up (a resize-center-crop augmentation in both pipelines)`);
  }
}

/** torch.nn.AdaptiveAvgPool2d((oh, ow)): bins [floor(i*H/o), ceil((i+1)*H/o)). */
export function adaptiveAvgPool2d(oh: number, ow: number): Module {
  return (x) => {
    const [, h, w] = x.shape;
    if (h === oh && w === ow) return x;
    const bins = (size: number, out: number) =>
      Array.from({ length: out }, (_, i) => [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)] as const);
    const rows = bins(h, oh).map(([r0, r1]) => {
      const band = tf.slice(x, [0, r0, 0, 0], [-1, r1 - r0, -1, -1]);
      return tf.concat(bins(w, ow).map(([c0, c1]) => tf.mean(tf.slice(band, [0, 0, c0, 0], [-1, -1, c1 - c0, -1]), [1, 2], true)), 2);
    });
    return tf.concat(rows, 1);
  };
}

export const globalAvgPool = (x: tf.Tensor): tf.Tensor2D => tf.mean(x, [1, 2]) as tf.Tensor2D;

/** Global pooling choice exposed on every conv backbone. */
export type Pooling = "avg" | "gem";

/**
 * Generalised-mean pooling (Radenovic et al.), `(mean(max(x, eps)^p))^(1/p)` with a learnable p
 * initialised to 3; stored as the xfer-local parameter `pool.p` (absent from checkpoints).
 */
export function globalPool(s: Scope, pooling: Pooling): (x: tf.Tensor) => tf.Tensor2D {
  if (pooling === "avg") return globalAvgPool;
  s.store.add(s.name("p"), [1], "plain", { kind: "const", value: 3 }, { local: true });
  return (x) => {
    const p = s.store.get(s.name("p"));
    const m = tf.mean(tf.pow(tf.maximum(x, 1e-6), p), [1, 2]);
    return tf.pow(m, tf.div(1, p)) as tf.Tensor2D;
  };
}

/** torch.flatten(x, 1) of an NCHW tensor, from NHWC: channels-first order. */
export function flattenTorch(x: tf.Tensor): tf.Tensor2D {
  return tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [x.shape[0], -1]) as tf.Tensor2D;
}

export interface NormOptions {
  readonly eps?: number;
  readonly momentum?: number;
}

/**
 * torchvision.ops.Conv2dNormActivation: conv (no bias, padding (k-1)/2) at `.0`, BatchNorm at
 * `.1`, then the activation.
 */
export function convBnAct(s: Scope, inC: number, outC: number, k: number, o: { stride?: number; groups?: number; act?: Module } & NormOptions = {}): Module {
  return convBn(s.at(0), s.at(1), inC, outC, k, { stride: o.stride, padding: (k - 1) >> 1, groups: o.groups, eps: o.eps, momentum: o.momentum, act: o.act });
}

/** torchvision.ops.SqueezeExcitation: 1x1 convs `fc1`, `fc2` (with bias) on the pooled input. */
export function squeezeExcitation(s: Scope, c: number, squeeze: number, act: Module, scaleAct: Module): Module {
  const fc1 = conv2d(s.at("fc1"), c, squeeze, 1, { bias: true });
  const fc2 = conv2d(s.at("fc2"), squeeze, c, 1, { bias: true });
  return (x, ctx) => tf.mul(x, scaleAct(fc2(act(fc1(tf.mean(x, [1, 2], true), ctx), ctx), ctx), ctx));
}

export const sigmoid: Module = (x) => tf.sigmoid(x);

/** torchvision's _make_divisible (from the TF MobileNet code). */
export function makeDivisible(v: number, divisor = 8): number {
  let out = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

/** `x + branch(x)` (torchvision blocks with an identity shortcut). */
export function residualAdd(branch: Module): Module {
  return (x, ctx) => tf.add(x, branch(x, ctx));
}
