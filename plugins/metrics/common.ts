/** Metric plugins: a zod schema for the options plus a builder of the Metric from core/metrics. */
import type { z } from "zod";
import type { Labels, Metric, Scores } from "../../core/contracts.ts";
import { InputError } from "../../core/errors.ts";
import { definePlugin, parseOptions, type Plugin } from "../../core/plugin.ts";
import { argmaxRows } from "../../core/metrics/index.ts";

export function metricPlugin<S extends z.ZodType>(
  meta: { name: string; version: string; description: string },
  schema: S,
  build: (options: z.output<S>) => Metric,
): Plugin<"metric"> {
  const full = { kind: "metric" as const, ...meta };
  return definePlugin({
    meta: full,
    create(options): Metric {
      return build(parseOptions(full, schema, options));
    },
  });
}

/** Class indices of a single-label task; multi-hot rows are rejected with the metric's name. */
export function classIndices(metric: string, yTrue: Labels): readonly number[] {
  if (yTrue.some((v) => typeof v !== "number")) {
    throw new InputError(`metric "${metric}"`, "yTrue must be class indices (single-label task), got multi-hot rows");
  }
  return yTrue as readonly number[];
}

/** Multi-hot rows of a multilabel task. */
export function multiHot(metric: string, yTrue: Labels): readonly (readonly number[])[] {
  if (yTrue.some((v) => !Array.isArray(v))) {
    throw new InputError(`metric "${metric}"`, "yTrue must be multi-hot rows (multilabel task), got class indices");
  }
  return yTrue as readonly (readonly number[])[];
}

/**
 * A label-only metric: argmax of each score row is the prediction. True labels must lie in the
 * score matrix's class range (checked here, so a label outside the class set is an error).
 */
export function labelMetric(name: string, fn: (yTrue: readonly number[], yPred: number[], numClasses: number) => number): Metric {
  return {
    name,
    direction: "max",
    needs: "labels",
    compute(yTrue: Labels, yScore: Scores): number {
      const y = classIndices(name, yTrue);
      if (y.length !== yScore.length) {
        throw new InputError(`metric "${name}"`, `yTrue and yScore differ in length (${y.length} vs ${yScore.length})`);
      }
      const k = yScore[0]?.length ?? 0;
      y.forEach((v, i) => {
        if (!Number.isInteger(v) || v < 0 || v >= k) {
          throw new InputError(`metric "${name}"`, `yTrue[${i}] is ${v}; expected a class index in [0, ${k - 1}] (the score matrix has ${k} columns)`);
        }
      });
      yScore.forEach((row, i) => row.forEach((s, j) => {
        if (!Number.isFinite(s)) throw new InputError(`metric "${name}"`, `yScore[${i}][${j}] is ${s}; scores must be finite`);
      }));
      return fn(y, argmaxRows(yScore), k);
    },
  };
}
