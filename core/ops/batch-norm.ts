/**
 * Batch-norm training (batch statistics, normalisation, affine) as one op, `batchNormTraining`.
 * On a backend with xfer's kernels for it (plugins/backends/wasm/kernels/batch-norm.ts: three
 * passes forward, two backward) it runs them; elsewhere it composes tf.moments and the normalisation, whose
 * gradients tfjs derives. Both use the biased batch variance and return the statistics for the
 * running averages; gradients reaching the statistics are carried on both routes. The fused
 * kernels' gradient (`batchNormTrainingGrad`) is registered by whoever registers those kernels
 * (the wasm backend plugin), never on import.
 */
import * as tf from "@tensorflow/tfjs-core";

export const BATCH_NORM_TRAINING = "XferBatchNormTraining";
export const BATCH_NORM_TRAINING_GRAD = "XferBatchNormTrainingGrad";

/** The gradient of the fused kernel: one `BATCH_NORM_TRAINING_GRAD` kernel gives all three. */
export const batchNormTrainingGrad: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ["x", "gamma"],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dMean, dVariance] = dys as tf.Tensor[];
    const [x, gamma, mean, variance] = saved;
    // One kernel computes all three gradients; the thunks hand them out.
    const [dx, dGamma, dBeta] = tf.engine().runKernel(
      BATCH_NORM_TRAINING_GRAD, { dy, x, gamma, mean, variance, dMean, dVariance }, attrs,
    ) as tf.Tensor[];
    return { x: () => dx, gamma: () => dGamma, beta: () => dBeta };
  },
};

export interface BatchNormOutputs {
  readonly y: tf.Tensor;
  /** Per-channel batch mean. */
  readonly mean: tf.Tensor1D;
  /** Per-channel biased batch variance. */
  readonly variance: tf.Tensor1D;
}

/** gamma * (x - mean) / sqrt(variance + epsilon) + beta over every axis but the last (channels). */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormOutputs {
  if (x.dtype === "float32" && tf.getKernel(BATCH_NORM_TRAINING, tf.getBackend()) !== undefined) {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAINING, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
  const y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
