// The metric plugins: contract shape, argmax semantics, fitted thresholds and bad-input errors.
import { describe, expect, it } from "vitest";
import type { Metric } from "../../core/contracts.ts";
import { InputError } from "../../core/errors.ts";
import { accuracy, argmaxRows, macroF1, qwk, rocAuc, topKAccuracy } from "../../core/metrics/index.ts";
import type { Plugin } from "../../core/plugin.ts";
import { SeedTree } from "../../core/rng.ts";
import * as metrics from "../../plugins/metrics/index.ts";
import { BUILTIN_PLUGINS } from "../../plugins/manifest.ts";

const ctx = { seeds: new SeedTree(0) };
const make = (p: Plugin<"metric">, options = {}) => p.create(options, ctx) as Metric;
const all = Object.values(metrics) as Plugin<"metric">[];

const yTrue = [0, 2, 1, 2, 0, 1];
const scores = [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1], [0.2, 0.2, 0.6], [0.3, 0.3, 0.4], [0.1, 0.8, 0.1]];

describe("metric plugins", () => {
  it.each(all.map((p) => [p.meta.name, p] as const))("%s creates a Metric named like the plugin", (name, p) => {
    expect(p.meta.kind).toBe("metric");
    expect(BUILTIN_PLUGINS).toContain(p);
    const m = make(p);
    expect(m.name).toBe(name);
    expect(m.direction).toBe("max");
    expect(() => p.create({ bogus: 1 }, ctx)).toThrow(InputError);
  });

  it("label metrics score the argmax predictions", () => {
    const pred = argmaxRows(scores);
    expect(make(metrics.accuracyMetric).compute(yTrue, scores)).toBe(accuracy(yTrue, pred));
    expect(make(metrics.qwkMetric).compute(yTrue, scores)).toBe(qwk(yTrue, pred));
    expect(make(metrics.qwkMetric, { labels: "all" }).compute(yTrue, scores)).toBe(qwk(yTrue, pred, [0, 1, 2]));
    expect(make(metrics.topKAccuracyMetric, { k: 2 }).compute(yTrue, scores)).toBe(topKAccuracy(yTrue, scores, 2));
  });

  it("roc-auc reads the positive column of n x 2 or n x 1 scores", () => {
    const y = [0, 1, 1, 0];
    const p = [0.2, 0.9, 0.4, 0.5];
    const m = make(metrics.rocAucMetric);
    expect(m.compute(y, p.map((v) => [1 - v, v]))).toBe(rocAuc(y, p));
    expect(m.compute(y, p.map((v) => [v]))).toBe(rocAuc(y, p));
    expect(() => m.compute(y, p.map((v) => [v, v, v]))).toThrow(/1 or 2 columns/);
  });

  it("macro-f1 fits thresholds on the selection split and freezes them for the test split", () => {
    const selY = [[1, 0], [1, 1], [0, 1], [0, 0]];
    const selS = [[0.9, 0.2], [0.6, 0.7], [0.3, 0.65], [0.2, 0.1]];
    const m = make(metrics.macroF1Metric);
    const fittedMetric = m.fit!(selY, selS) as metrics.FittedMacroF1;
    expect(Array.from(fittedMetric.thresholds)).toEqual([0.6, 0.65]);
    expect(fittedMetric.compute(selY, selS)).toBe(1);
    expect(m.compute(selY, selS)).toBe(1);
    const testY = [[1, 0], [0, 1]];
    const testS = [[0.55, 0.9], [0.2, 0.66]];
    // Frozen: 0.55 < 0.6 misses class 0, 0.9 >= 0.65 is a false positive for class 1.
    expect(fittedMetric.compute(testY, testS)).toBe(macroF1(testY, [[0, 1], [0, 1]]));
    const fixed = make(metrics.macroF1Metric, { strategy: "fixed", threshold: 0.5 });
    expect(fixed.compute(testY, testS)).toBe(macroF1(testY, [[1, 1], [0, 1]]));
    expect(() => metrics.macroF1Metric.create({ strategy: "f1-max", threshold: 0.3 }, ctx)).toThrow(/threshold/);
  });
});

describe("bad input is a clear error, never a NaN", () => {
  const acc = make(metrics.accuracyMetric);
  it("length mismatch", () => {
    expect(() => acc.compute([0, 1], scores)).toThrow(/differ in length/);
    expect(() => accuracy([0, 1], [0])).toThrow(InputError);
    expect(() => rocAuc([0, 1, 1], [0.1, 0.2])).toThrow(/differ in length/);
  });
  it("NaN scores", () => {
    expect(() => acc.compute([0], [[Number.NaN, 0.2, 0.1]])).toThrow(/finite/);
    expect(() => rocAuc([0, 1], [0.1, Number.NaN])).toThrow(/finite/);
    expect(() => make(metrics.vocMapMetric).compute([[1], [0]], [[0.1], [Number.NaN]])).toThrow(/finite/);
  });
  it("labels outside the class set", () => {
    expect(() => acc.compute([0, 3], [[1, 0, 0], [0, 1, 0]])).toThrow(/\[0, 2\]/);
    expect(() => qwk([0, 1, 5], [0, 1, 1], [0, 1, 2])).toThrow(/not in labels/);
    expect(() => acc.compute([[1, 0]], [[0.2, 0.8]])).toThrow(/class indices/);
    expect(() => make(metrics.macroF1Metric).compute([0, 1], [[0.2], [0.8]])).toThrow(/multi-hot/);
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(/0 or 1/);
  });
  it("a single class present for AUC", () => {
    expect(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(/only one class/);
  });
  it("undefined kappa and AP", () => {
    expect(qwk([2, 2], [2, 2])).toBeNaN();
    expect(() => make(metrics.vocMapMetric).compute([[0, 1], [0, 1]], [[0.1, 0.2], [0.3, 0.4]])).toThrow(/class 0 has no positive/);
  });
});

describe("voc-map leaves ignored pairs out, as the devkit leaves out difficult-only images", () => {
  const vocMap = make(metrics.vocMapMetric);
  // Class 0 without sample 1 ranks (by score) 1, 0, 1, 0: precision 1, 1/2, 2/3, 1/2 at recall 1/2, 1/2, 1, 1,
  // so the best precision at recall >= t is 1 for t = 0..0.5 and 2/3 for t = 0.6..1: AP = (6 + 5 * 2/3) / 11 = 28/33.
  // Class 1 without sample 3 ranks 1, 1, 0, 0: AP = 1. The mean: (28/33 + 1) / 2 = 61/66.
  const yTrue = [[1, 0], [-1, 1], [0, 1], [1, -1], [0, 0]];
  const yScore = [[0.9, 0.1], [0.8, 0.9], [0.7, 0.8], [0.6, 0.95], [0.5, 0.3]];

  it("scores the hand-computed 11-point AP", () => {
    expect(vocMap.compute(yTrue, yScore)).toBeCloseTo(61 / 66, 14);
    // Counted absent instead, the ignored pairs rank above positives and lower both APs.
    const asAbsent = yTrue.map((row) => row.map((v) => Math.max(v, 0)));
    expect(vocMap.compute(asAbsent, yScore)).toBeLessThan(61 / 66 - 0.05);
  });

  it("a pair left out is as if its sample were absent from that class's ranking alone", () => {
    const dropped0 = vocMap.compute([[1], [0], [1], [0]], [[0.9], [0.7], [0.6], [0.5]]);
    const dropped1 = vocMap.compute([[0], [1], [1], [0]], [[0.1], [0.9], [0.8], [0.3]]);
    expect(vocMap.compute(yTrue, yScore)).toBe((dropped0 + dropped1) / 2);
  });

  it("a class whose positives are all ignored has no AP; other multilabel metrics refuse ignored pairs by name", () => {
    expect(() => vocMap.compute([[-1, 1], [0, 0]], [[0.2, 0.3], [0.1, 0.4]])).toThrow(/class 0 has no positive samples \(besides those ignored\)/);
    expect(() => vocMap.compute([[-1, 1], [1, 0]], [[0.2, 0.3]])).toThrow(/differ in length \(2 vs 1\)/);
    expect(() => make(metrics.macroF1Metric).compute(yTrue, yScore)).toThrow(/metric "macro-f1".*yTrue\[1\]\[0\] is -1: the dataset leaves that class out for that sample.*difficult: "positive" or "negative"/);
  });
});
