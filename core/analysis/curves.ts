/**
 * Training curves: per epoch, training loss, validation loss, every validation metric and the
 * learning rate of one or more runs, as one Vega-Lite figure (a panel per quantity, a line per run).
 */
import type { JsonObject, RunResult, StoredRun } from "../contracts.ts";
import { XferError } from "../errors.ts";
import type { Figure } from "./report.ts";

export interface CurveRun {
  /** How the legend names the run. */
  readonly label: string;
  readonly result: RunResult;
}

/** The run's short identity and its grid point (`spec.point`), e.g. `3fa2c1d0 training.lr=0.05`. */
export function curveLabel(run: StoredRun): string {
  const point = run.spec.point;
  const axes = point !== null && typeof point === "object" && !Array.isArray(point) ? Object.entries(point).map(([k, v]) => `${k}=${JSON.stringify(v)}`) : [];
  return [run.result.hash.slice(0, 8), ...axes].join(" ");
}

/** One row per (run, epoch, quantity); a quantity an epoch lacks (older runs, a NaN metric) is left out. */
export function curveRows(runs: readonly CurveRun[]): JsonObject[] {
  const rows: JsonObject[] = [];
  for (const { label, result } of runs) {
    for (const epoch of result.epochs) {
      const add = (quantity: string, value: number | null | undefined) => {
        if (typeof value === "number" && Number.isFinite(value)) rows.push({ run: label, epoch: epoch.epoch, quantity, value, best: epoch.epoch === result.bestEpoch });
      };
      add("training loss", epoch.trainLoss);
      add("validation loss", epoch.valLoss);
      for (const [metric, value] of Object.entries(epoch.selection).sort(([a], [b]) => a.localeCompare(b))) add(`validation ${metric}`, value);
      add("learning rate", epoch.lr?.start);
    }
  }
  return rows;
}

export function curvesFigure(recipe: string, runs: readonly CurveRun[]): Figure {
  if (runs.length === 0) throw new XferError(`curves of "${recipe}": no runs to draw`);
  const labels = runs.map((r) => r.label);
  const twice = labels.find((l, i) => labels.indexOf(l) !== i);
  if (twice !== undefined) throw new XferError(`curves of "${recipe}": two runs are labelled "${twice}"`);
  const rows = curveRows(runs);
  const quantities = [...new Set(rows.map((r) => r.quantity as string))];
  // Whole epochs only: every epoch up to 20, else about 10 ticks.
  const lastEpoch = Math.max(...runs.flatMap((r) => r.result.epochs.map((e) => e.epoch)));
  const epochAxis: JsonObject = lastEpoch <= 20 ? { values: Array.from({ length: lastEpoch }, (_, i) => i + 1), format: "d" } : { tickCount: 10, tickMinStep: 1, format: "d" };
  return {
    key: "curves",
    title: `Training curves of ${recipe} (${runs.length} run(s))`,
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: `${recipe}: training curves`,
      data: { values: rows },
      facet: { field: "quantity", type: "nominal", sort: quantities, title: null },
      columns: 2,
      resolve: { scale: { y: "independent" } },
      spec: {
        width: 260,
        height: 160,
        layer: [
          {
            mark: { type: "line", point: true },
            encoding: {
              x: { field: "epoch", type: "quantitative", axis: epochAxis },
              // An explicit format: a flat curve's single tick is otherwise printed with no decimals ("0" for 0.333).
              y: { field: "value", type: "quantitative", scale: { zero: false }, axis: { format: ".4~g" }, title: null },
              color: { field: "run", type: "nominal", sort: labels },
              tooltip: [{ field: "run" }, { field: "epoch" }, { field: "quantity" }, { field: "value", format: ".4g" }],
            },
          },
          {
            // The best epoch of each run, ringed.
            transform: [{ filter: "datum.best" }],
            mark: { type: "point", size: 120, filled: false, strokeWidth: 2 },
            encoding: {
              x: { field: "epoch", type: "quantitative" },
              y: { field: "value", type: "quantitative" },
              color: { field: "run", type: "nominal", sort: labels },
            },
          },
        ],
      },
    },
  };
}
