// Parity with scikit-learn (and the VOC07 devkit formula) on fixtures/parity/stats/metrics.json.
import { describe, expect, it } from "vitest";
import {
  accuracy, argmaxRows, macroF1, meanPerClassAccuracy, qwk, rocAuc, topKAccuracy, vocMeanAP,
} from "../../core/metrics/index.ts";
import { expectClose, readParity } from "../stats/helpers.ts";

interface Fixture {
  single: { yTrue: number[]; yPred: number[]; scores: number[][]; accuracy: number; topK?: Record<string, number>; balancedAccuracy: number; qwk?: number; qwkLabels?: number }[];
  auc: { yTrue: number[]; scores: number[]; auc: number }[];
  multilabel: { yTrue: number[][]; scores: number[][]; yPred: number[][]; macroF1: number; vocMeanAPClasses1on: number }[];
}
const fx = readParity<Fixture>("metrics.json");

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
