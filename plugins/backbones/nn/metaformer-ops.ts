/**
 * MetaFormer layers (timm/models/metaformer.py, Yu et al. "MetaFormer Baselines for Vision") on
 * tfjs-core ops, NHWC, with timm's parameter names: StarReLU, Scale, LayerNorm without bias, the
 * SepConv token mixer and the MLP classifier head.
 */
import * as tf from "@tensorflow/tfjs";
import { type Module, type Scope, conv2d, layerNorm, linear, sequential } from "./layers.ts";

/** timm StarReLU: `scale * relu(x)^2 + bias` with learnable scalars `scale` (init 1) and `bias` (init 0). */
export function starReLU(s: Scope): Module {
  s.store.add(s.name("scale"), [1], "plain", { kind: "const", value: 1 });
  s.store.add(s.name("bias"), [1], "plain", { kind: "const", value: 0 });
  return (x) => tf.add(tf.mul(s.store.get(s.name("scale")), tf.square(tf.relu(x))), s.store.get(s.name("bias")));
}

/** timm SquaredReLU: `relu(x)^2` (the MLP head's activation). */
export const squaredReLU: Module = (x) => tf.square(tf.relu(x));

/**
 * timm Scale: per-channel learnable `scale` [dim] (init `init`), multiplied over the channel axis;
 * NHWC maps and token sequences are both channel-last, so timm's NCHW and token variants are one here.
 */
export function scale(s: Scope, dim: number, init = 1): Module {
  s.store.add(s.name("scale"), [dim], "plain", { kind: "const", value: init });
  return (x) => tf.mul(x, s.store.get(s.name("scale")));
}

/**
 * timm LayerNorm2dNoBias / LayerNormNoBias: LayerNorm over the channel axis with a `weight` and no
 * bias, eps 1e-6. In NHWC (and on tokens) the 2-D and channel-last variants are the same op.
 */
export function layerNormNoBias(s: Scope, c: number, eps = 1e-6): Module {
  s.store.add(s.name("weight"), [c], "plain", { kind: "const", value: 1 });
  return (x) => {
    const { mean, variance } = tf.moments(x, [x.rank - 1], true);
    return tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), s.store.get(s.name("weight")));
  };
}

/**
 * timm SepConv token mixer (MobileNetV2's inverted separable conv): 1x1 `pwconv1` to
 * `expansion * dim`, StarReLU `act1`, depthwise k x k `dwconv` (padding k // 2), 1x1 `pwconv2`;
 * no biases.
 */
export function sepConv(s: Scope, dim: number, o: { expansion?: number; kernel?: number } = {}): Module {
  const mid = Math.floor((o.expansion ?? 2) * dim);
  const k = o.kernel ?? 7;
  return sequential(
    conv2d(s.at("pwconv1"), dim, mid, 1),
    starReLU(s.at("act1")),
    conv2d(s.at("dwconv"), mid, mid, k, { padding: k >> 1, groups: mid }),
    conv2d(s.at("pwconv2"), mid, dim, 1),
  );
}

/**
 * timm MlpHead up to its classifier: `fc1` (dim -> ratio * dim, bias), SquaredReLU, LayerNorm `norm`
 * (eps 1e-6). The final `fc2` is the classifier layer, registered by the caller (buildHead) under
 * `classifier`, so head resets and linear probing replace only it.
 */
export function mlpHead(s: Scope, dim: number, ratio = 4): { readonly hidden: Module; readonly hiddenSize: number; readonly classifier: string } {
  const hiddenSize = Math.floor(ratio * dim);
  const hidden = sequential(linear(s.at("fc1"), dim, hiddenSize), squaredReLU, layerNorm(s.at("norm"), hiddenSize, 1e-6));
  return { hidden, hiddenSize, classifier: s.at("fc2").prefix };
}
