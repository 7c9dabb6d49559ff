/** One optimisation step of the training loop (core/train/trainer.ts), kept apart so how a batch becomes an update has one home. */
import * as tf from "@tensorflow/tfjs-core";
import type { Optimizer } from "../contracts.ts";

/** The gradient of `loss(input, y)` over `variables`, applied by `optimizer` at `lr`; returns the batch's loss. */
export function trainingStep(
  optimizer: Optimizer, variables: readonly tf.Variable[], loss: (input: tf.Tensor, y: tf.Tensor2D) => tf.Scalar, input: tf.Tensor, y: tf.Tensor2D, lr: number,
): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => loss(input, y), variables as tf.Variable[]);
    optimizer.step(variables, variables.map((v) => grads[v.name]), lr);
    return value.dataSync()[0];
  });
}
