/**
 * From stored runs to the results table the analysis reads: the grid's best run per (backbone,
 * dataset), chosen on the selection split like the paper, reported on the test split when the run
 * has one (else the selection split). Columns: model, imagenet_top1 (when known), params and
 * log10_params (when the runs recorded them), and one column per dataset named by the dataset
 * facts table's label (the plugin name when the table does not know it), on its scale: a known
 * dataset on the table's scale, any other as its metric computes it (0-1).
 */
import { datasetFacts } from "./analysis/datasets.ts";
import { csvField } from "./analysis/render.ts";
import { IMAGENET_COLUMN, LOG10_PARAMS_COLUMN, MODEL_COLUMN, PARAMS_COLUMN, type RawTable } from "./analysis/results.ts";
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
  /** Trainable parameters with the run head, when every chosen run of the model recorded the same count. */
  readonly params?: number;
  /** Why `params` is absent (older runs, or counts that differ between the model's datasets). */
  readonly paramsNote?: string;
  /** column label -> value on the dataset's scale. */
  readonly values: Readonly<Record<string, number>>;
  /** column label -> hash of the run the value comes from. */
  readonly runs: Readonly<Record<string, string>>;
}

/** The results column of a dataset plugin and the factor its metric is multiplied by. */
function exportColumn(dataset: string): { label: string; factor: number } {
  const facts = datasetFacts(dataset);
  return facts === undefined ? { label: dataset, factor: 1 } : { label: facts.label, factor: facts.scale === "percent" ? 100 : 1 };
}

/** Runs that may share a table: one root seed, one backend (numbers from different backends differ in their last bits, docs/determinism.md). */
export interface RunGroup {
  readonly seed: number;
  readonly backend: string;
  readonly count: number;
}

export function runGroups(stored: readonly StoredRun[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const run of stored) {
    const seed = run.spec.seed as number;
    const backend = run.result.environment.backend;
    const key = `${seed}\u0000${backend}`;
    groups.set(key, { seed, backend, count: (groups.get(key)?.count ?? 0) + 1 });
  }
  return [...groups.values()].sort((a, b) => a.seed - b.seed || (a.backend < b.backend ? -1 : a.backend > b.backend ? 1 : 0));
}

/**
 * The runs of one (seed, backend) group: those `pick` selects, which must leave exactly one group.
 * Mixing groups in one table would compare numbers that differ for reasons other than the models.
 */
export function selectRunGroup(stored: readonly StoredRun[], pick: { readonly seed?: number; readonly backend?: string }): StoredRun[] {
  const chosen = stored.filter((run) => (pick.seed === undefined || run.spec.seed === pick.seed) && (pick.backend === undefined || run.result.environment.backend === pick.backend));
  const all = runGroups(stored);
  const describe = (groups: readonly RunGroup[]) => groups.map((g) => `seed ${g.seed}, backend ${g.backend}: ${g.count} run(s)`).join("; ");
  if (chosen.length === 0) throw new XferError(`no stored run has ${pickText(pick)}; the runs found are: ${describe(all)}`);
  const groups = runGroups(chosen);
  if (groups.length > 1) {
    const options = [...(new Set(groups.map((g) => g.seed)).size > 1 ? ["--seed N"] : []), ...(new Set(groups.map((g) => g.backend)).size > 1 ? ["--backend NAME"] : [])];
    throw new XferError(`the stored runs mix ${groups.length} (seed, backend) groups, which one table must not: ${describe(groups)}; pick one with ${options.join(" and ")}`);
  }
  return chosen;
}

function pickText(pick: { readonly seed?: number; readonly backend?: string }): string {
  return [...(pick.seed === undefined ? [] : [`seed ${pick.seed}`]), ...(pick.backend === undefined ? [] : [`backend ${pick.backend}`])].join(" and ");
}

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

  type Row = { id: string; values: Record<string, number>; runs: Record<string, string>; params: Map<string, number | undefined> };
  const rows = new Map<string, Row>();
  for (const [key, { run, metric }] of best) {
    const [backbone, dataset] = key.split("\u0000");
    const reported = run.result.test?.[metric] ?? run.result.best[metric];
    const row: Row = rows.get(backbone) ?? { id: (run.spec.backbone as unknown as PluginRef).name, values: {}, runs: {}, params: new Map() };
    const { label, factor } = exportColumn(dataset);
    if (label in row.values) throw new XferError(`runs ${row.runs[label]} and ${run.result.hash}: datasets "${dataset}" and another both map to column "${label}"`);
    row.values[label] = factor * reported;
    row.runs[label] = run.result.hash;
    row.params.set(run.result.hash, run.result.params);
    rows.set(backbone, row);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, { id, values, runs, params }]) => {
      const counts = new Set(params.values());
      const imagenetTop1 = lookups.imagenetTop1(id);
      const base = { model, ...(imagenetTop1 === undefined ? {} : { imagenetTop1 }), values, runs };
      if (counts.has(undefined)) {
        const older = [...params].filter(([, p]) => p === undefined).map(([hash]) => hash.slice(0, 12));
        return { ...base, paramsNote: `run(s) ${older.join(", ")} predate parameter counts in results; re-run them to fill params` };
      }
      if (counts.size > 1) return { ...base, paramsNote: `parameter counts differ between its datasets' runs (${[...counts].join(", ")}): the heads differ` };
      return { ...base, params: [...counts][0] as number };
    });
}

/** The backbone id, followed by its options as compact canonical JSON when it has any. */
export function modelLabel(ref: PluginRef): string {
  return ref.options && Object.keys(ref.options).length > 0 ? `${ref.name} ${canonicalJson(ref.options)}` : ref.name;
}

/** The exported rows as header + records, the form a CSV reader yields (empty where a cell is unknown). */
export function exportedTable(rows: readonly ExportedRow[], source: string): RawTable {
  const tasks = [...new Set(rows.flatMap((r) => Object.keys(r.values)))].sort();
  const imagenet = rows.some((r) => r.imagenetTop1 !== undefined);
  const params = rows.some((r) => r.params !== undefined);
  const header = [MODEL_COLUMN, ...(imagenet ? [IMAGENET_COLUMN] : []), ...(params ? [PARAMS_COLUMN, LOG10_PARAMS_COLUMN] : []), ...tasks];
  const records = rows.map((row) => [
    row.model,
    ...(imagenet ? [row.imagenetTop1 === undefined ? "" : String(row.imagenetTop1)] : []),
    ...(params ? (row.params === undefined ? ["", ""] : [String(row.params), String(Math.log10(row.params))]) : []),
    ...tasks.map((t) => (t in row.values ? String(row.values[t]) : "")),
  ]);
  return { source, header, records };
}

/** CSV of `exportedTable`: what `xfer results --csv` writes and `--results` reads. */
export function resultsCsv(rows: readonly ExportedRow[]): string {
  const { header, records } = exportedTable(rows, "");
  return [header, ...records].map((cells) => cells.map(csvField).join(",")).join("\n") + "\n";
}
