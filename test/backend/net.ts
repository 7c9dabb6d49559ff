/**
 * A small conv + batch-norm + depthwise network and a few SGD-momentum steps on fixed data, used
 * by the Node tests (loss curve vs cpu, determinism) and the Deno test. Batch norm is the
 * project's `batchNormTraining` (xfer's kernels on wasm, composed ops on cpu); the caller chooses
 * the backend. Initial weights and data come from a fixed integer generator,
 * so every backend and runtime starts from the same bits.
 */
import * as tf from "@tensorflow/tfjs";
import { batchNormTraining } from "../../core/ops/batch-norm.ts";

export interface TrainOutcome {
  readonly losses: number[];
  /** Final weights, in a fixed order. */
  readonly weights: Float32Array[];
}

function values(count: number, seed: number, scale: number): Float32Array {
  let s = (Math.imul(seed, 2654435761) ^ 0x9e3779b9) >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 2 ** 31 - 1) * scale;
  }
  return out;
}

const SHAPES: Record<string, number[]> = {
  conv1: [3, 3, 3, 8], bn1g: [8], bn1b: [8],
  dw: [3, 3, 8, 2], bn2g: [16], bn2b: [16],
  conv3: [3, 3, 16, 16], bn3g: [16], bn3b: [16],
  fc: [16, 4], fcb: [4],
};

function batchNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor4D {
  return batchNormTraining(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5).y as tf.Tensor4D;
}

/**
 * conv3x3 -> BN -> relu -> depthwise3x3/2 (multiplier 2) -> BN -> relu -> conv3x3 16 -> 16 (by
 * Winograd on wasm, at an odd 5x5) -> BN -> relu -> pool -> fc.
 */
function forward(p: Record<string, tf.Variable>, x: tf.Tensor4D): tf.Tensor2D {
  let h = tf.relu(batchNorm(tf.conv2d(x, p.conv1 as tf.Tensor4D, 1, "same"), p.bn1g, p.bn1b));
  h = tf.relu(batchNorm(tf.depthwiseConv2d(h, p.dw as tf.Tensor4D, 2, "same"), p.bn2g, p.bn2b));
  h = tf.relu(batchNorm(tf.conv2d(h, p.conv3 as tf.Tensor4D, 1, "same"), p.bn3g, p.bn3b));
  return tf.add(tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, p.fc as tf.Tensor2D), p.fcb) as tf.Tensor2D;
}

/** `steps` steps of SGD with momentum 0.9 on one fixed batch (8 images of 9x9x3, 4 classes). */
export function trainSmallNet(steps: number, seed = 1): TrainOutcome {
  const params: Record<string, tf.Variable> = {};
  Object.entries(SHAPES).forEach(([name, shape], i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const init = name.startsWith("bn") && name.endsWith("g") ? values(size, seed * 100 + i, 0.1).map((v) => 1 + v) : values(size, seed * 100 + i, 0.5);
    const initial = tf.tensor(init, shape);
    params[name] = tf.variable(initial, true);
    initial.dispose();
  });
  const x = tf.tensor4d(values(8 * 9 * 9 * 3, seed + 7, 1), [8, 9, 9, 3]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], "int32"), 4));
  const optimizer = tf.train.momentum(0.1, 0.9);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(params, x)) as tf.Scalar, true, Object.values(params));
    losses.push(loss!.dataSync()[0]);
    loss!.dispose();
  }
  const weights = Object.values(params).map((v) => Float32Array.from(v.dataSync()));
  tf.dispose([x, y, ...Object.values(params)]);
  optimizer.dispose();
  return { losses, weights };
}
