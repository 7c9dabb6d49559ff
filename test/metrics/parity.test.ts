// Parity with scikit-learn (and the VOC07 devkit formula) on fixtures/parity/stats/metrics.json.
import { describe, expect, it } from "vitest";
import {
  accuracy, argmaxRows, macroF1, meanPerClassAccuracy, qwk, qwkFromConfusion, rocAuc, topKAccuracy, vocMeanAP,
} from "../../core/metrics/index.ts";
import { expectClose, readParity } from "../stats/helpers.ts";

interface Fixture {
  single: { yTrue: number[]; yPred: number[]; scores: number[][]; accuracy: number; topK?: Record<string, number>; balancedAccuracy: number; qwk?: number; qwkLabels?: number }[];
  auc: { yTrue: number[]; scores: number[]; auc: number }[];
  multilabel: { yTrue: number[][]; scores: number[][]; yPred: number[][]; macroF1: number; vocMeanAPClasses1on: number }[];
}
const fx = readParity<Fixture>("metrics.json");

describe("quadratic weighted kappa with zero chance disagreement matches scikit-learn", () => {
  // /usr/bin/python3 (Debian python3-sklearn 1.2.1), e.g.
  //   cohen_kappa_score([1, 1, 1], [1, 1, 1], weights="quadratic")  -> nan  (0/0, a RuntimeWarning)
  //   cohen_kappa_score([1, 1, 1], [1, 1, 1], weights="quadratic", labels=[0, 1, 2])  -> nan
  //   cohen_kappa_score([0, 0, 0], [1, 1, 1], weights="quadratic")  -> 0.0
  //   cohen_kappa_score([0, 1, 2], [1, 1, 1], weights="quadratic")  -> 0.0
  it.each([
    [[1, 1, 1], [1, 1, 1], undefined, Number.NaN],
    [[1, 1, 1], [1, 1, 1], [0, 1, 2], Number.NaN],
    [[0, 0, 0], [1, 1, 1], undefined, 0],
    [[0, 1, 2], [1, 1, 1], undefined, 0],
  ] as const)("qwk(%j, %j, labels %j) = %d", (yTrue, yPred, labels, expected) => {
    expect(qwk(yTrue, yPred, labels)).toBe(expected);
    const classes = labels ?? [...new Set([...yTrue, ...yPred])].sort();
    const confusion = classes.map((t) => classes.map((p) => yTrue.filter((y, i) => y === t && yPred[i] === p).length));
    expect(qwkFromConfusion(confusion)).toBe(expected);
  });
});

describe("single-label metrics match scikit-learn", () => {
  fx.single.forEach((c, i) => {
    it(`case ${i} (n=${c.yTrue.length})`, () => {
      expect(argmaxRows(c.scores)).toEqual(c.yPred);
      expectClose(accuracy(c.yTrue, c.yPred), c.accuracy);
      expectClose(meanPerClassAccuracy(c.yTrue, c.yPred), c.balancedAccuracy);
      for (const [k, v] of Object.entries(c.topK ?? {})) expectClose(topKAccuracy(c.yTrue, c.scores, Number(k)), v);
      if (c.qwk !== undefined) expectClose(qwk(c.yTrue, c.yPred), c.qwk);
      if (c.qwkLabels !== undefined) {
        const labels = Array.from({ length: c.scores[0].length + 2 }, (_, j) => j);
        expectClose(qwk(c.yTrue, c.yPred, labels), c.qwkLabels);
      }
    });
  });
});

describe("rocAuc matches roc_auc_score", () => {
  fx.auc.forEach((c, i) => {
    it(`case ${i} (n=${c.yTrue.length})`, () => expectClose(rocAuc(c.yTrue, c.scores), c.auc));
  });
});

describe("multilabel metrics", () => {
  fx.multilabel.forEach((c, i) => {
    it(`case ${i}: macroF1 matches f1_score(average='macro'), VOC07 mAP matches the devkit`, () => {
      expectClose(macroF1(c.yTrue, c.yPred), c.macroF1);
      const drop0 = (rows: number[][]) => rows.map((r) => r.slice(1));
      expectClose(vocMeanAP(drop0(c.yTrue), drop0(c.scores)), c.vocMeanAPClasses1on);
    });
  });
});
