/**
 * Batch-level augmentations (MixUp, CutMix) act on tensors after the per-image pipeline:
 * images NHWC float32, targets n x k probabilities (one-hot rows for single-label data, multi-hot
 * for multilabel). `apply` returns new tensors and leaves its inputs alone; the trainer draws
 * its stream as `seeds.stream("batch-augment", epoch, step)` and feeds the mixed targets to
 * `softmaxCrossEntropy` (which takes soft targets) or `sigmoidBinaryCrossEntropy`.
 * Semantics follow torchvision's classification reference scripts (RandomMixup / RandomCutmix):
 * with probability p, mix each sample with its predecessor in the batch (batch.roll(1)).
 */
import * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "../rng.ts";
import { sampleDirichlet } from "./sampling.ts";

export interface Batch {
  readonly images: tf.Tensor4D;
  readonly targets: tf.Tensor2D;
}

export interface BatchAugmentation {
  apply(batch: Batch, rng: Rng): Batch;
}

function roll1<T extends tf.Tensor>(x: T): T {
  const n = x.shape[0];
  if (n < 2) return tf.clone(x);
  return tf.concat([tf.slice(x, [n - 1], [1]), tf.slice(x, [0], [n - 1])], 0) as T;
}

function keepCopy(batch: Batch): Batch {
  return { images: tf.clone(batch.images), targets: tf.clone(batch.targets) };
}

export interface MixOptions {
  /** Probability of mixing a batch (torchvision reference default 0.5). */
  readonly p: number;
  /** lambda ~ Beta(alpha, alpha). */
  readonly alpha: number;
}

/** MixUp: x = lambda x + (1 - lambda) x_rolled, the same for targets. Draws: U, then lambda. */
export function mixup(batch: Batch, rng: Rng, o: MixOptions): Batch {
  if (!(rng.uniform() < o.p)) return keepCopy(batch);
  const lambda = sampleDirichlet(rng, [o.alpha, o.alpha])[0];
  return tf.tidy(() => ({
    images: tf.add(tf.mul(batch.images, lambda), tf.mul(roll1(batch.images), 1 - lambda)) as tf.Tensor4D,
    targets: tf.add(tf.mul(batch.targets, lambda), tf.mul(roll1(batch.targets), 1 - lambda)) as tf.Tensor2D,
  }));
}

/**
 * CutMix: paste the rolled batch's box centred at a uniform (x, y) with half-sides
 * int(0.5 sqrt(1 - lambda) * size), clipped to the image; targets mix by the pasted area.
 * Draws: U, lambda, x, y.
 */
export function cutmix(batch: Batch, rng: Rng, o: MixOptions): Batch {
  if (!(rng.uniform() < o.p)) return keepCopy(batch);
  const lambda0 = sampleDirichlet(rng, [o.alpha, o.alpha])[0];
  const [, H, W] = batch.images.shape;
  const rx = rng.int(W);
  const ry = rng.int(H);
  const r = 0.5 * Math.sqrt(1 - lambda0);
  const rw = Math.trunc(r * W);
  const rh = Math.trunc(r * H);
  const x1 = Math.max(rx - rw, 0);
  const y1 = Math.max(ry - rh, 0);
  const x2 = Math.min(rx + rw, W);
  const y2 = Math.min(ry + rh, H);
  const lambda = 1 - ((x2 - x1) * (y2 - y1)) / (W * H);
  const mask = new Uint8Array(H * W);
  for (let y = y1; y < y2; y++) mask.fill(1, y * W + x1, y * W + x2);
  return tf.tidy(() => ({
    images: tf.where(tf.tensor4d(mask, [1, H, W, 1], "bool"), roll1(batch.images), batch.images) as tf.Tensor4D,
    targets: tf.add(tf.mul(batch.targets, lambda), tf.mul(roll1(batch.targets), 1 - lambda)) as tf.Tensor2D,
  }));
}
