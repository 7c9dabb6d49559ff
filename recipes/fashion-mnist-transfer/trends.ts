/**
 * The study's report, from stored runs (Node-free; `report.ts` reads the run store and prints it).
 * Per model: the grid point chosen on the validation split (strictly better wins, the earlier grid
 * point on ties, as in the trainer), its test accuracy, parameter count and wall time; then the
 * trend across models, Pearson r and the OLS slope of test accuracy (%) on log10(parameters).
 */
import { InputError, ols, pearson, sortKeys, type JsonObject, type StoredRun } from "../../core/index.ts";
import { MODELS, OPTIMIZERS } from "./recipe.ts";

export interface ModelRow {
  readonly model: string;
  readonly params: number;
  /** Grid points of this model found among the runs. */
  readonly runs: number;
  /** The chosen grid point: optimizer label and run hash. */
  readonly optimizer: string;
  readonly hash: string;
  readonly bestEpoch: number;
  readonly valAccuracy: number;
  readonly testAccuracy: number;
  /** Training + evaluation seconds summed over this model's runs (its share of the grid). */
  readonly seconds: number;
}

export interface TrendFit {
  readonly n: number;
  readonly pearsonR: number;
  readonly pearsonP: number;
  /** Test accuracy points (%) per tenfold increase in parameters, with its standard error. */
  readonly slope: number;
  readonly slopeSe: number;
  readonly intercept: number;
}

export interface TrendsReport {
  readonly rows: readonly ModelRow[];
  /** Absent with fewer than three models (a line through two points says nothing). */
  readonly fit?: TrendFit;
  readonly seconds: number;
  readonly backend: string;
}

const key = (value: unknown) => JSON.stringify(sortKeys(value as JsonObject));

/** `paramsOf(label)`: parameter count of a model with the dataset's 10-class head. */
export function trendsReport(stored: readonly StoredRun[], paramsOf: (model: string) => number): TrendsReport {
  const models = new Map<string, string>(MODELS.map((m) => [key(m.backbone), m.label]));
  const optimizers = new Map<string, string>(OPTIMIZERS.map((o) => [key(o.optimizer), o.label]));
  const order = (label: string) => OPTIMIZERS.findIndex((o) => o.label === label);
  const byModel = new Map<string, { optimizer: string; run: StoredRun }[]>();
  for (const run of stored) {
    const model = models.get(key(run.spec.backbone));
    const optimizer = optimizers.get(key(run.spec.optimizer));
    if (model === undefined || optimizer === undefined) {
      throw new InputError(`run ${run.result.hash}`, `backbone ${key(run.spec.backbone)} with optimizer ${key(run.spec.optimizer)} is not a grid point of fashion-mnist-transfer`);
    }
    if (run.result.best.accuracy === undefined || run.result.test?.accuracy === undefined) {
      throw new InputError(`run ${run.result.hash}`, "has no validation and test accuracy");
    }
    byModel.set(model, [...(byModel.get(model) ?? []), { optimizer, run }]);
  }
  const rows: ModelRow[] = [];
  for (const { label } of MODELS) {
    const runs = (byModel.get(label) ?? []).sort((a, b) => order(a.optimizer) - order(b.optimizer));
    if (runs.length === 0) continue;
    const chosen = runs.reduce((best, r) => (r.run.result.best.accuracy > best.run.result.best.accuracy ? r : best));
    rows.push({
      model: label,
      params: paramsOf(label),
      runs: runs.length,
      optimizer: chosen.optimizer,
      hash: chosen.run.result.hash,
      bestEpoch: chosen.run.result.bestEpoch,
      valAccuracy: 100 * chosen.run.result.best.accuracy,
      testAccuracy: 100 * chosen.run.result.test!.accuracy,
      seconds: runs.reduce((s, r) => s + r.run.result.seconds, 0),
    });
  }
  const backends = [...new Set(stored.map((r) => `${r.result.environment.backend} ${r.result.environment.backendVersion}`))];
  return {
    rows,
    ...(rows.length >= 3 ? { fit: fitTrend(rows) } : {}),
    seconds: stored.reduce((s, r) => s + r.result.seconds, 0),
    backend: backends.join(", "),
  };
}

function fitTrend(rows: readonly ModelRow[]): TrendFit {
  const x = rows.map((r) => Math.log10(r.params));
  const y = rows.map((r) => r.testAccuracy);
  const { r, p } = pearson(x, y);
  const fit = ols(y, x.map((v) => [v]));
  return { n: rows.length, pearsonR: r, pearsonP: p, slope: fit.coef[1], slopeSe: fit.se[1], intercept: fit.coef[0] };
}

/** Markdown: the per-model table, the fit, and what the numbers can and cannot carry. */
export function formatTrends(report: TrendsReport): string {
  const lines = [
    "| model | params | runs | chosen | best epoch | val acc (%) | test acc (%) | seconds |",
    "|---|---:|---:|---|---:|---:|---:|---:|",
    ...report.rows.map((r) =>
      `| ${r.model} | ${r.params} | ${r.runs} | ${r.optimizer} | ${r.bestEpoch} | ${r.valAccuracy.toFixed(2)} | ${r.testAccuracy.toFixed(2)} | ${r.seconds.toFixed(0)} |`),
    "",
    `Training + evaluation time of all runs: ${report.seconds.toFixed(0)} s on ${report.backend || "(no runs)"}.`,
  ];
  const best = [...report.rows].sort((a, b) => b.testAccuracy - a.testAccuracy)[0];
  if (best) lines.push(`Best model by test accuracy: ${best.model}, ${best.testAccuracy.toFixed(2)}%.`);
  if (report.fit) {
    const f = report.fit;
    lines.push(
      `Test accuracy on log10(params), n = ${f.n} models: Pearson r = ${f.pearsonR.toFixed(3)} (p = ${f.pearsonP.toFixed(3)}), ` +
        `OLS slope = ${f.slope.toFixed(2)} +- ${f.slopeSe.toFixed(2)} points per tenfold parameters.`,
      "With this few models, one seed and one dataset, the fit describes these runs; it is not evidence of a general law.",
    );
  } else {
    lines.push("Fewer than three models have runs: no trend is fitted.");
  }
  return lines.join("\n") + "\n";
}
