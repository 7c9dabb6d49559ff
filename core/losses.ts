/**
 * Training losses on tfjs-core ops (mean over the batch, PyTorch's default reduction) and the
 * threshold fit that turns ordinal regression outputs into classes.
 */
import * as tf from "@tensorflow/tfjs-core";
import { qwkFromConfusion } from "./metrics/index.ts";

/**
 * Softmax cross-entropy of `logits` (n x k) against class indices, or against soft targets
 * (n x k probabilities, e.g. from MixUp/CutMix), with torch's label smoothing: the target becomes
 * (1 - s) * target + s / k, so `labelSmoothing: 0.1` equals
 * `torch.nn.CrossEntropyLoss(label_smoothing=0.1)` for both kinds of target.
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor2D, labels: tf.Tensor1D | tf.Tensor2D | readonly number[], options: { labelSmoothing?: number } = {},
): tf.Scalar {
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw new RangeError(`labelSmoothing must be in [0, 1), got ${smoothing}`);
  return tf.tidy(() => {
    const [n, k] = logits.shape;
    let hard: tf.Tensor2D;
    if (!Array.isArray(labels) && (labels as tf.Tensor).rank === 2) {
      hard = tf.cast(labels as tf.Tensor2D, "float32");
      if (hard.shape.join() !== logits.shape.join()) throw new RangeError(`softmaxCrossEntropy: logits ${logits.shape} but targets ${hard.shape}`);
    } else {
      const idx = Array.isArray(labels) ? tf.tensor1d(labels as number[], "int32") : tf.cast(labels as tf.Tensor1D, "int32");
      if (idx.shape[0] !== n) throw new RangeError(`softmaxCrossEntropy: ${n} rows of logits but ${idx.shape[0]} labels`);
      hard = tf.cast(tf.oneHot(idx, k), "float32") as tf.Tensor2D;
    }
    const target = tf.add(tf.mul(hard, 1 - smoothing), smoothing / k);
    const logp = tf.logSoftmax(logits);
    return tf.mean(tf.neg(tf.sum(tf.mul(target, logp), 1))) as tf.Scalar;
  });
}

/**
 * Sigmoid binary cross-entropy for multilabel targets (n x k multi-hot), averaged over all
 * n * k entries like torch.nn.BCEWithLogitsLoss; computed as max(x, 0) - x y + log(1 + e^-|x|)
 * so large logits do not overflow.
 */
export function sigmoidBinaryCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  if (logits.shape.join() !== targets.shape.join()) {
    throw new RangeError(`sigmoidBinaryCrossEntropy: logits ${logits.shape} and targets ${targets.shape} differ`);
  }
  return tf.tidy(() => {
    const y = tf.cast(targets, "float32");
    const perEntry = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return tf.mean(perEntry) as tf.Scalar;
  });
}

/**
 * Training targets (n x numClasses): a one-hot row for a single class index, a multi-hot row for a
 * list of class indices (multilabel).
 */
export function classTargets(labels: readonly (number | readonly number[])[], numClasses: number): tf.Tensor2D {
  const data = new Float32Array(labels.length * numClasses);
  labels.forEach((label, i) => (typeof label === "number" ? [label] : label).forEach((c) => {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new RangeError(`classTargets: class ${c} outside [0, ${numClasses})`);
    data[i * numClasses + c] = 1;
  }));
  return tf.tensor2d(data, [labels.length, numClasses]);
}

/**
 * Regression loss for ordinal tasks (APTOS grades as numbers): the model's single output per
 * sample (n or n x 1) against the class index as a float. "l1" is torch L1Loss, "mse" MSELoss.
 */
export function ordinalRegressionLoss(
  predictions: tf.Tensor, labels: tf.Tensor1D | readonly number[], kind: "l1" | "mse",
): tf.Scalar {
  return tf.tidy(() => {
    const pred = tf.reshape(predictions, [-1]);
    const y = Array.isArray(labels) ? tf.tensor1d(labels as number[], "float32") : tf.cast(labels as tf.Tensor1D, "float32");
    if (pred.shape[0] !== y.shape[0]) throw new RangeError(`ordinalRegressionLoss: ${pred.shape[0]} predictions but ${y.shape[0]} labels`);
    const diff = tf.sub(pred, y);
    return tf.mean(kind === "l1" ? tf.abs(diff) : tf.square(diff)) as tf.Scalar;
  });
}

/** Class of each prediction: the number of thresholds it reaches (thresholds ascending). */
export function thresholdsToClasses(predictions: readonly number[], thresholds: readonly number[]): number[] {
  for (let i = 1; i < thresholds.length; i++) {
    if (!(thresholds[i] >= thresholds[i - 1])) throw new RangeError(`thresholds must be ascending, got ${thresholds.join(", ")}`);
  }
  return predictions.map((p) => {
    let c = 0;
    while (c < thresholds.length && p >= thresholds[c]) c++;
    return c;
  });
}

/**
 * Thresholds that map regression outputs to `numClasses` ordinal classes, fitted on a selection
 * split to maximise `objective` of the confusion matrix (quadratic weighted kappa by default, the
 * APTOS metric). Deterministic coordinate ascent, started at 0.5, 1.5, ...: each threshold in turn
 * moves to the cut between sorted predictions that scores best (strictly better only, so ties keep
 * the current cut), until a full sweep changes nothing. Each threshold lies halfway between the two
 * neighbouring distinct predictions; the confusion matrix is updated incrementally, O(n k^2) a sweep.
 */
export function fitOrdinalThresholds(
  predictions: readonly number[], labels: readonly number[], numClasses: number,
  objective: (confusion: readonly (readonly number[])[]) => number = qwkFromConfusion,
): number[] {
  if (predictions.length !== labels.length || predictions.length === 0) {
    throw new RangeError(`fitOrdinalThresholds: need equal, non-zero numbers of predictions and labels (${predictions.length}, ${labels.length})`);
  }
  const order = predictions.map((_, i) => i).sort((a, b) => predictions[a] - predictions[b] || a - b);
  const x = order.map((i) => predictions[i]);
  const y = order.map((i) => labels[i]);
  const n = x.length;
  // Cut c_t = number of sorted predictions below threshold t; only cuts between distinct values.
  const valid = (c: number) => c === 0 || c === n || x[c - 1] < x[c];
  const cutOf = (t: number) => x.filter((v) => v < t).length;
  const cuts = Array.from({ length: numClasses - 1 }, (_, t) => cutOf(t + 0.5));
  const confusionOf = () => {
    const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
    let cls = 0;
    for (let i = 0; i < n; i++) {
      while (cls < cuts.length && i >= cuts[cls]) cls++;
      m[y[i]][cls]++;
    }
    return m;
  };
  for (let round = 0; round < 100; round++) {
    let changed = false;
    for (let t = 0; t < cuts.length; t++) {
      const lo = t === 0 ? 0 : cuts[t - 1];
      const hi = t === cuts.length - 1 ? n : cuts[t + 1];
      // Start with every sample of [lo, hi) in class t + 1, then move them to class t one by one.
      const current = cuts[t];
      cuts[t] = lo;
      const m = confusionOf();
      const scores = new Map<number, number>([[lo, objective(m)]]);
      for (let c = lo + 1; c <= hi; c++) {
        m[y[c - 1]][t + 1]--;
        m[y[c - 1]][t]++;
        if (valid(c)) scores.set(c, objective(m));
      }
      let bestCut = current;
      let best = scores.get(current) ?? -Infinity;
      for (const [c, score] of scores) {
        if (score > best) {
          best = score;
          bestCut = c;
        }
      }
      if (bestCut !== current) changed = true;
      cuts[t] = bestCut;
    }
    if (!changed) break;
  }
  return cuts.map((c) => (c === 0 ? x[0] - 0.5 : c === n ? x[n - 1] + 0.5 : (x[c - 1] + x[c]) / 2));
}
