/**
 * Multilabel macro F1 with per-class thresholds. `fit(yTrue, scores)` chooses the thresholds on
 * the selection split and returns a metric with them frozen, which then scores the test split.
 * `compute` on an unfitted metric chooses thresholds on the data it scores (the selection-split
 * score used to pick epochs); with `strategy: "fixed"` nothing is fitted.
 */
import { z } from "zod";
import type { Labels, Metric, Scores } from "../../../core/contracts.ts";
import { applyThresholds, fitThresholds, macroF1, type ThresholdStrategy } from "../../../core/metrics/index.ts";
import { defineMetric, multilabelRows } from "../common.ts";

const NAME = "macro-f1";

/** A macro-F1 metric scoring with frozen per-class thresholds. */
export interface FittedMacroF1 extends Metric {
  readonly thresholds: Float64Array;
}

/** Chooses thresholds on (yTrue, yScore) and freezes them; the result can be refitted. */
function fitMacroF1(yTrue: Labels, yScore: Scores, strategy: ThresholdStrategy): FittedMacroF1 {
  const thresholds = fitThresholds(multilabelRows(NAME, yTrue), yScore, strategy);
  return {
    name: NAME,
    direction: "max",
    thresholds,
    compute: (y: Labels, s: Scores) => macroF1(multilabelRows(NAME, y), applyThresholds(s, thresholds)),
    fit: (y: Labels, s: Scores) => fitMacroF1(y, s, strategy),
  };
}

export const macroF1Metric = defineMetric(
  {
    name: NAME,
    version: "1.0.0",
    description: "multilabel macro F1 (F1 = 0 for a class with no true and no predicted positives); per-class thresholds by strategy \"f1-max\" (default), \"proportion\" or \"fixed\" (threshold, default 0.5); predicted positive when score >= threshold",
  },
  z.strictObject({
    strategy: z.enum(["f1-max", "proportion", "fixed"]).default("f1-max"),
    threshold: z.number().finite().optional(),
  }).refine((o) => o.threshold === undefined || o.strategy === "fixed", { message: "threshold applies only to strategy \"fixed\"", path: ["threshold"] }),
  (o): Metric => {
    const strategy: ThresholdStrategy = o.strategy === "fixed" ? { kind: "fixed", threshold: o.threshold ?? 0.5 } : { kind: o.strategy };
    const fit = (yTrue: Labels, yScore: Scores) => fitMacroF1(yTrue, yScore, strategy);
    return {
      name: NAME,
      direction: "max",
      compute: (yTrue: Labels, yScore: Scores) => fit(yTrue, yScore).compute(yTrue, yScore),
      fit,
    };
  },
);
