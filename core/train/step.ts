/** One optimisation step of the training loop (core/train/trainer.ts), kept apart so how a batch becomes an update has one home. */
import * as tf from "@tensorflow/tfjs-core";
import type { Optimizer } from "../contracts.ts";
import { XferError } from "../errors.ts";
import type { RunSpec } from "../recipe.ts";
import { heapExhaustedMessage } from "../preflight.ts";

/** Which run a step belongs to: its micro-batch size, and the names an out-of-memory error gives. */
export interface StepRun {
  readonly run: string;
  readonly spec: Pick<RunSpec, "backbone" | "training">;
}

/**
 * The gradient of `loss(input, y)` over `variables`, applied by `optimizer` at `lr`; returns the
 * batch's loss (its mean over samples). With `training.microBatch` smaller than the batch, the
 * batch is split into micro-batches of that many rows (the last one smaller when the batch is
 * not a multiple, as an epoch's last batch may be); each one's forward and backward runs alone,
 * its gradient weighted by its share of the rows is summed, and the optimizer steps once on the
 * sum: the full batch's gradient up to float rounding, for a fraction of the activation memory.
 * Batch-norm layers see each micro-batch's own statistics and update their running statistics
 * once per micro-batch (docs/training.md, "Gradient accumulation and the memory check").
 */
export function trainingStep(
  optimizer: Optimizer, variables: readonly tf.Variable[], loss: (input: tf.Tensor, y: tf.Tensor2D) => tf.Scalar, input: tf.Tensor, y: tf.Tensor2D, lr: number,
  run?: StepRun,
): number {
  const rows = input.shape[0];
  const microBatch = run?.spec.training.microBatch;
  try {
    // A micro-batch of the whole batch is the plain step, bit for bit.
    if (microBatch === undefined || microBatch >= rows) return fullBatchStep(optimizer, variables, loss, input, y, lr);
    return accumulatedStep(optimizer, variables, loss, input, y, lr, microBatch);
  } catch (error) {
    if (run !== undefined && isHeapExhaustion(error)) {
      throw new XferError(`${heapExhaustedMessage(run.run, run.spec, rows, microBatch)} (the backend said: ${String((error as Error).message ?? error).split("\n")[0]})`);
    }
    throw error;
  }
}

function fullBatchStep(
  optimizer: Optimizer, variables: readonly tf.Variable[], loss: (input: tf.Tensor, y: tf.Tensor2D) => tf.Scalar, input: tf.Tensor, y: tf.Tensor2D, lr: number,
): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => loss(input, y), variables as tf.Variable[]);
    optimizer.step(variables, variables.map((v) => grads[v.name]), lr);
    return value.dataSync()[0];
  });
}

function accumulatedStep(
  optimizer: Optimizer, variables: readonly tf.Variable[], loss: (input: tf.Tensor, y: tf.Tensor2D) => tf.Scalar, input: tf.Tensor, y: tf.Tensor2D, lr: number,
  microBatch: number,
): number {
  if (!Number.isSafeInteger(microBatch) || microBatch < 1) throw new XferError(`training.microBatch must be a positive integer, got ${microBatch}`);
  const rows = input.shape[0];
  const sums: tf.Tensor[] = [];
  let lossSum = 0;
  try {
    for (let start = 0; start < rows; start += microBatch) {
      const size = Math.min(microBatch, rows - start);
      tf.tidy(() => {
        // Each micro-batch's mean loss weighted by its share of the batch: the weighted sum is the batch mean.
        const share = tf.scalar(size / rows);
        const part = (t: tf.Tensor) => tf.slice(t, start, size);
        const { value, grads } = tf.variableGrads(() => tf.mul(loss(part(input), part(y) as tf.Tensor2D), share), variables as tf.Variable[]);
        lossSum += value.dataSync()[0];
        variables.forEach((v, i) => {
          const previous = sums[i];
          sums[i] = tf.keep(previous === undefined ? grads[v.name] : tf.add(previous, grads[v.name]));
          previous?.dispose();
        });
      });
    }
    tf.tidy(() => optimizer.step(variables, sums, lr));
    return lossSum;
  } finally {
    for (const sum of sums) sum.dispose();
  }
}

/**
 * The wasm backend's ways of failing when its heap cannot grow: an abort from the allocator, a
 * failed Memory.grow, or a kernel that went on with a null pointer and trapped (tfjs then throws
 * e.g. "divide by zero" or "memory access out of bounds"; the 4 GiB heap of a ResNet-50 step at
 * batch 16 ends in "Aborted()"). Any wasm trap inside a step is reported as one, with the
 * backend's own words appended, so another cause stays visible.
 */
function isHeapExhaustion(error: unknown): boolean {
  if (typeof WebAssembly !== "undefined" && error instanceof WebAssembly.RuntimeError) return true;
  const message = String((error as Error | undefined)?.message ?? error);
  return /Cannot enlarge memory|Aborted\(|out of memory|Maximum memory size|Array buffer allocation failed|WebAssembly\.Memory\.grow/i.test(message);
}
