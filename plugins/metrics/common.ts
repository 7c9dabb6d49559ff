/**
 * Shared parts of the metric plugins: `defineMetric` and the label checks every metric makes
 * before it calls core/metrics.
 */
import type { z } from "zod";
import { IGNORED_LABEL, type Labels, type Metric, type Scores } from "../../core/contracts.ts";
import { InputError } from "../../core/errors.ts";
import { definePlugin, parseOptions, type Plugin } from "../../core/plugin.ts";
import { argmaxRows } from "../../core/metrics/index.ts";

/**
 * A metric plugin from its options schema and a builder of the Metric: options are validated
 * (errors name the metric and the option). `build` is the same factory without a run, for direct use.
 */
export function defineMetric<S extends z.ZodType>(
  meta: { readonly name: string; readonly version: string; readonly description: string },
  schema: S,
  build: (options: z.output<S>) => Metric,
): Plugin<"metric"> & { build(options?: z.input<S>): Metric } {
  const full = { kind: "metric" as const, ...meta };
  const buildMetric = (options?: z.input<S>): Metric => build(parseOptions(full, schema, options ?? {}));
  return { ...definePlugin({ meta: full, create: (options) => buildMetric(options as z.input<S>) }), build: buildMetric };
}

/** Class indices of a single-label task; multi-hot rows are rejected with the metric's name. */
export function classIndices(metric: string, yTrue: Labels): readonly number[] {
  if (yTrue.some((v) => typeof v !== "number")) {
    throw new InputError(`metric "${metric}"`, "yTrue must be class indices (single-label task), got multi-hot rows");
  }
  return yTrue as readonly number[];
}

/**
 * The multi-hot label rows of a multilabel task; class indices are rejected with the metric's name,
 * and so are ignored entries (IGNORED_LABEL) unless the metric leaves them out itself (`ignored: "skip"`).
 */
export function multilabelRows(metric: string, yTrue: Labels, ignored: "reject" | "skip" = "reject"): readonly (readonly number[])[] {
  if (yTrue.some((v) => !Array.isArray(v))) {
    throw new InputError(`metric "${metric}"`, "yTrue must be multi-hot rows (multilabel task), got class indices");
  }
  const rows = yTrue as readonly (readonly number[])[];
  const at = ignored === "reject" ? rows.findIndex((row) => row.includes(IGNORED_LABEL)) : -1;
  if (at >= 0) {
    throw new InputError(
      `metric "${metric}"`,
      `yTrue[${at}][${rows[at].indexOf(IGNORED_LABEL)}] is ${IGNORED_LABEL}: the dataset leaves that class out for that sample (VOC 2007's difficult-only objects), which this metric cannot do; score the dataset with voc-map, or count such classes present or absent (voc2007's option difficult: "positive" or "negative")`,
    );
  }
  return rows;
}

/**
 * A label-only metric: argmax of each score row is the prediction. True labels must lie in the
 * score matrix's class range (checked here, so a label outside the class set is an error).
 */
export function labelMetric(name: string, fn: (yTrue: readonly number[], yPred: number[], numClasses: number) => number): Metric {
  return {
    name,
    direction: "max",
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
