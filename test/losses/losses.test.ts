import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  classTargets, fitOrdinalThresholds, ordinalRegressionLoss, sigmoidBinaryCrossEntropy,
  softmaxCrossEntropy, thresholdsToClasses,
} from "../../core/losses.ts";
import { qwkFromConfusion } from "../../core/metrics/index.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const matrix = fc.integer({ min: 1, max: 6 }).chain((n) => fc.integer({ min: 2, max: 5 }).chain((k) => fc.record({
  logits: fc.array(fc.array(fc.double({ min: -30, max: 30, noNaN: true }), { minLength: k, maxLength: k }), { minLength: n, maxLength: n }),
  labels: fc.array(fc.integer({ min: 0, max: k - 1 }), { minLength: n, maxLength: n }),
  bits: fc.array(fc.array(fc.boolean(), { minLength: k, maxLength: k }), { minLength: n, maxLength: n }),
  smoothing: fc.double({ min: 0, max: 0.5, noNaN: true }),
})));

/** Double-precision definitions written out by hand, independent of the tfjs ops. */
function refCrossEntropy(logits: number[][], labels: number[], s: number): number {
  const k = logits[0].length;
  return logits.reduce((acc, row, i) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    return acc - row.reduce((a, v, j) => a + ((j === labels[i] ? 1 - s : 0) + s / k) * (v - lse), 0);
  }, 0) / logits.length;
}
function refBce(logits: number[][], bits: boolean[][]): number {
  const logSigmoid = (z: number) => (z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z)));
  const all = logits.flatMap((row, i) => row.map((x, j) => (bits[i][j] ? -logSigmoid(x) : -logSigmoid(-x))));
  return all.reduce((a, b) => a + b, 0) / all.length;
}

describe("losses match double-precision definitions (fast-check seed 8)", () => {
  it("softmax cross-entropy with label smoothing, sigmoid BCE", () => {
    fc.assert(fc.property(matrix, ({ logits, labels, bits, smoothing }) => {
      const x = tf.tensor2d(logits);
      const ce = softmaxCrossEntropy(x, labels, { labelSmoothing: smoothing });
      const y = tf.tensor2d(bits.map((r) => r.map(Number)));
      const bce = sigmoidBinaryCrossEntropy(x, y);
      const okCe = Math.abs(ce.dataSync()[0] - refCrossEntropy(logits, labels, smoothing)) <= 1e-4 * (1 + refCrossEntropy(logits, labels, smoothing));
      const okBce = Math.abs(bce.dataSync()[0] - refBce(logits, bits)) <= 1e-4 * (1 + refBce(logits, bits));
      tf.dispose([x, ce, y, bce]);
      return okCe && okBce;
    }), { seed: 8, numRuns: 100 });
  });

  it("soft targets (MixUp/CutMix) equal hard labels when one-hot, and mix linearly", () => {
    const x = tf.tensor2d([[1, -2, 0.5], [0, 3, -1]]);
    const hard = softmaxCrossEntropy(x, [2, 1], { labelSmoothing: 0.1 }).dataSync()[0];
    const soft = softmaxCrossEntropy(x, tf.tensor2d([[0, 0, 1], [0, 1, 0]]), { labelSmoothing: 0.1 }).dataSync()[0];
    expect(soft).toBeCloseTo(hard, 6);
    const a = softmaxCrossEntropy(x, [0, 0]).dataSync()[0];
    const b = softmaxCrossEntropy(x, [1, 2]).dataSync()[0];
    const mixed = softmaxCrossEntropy(x, tf.tensor2d([[0.3, 0.7, 0], [0.3, 0, 0.7]])).dataSync()[0];
    expect(mixed).toBeCloseTo(0.3 * a + 0.7 * b, 5);
    expect(() => softmaxCrossEntropy(x, tf.zeros([2, 2]) as tf.Tensor2D)).toThrow(/targets/);
  });

  it("regression losses and multi-hot", () => {
    const l1 = ordinalRegressionLoss(tf.tensor2d([[0.5], [2], [4.5]]), [0, 2, 3], "l1");
    const mse = ordinalRegressionLoss(tf.tensor1d([0.5, 2, 4.5]), [0, 2, 3], "mse");
    expect(l1.dataSync()[0]).toBeCloseTo((0.5 + 0 + 1.5) / 3, 6);
    expect(mse.dataSync()[0]).toBeCloseTo((0.25 + 0 + 2.25) / 3, 6);
    expect(Array.from(classTargets([[0, 2], []], 3).dataSync())).toEqual([1, 0, 1, 0, 0, 0]);
    expect(Array.from(classTargets([2, 0], 3).dataSync())).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => classTargets([[3]], 3)).toThrow(/class 3/);
    expect(() => classTargets([-1], 3)).toThrow(/class -1/);
    expect(() => softmaxCrossEntropy(tf.zeros([2, 3]) as tf.Tensor2D, [0], {})).toThrow(/2 rows.*1 labels/);
  });

  it("no tensors leak", () => {
    const x = tf.randomNormal([4, 3]) as tf.Tensor2D;
    const y = tf.onesLike(x);
    const before = tf.memory().numTensors;
    tf.dispose([softmaxCrossEntropy(x, [0, 1, 2, 0]), sigmoidBinaryCrossEntropy(x, y), ordinalRegressionLoss(x, [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4], "mse")]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });
});

describe("ordinal thresholds", () => {
  it("thresholdsToClasses counts the thresholds reached", () => {
    expect(thresholdsToClasses([-1, 0.5, 0.49, 1.7, 9], [0.5, 1.5, 2.5])).toEqual([0, 1, 0, 2, 3]);
    expect(() => thresholdsToClasses([1], [2, 1])).toThrow(/ascending/);
  });

  it("kappa of a perfect and of a constant prediction", () => {
    expect(qwkFromConfusion([[3, 0, 0], [0, 2, 0], [0, 0, 4]])).toBe(1);
    expect(qwkFromConfusion([[0, 3, 0], [0, 2, 0], [0, 4, 0]])).toBe(0);
  });

  const data = fc.integer({ min: 2, max: 4 }).chain((k) => fc.record({
    k: fc.constant(k),
    rows: fc.array(fc.tuple(fc.integer({ min: 0, max: k - 1 }), fc.double({ min: -1, max: 1, noNaN: true })), { minLength: 2, maxLength: 30 }),
  }));
  const score = (preds: number[], labels: number[], k: number, th: number[]) => {
    const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    thresholdsToClasses(preds, th).forEach((c, i) => m[labels[i]][c]++);
    return qwkFromConfusion(m);
  };
  it("fitted thresholds score at least the default ones; with 2 classes they are the exhaustive optimum", () => {
    fc.assert(fc.property(data, ({ k, rows }) => {
      const labels = rows.map((r) => r[0]);
      // With a single label class kappa is undefined (NaN) for every cut, so there is no optimum.
      if (new Set(labels).size === 1) return true;
      const preds = rows.map((r) => r[0] + r[1]);
      const th = fitOrdinalThresholds(preds, labels, k);
      const fitted = score(preds, labels, k, th);
      if (fitted < score(preds, labels, k, Array.from({ length: k - 1 }, (_, i) => i + 0.5)) - 1e-12) return false;
      if (k !== 2) return true;
      const sorted = [...new Set(preds)].sort((a, b) => a - b);
      const candidates = [sorted[0] - 1, ...sorted.map((v, i) => (i + 1 < sorted.length ? (v + sorted[i + 1]) / 2 : v + 1))];
      const best = Math.max(...candidates.map((t) => score(preds, labels, k, [t])));
      return Math.abs(fitted - best) < 1e-12;
    }), { seed: 8, numRuns: 200 });
  });
});
