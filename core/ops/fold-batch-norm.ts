/**
 * Eval-time batch-norm folding: a convolution followed by a batch norm with running statistics is
 * one convolution with W' = W * s and b' = beta + (b - mean) * s per output channel, where
 * s = gamma / sqrt(var + eps) (b the convolution's own bias, 0 without one). Backend-independent
 * (tf ops); the result moves from the unfolded path's in the last bits (docs/determinism.md).
 */
import * as tf from "@tensorflow/tfjs";

export interface BatchNormStatistics {
  readonly gamma: tf.Tensor;
  readonly beta: tf.Tensor;
  readonly mean: tf.Tensor;
  readonly variance: tf.Tensor;
  readonly epsilon: number;
}

/**
 * The folded filter and bias of an HWIO filter ([kh, kw, Cin, Cout]; output channel last) or a
 * depthwise one ([kh, kw, C, 1]; output channel on axis 2), and the convolution's bias or null.
 */
export function foldBatchNorm(filter: tf.Tensor4D, convBias: tf.Tensor | null, bn: BatchNormStatistics, depthwise: boolean): { filter: tf.Tensor4D; bias: tf.Tensor1D } {
  return tf.tidy(() => {
    const scale = tf.div(bn.gamma, tf.sqrt(tf.add(bn.variance, bn.epsilon)));
    const folded = tf.mul(filter, depthwise ? tf.reshape(scale, [-1, 1]) : scale) as tf.Tensor4D;
    const shift = convBias === null ? tf.neg(bn.mean) : tf.sub(convBias, bn.mean);
    return { filter: folded, bias: tf.add(bn.beta, tf.mul(shift, scale)) as tf.Tensor1D };
  });
}

/**
 * Tensors derived from source tensors, recomputed when any source's data changes. A tfjs
 * `Variable` gets a new `dataId` on every `assign` (an optimizer step, a checkpoint load, a
 * running-statistics update), so comparing the sources' data ids catches every change without
 * reading them. The derived tensors are kept out of any enclosing `tidy`; the previous ones are
 * disposed when replaced, and the last by `dispose`.
 */
export class DerivedTensors<T extends tf.Tensor[]> {
  #ids: readonly object[] = [];
  #derived: T | null = null;

  constructor(readonly compute: () => T) {}

  get(sources: readonly tf.Tensor[]): T {
    const ids = sources.map((t) => t.dataId);
    if (this.#derived !== null && ids.length === this.#ids.length && ids.every((id, i) => id === this.#ids[i])) return this.#derived;
    this.dispose();
    const derived = this.compute();
    for (const t of derived) tf.keep(t);
    this.#derived = derived;
    this.#ids = ids;
    return derived;
  }

  dispose(): void {
    if (this.#derived !== null) tf.dispose(this.#derived);
    this.#derived = null;
    this.#ids = [];
  }
}
