/**
 * From stored runs to the results table the analysis recipes read: the grid's best run per
 * (backbone, dataset), chosen on the selection split like the paper, reported on the test split
 * when the run has one (else the selection split), on Table 4's scales (accuracy in percent,
 * QWK / F1 / AUC on 0-1).
 */
import type { MetricDirection, StoredRun } from "./contracts.ts";
import { XferError } from "./errors.ts";
import { canonicalJson } from "./hash.ts";
import type { PluginRef } from "./plugin.ts";

export interface ExportLookups {
  /** The selection metric of the run's dataset and its direction. */
  selection(dataset: PluginRef): Promise<{ metric: string; direction: MetricDirection }>;
  /** ImageNet top-1 (%) of a backbone id, when known. */
  imagenetTop1(backbone: string): number | undefined;
}

export interface ExportedRow {
  readonly model: string;
  readonly imagenetTop1?: number;
  /** dataset plugin name -> value on Table 4's scale. */
  readonly values: Readonly<Record<string, number>>;
  /** dataset plugin name -> hash of the run the value comes from. */
  readonly runs: Readonly<Record<string, string>>;
}

const PERCENT_METRICS = new Set(["accuracy", "top-k-accuracy", "mean-per-class-accuracy"]);

export async function bestRunsTable(stored: readonly StoredRun[], lookups: ExportLookups): Promise<ExportedRow[]> {
  const best = new Map<string, { run: StoredRun; value: number; metric: string }>();
  for (const run of stored) {
    const backboneRef = run.spec.backbone as unknown as PluginRef | undefined;
    // Variants of one backbone plugin (different widths) are different models.
    const backbone = backboneRef?.name && modelLabel(backboneRef);
    const datasetRef = run.spec.dataset as unknown as PluginRef | undefined;
    const dataset = datasetRef?.name;
    if (!backbone || !datasetRef || !dataset) throw new XferError(`run ${run.result.hash}: spec names no backbone or dataset`);
    const { metric, direction } = await lookups.selection(datasetRef);
    const value = run.result.best[metric];
    if (value === undefined) throw new XferError(`run ${run.result.hash}: no "${metric}" among its selection metrics`);
    const key = `${backbone}\u0000${dataset}`;
    const incumbent = best.get(key);
    // Ties keep the run listed first (runs come sorted by hash, so the choice is stable).
    if (!incumbent || (direction === "max" ? value > incumbent.value : value < incumbent.value)) best.set(key, { run, value, metric });
  }

  const rows = new Map<string, { id: string; values: Record<string, number>; runs: Record<string, string> }>();
  for (const [key, { run, metric }] of best) {
    const [backbone, dataset] = key.split("\u0000");
    const reported = run.result.test?.[metric] ?? run.result.best[metric];
    const row = rows.get(backbone) ?? { id: (run.spec.backbone as unknown as PluginRef).name, values: {}, runs: {} };
    row.values[dataset] = PERCENT_METRICS.has(metric) ? 100 * reported : reported;
    row.runs[dataset] = run.result.hash;
    rows.set(backbone, row);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, { id, values, runs }]) => ({ model, imagenetTop1: lookups.imagenetTop1(id), values, runs }));
}

/** The backbone id, followed by its options as compact canonical JSON when it has any. */
export function modelLabel(ref: PluginRef): string {
  return ref.options && Object.keys(ref.options).length > 0 ? `${ref.name} ${canonicalJson(ref.options)}` : ref.name;
}

/** CSV with `model`, `imagenet_top1` and one column per dataset (empty where a cell is missing). */
export function resultsCsv(rows: readonly ExportedRow[]): string {
  const datasets = [...new Set(rows.flatMap((r) => Object.keys(r.values)))].sort();
  const lines = [["model", "imagenet_top1", ...datasets].join(",")];
  for (const row of rows) {
    const cells = [row.model, row.imagenetTop1 === undefined ? "" : String(row.imagenetTop1), ...datasets.map((d) => (d in row.values ? String(row.values[d]) : ""))];
    lines.push(cells.map(csvField).join(","));
  }
  return lines.join("\n") + "\n";
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
