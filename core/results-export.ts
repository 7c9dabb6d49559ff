/**
 * From stored runs to the results table the analysis reads: one row per model, the best run per
 * (model, task, kept axes) chosen on the selection split like the paper, reported on the test split
 * when the run has one (else the selection split).
 *
 * - Model: the runs' `tags.model`, else the backbone id plus the options that differ between the
 *   runs of that id (each tinycnn width its own model).
 * - Upstream score: for runs whose weights come from another recipe's run (RunTemplate.upstream),
 *   that run's score on its selection metric in percent, column `upstream_<metric>`; for catalog
 *   weights the catalog's ImageNet top-1, column `imagenet_top1`.
 * - Task columns: the runs' `tags.task`, else the dataset facts table's label (the plugin name when
 *   the table does not know it), on the dataset's scale (a known dataset on the table's scale, any
 *   other as its metric computes it, 0-1); each kept axis (`--by`) adds its value, `task/value`.
 * - params and log10_params when the runs recorded them.
 */
import { datasetFacts } from "./analysis/datasets.ts";
import { csvField } from "./analysis/render.ts";
import { IMAGENET_COLUMN, LOG10_PARAMS_COLUMN, MODEL_COLUMN, PARAMS_COLUMN, UPSTREAM_PREFIX, type RawTable } from "./analysis/results.ts";
import type { JsonObject, JsonValue, MetricDirection, StoredRun } from "./contracts.ts";
import { XferError } from "./errors.ts";
import { canonicalJson } from "./hash.ts";
import type { PluginRef } from "./plugin.ts";
import { getPath, varyingAxes, type RunSpec, type UpstreamRef } from "./recipe.ts";

export interface ExportLookups {
  /** The selection metric of the run's dataset and its direction. */
  selection(dataset: PluginRef): Promise<{ metric: string; direction: MetricDirection }>;
  /** ImageNet top-1 (%) of a backbone id, when known. */
  imagenetTop1(backbone: string): number | undefined;
  /** A published run of another recipe (an upstream run), validated; else why it cannot be had (e.g. "no finished result in DIR"). */
  upstreamRun(recipe: string, id: string): Promise<StoredRun | string>;
}

/** The score of the run a model's weights come from. */
export interface UpstreamScore {
  /** `upstream_<metric>`: the upstream run's selection metric. */
  readonly column: string;
  /** That metric in percent (100x), on its test split, else its selection split when it has no test split. */
  readonly value: number;
  readonly recipe: string;
  readonly run: string;
}

export interface ExportedRow {
  readonly model: string;
  readonly imagenetTop1?: number;
  readonly upstream?: UpstreamScore;
  /** Trainable parameters with the run head, when every chosen run of the model recorded the same count. */
  readonly params?: number;
  /** Why `params` is absent (older runs, or counts that differ between the model's tasks). */
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

/** An axis `--by` keeps: as the user named it, and the spec path it reads. */
export interface KeptAxis {
  readonly name: string;
  readonly path: string;
}

/**
 * The spec paths of `--by` names: a tag name (`transfer` reads `tags.transfer`), else a spec path
 * some run has (`augment`, `training.mode`), else the one grid axis or tag path it ends (`mode`
 * for `training.mode`). Anything else is an error naming the axes the runs have.
 */
export function keptAxes(stored: readonly StoredRun[], names: readonly string[]): KeptAxis[] {
  const specs = stored.map((run) => run.spec);
  const tags = [...new Set(specs.flatMap((spec) => Object.keys(tagsOf(spec))))].sort();
  const gridAxes = varyingAxes(specs.map((spec) => ({ point: isObject(spec.point) ? spec.point : {} }) as unknown as RunSpec));
  const candidates = [...gridAxes, ...tags.map((tag) => `tags.${tag}`)];
  return names.map((name, i) => {
    if (names.indexOf(name) !== i) throw new XferError(`--by ${name}: given twice`);
    if (tags.includes(name)) return { name, path: `tags.${name}` };
    if (specs.some((spec) => getPath(spec, name) !== undefined)) return { name, path: name };
    const ending = candidates.filter((axis) => axis.endsWith(`.${name}`));
    if (ending.length === 1) return { name, path: ending[0] };
    if (ending.length > 1) throw new XferError(`--by ${name}: ambiguous, it ends ${ending.join(" and ")}; give the full path`);
    const untagged = gridAxes.filter((axis) => !axis.startsWith("tags.")).sort();
    throw new XferError(`--by ${name}: no such axis in the ${stored.length} run(s); their grid axes: ${untagged.join(", ") || "none"}; tags: ${tags.join(", ") || "none"} (any spec path works too, e.g. training.mode)`);
  });
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A run's tags, checked to be string labels. */
function tagsOf(spec: JsonObject): Readonly<Record<string, string>> {
  const tags = spec.tags;
  if (tags === undefined || tags === null) return {};
  if (!isObject(tags) || Object.values(tags).some((v) => typeof v !== "string")) throw new XferError(`run of recipe "${String(spec.recipe)}": tags must map names to strings, got ${canonicalJson(tags)}`);
  return tags as Record<string, string>;
}

const UNSET = "unset";

/**
 * Short, distinct labels for the values one kept axis takes, keyed by their canonical JSON (absent:
 * "unset"): strings as they are, a plugin reference by its name, a list as its items joined by
 * "+", an object by the fields that differ between the values. Where two values would share a
 * label, every value of the axis is labelled by its compact JSON instead.
 */
function valueLabels(values: readonly (JsonValue | undefined)[]): Map<string, string> {
  const distinct = new Map<string, JsonValue | undefined>();
  for (const value of values) distinct.set(value === undefined ? UNSET : canonicalJson(value), value);
  const all = [...distinct.values()];
  const short = new Map([...distinct].map(([key, value]) => [key, value === undefined ? UNSET : shortLabel(value, all)]));
  if (new Set(short.values()).size === short.size) return short;
  return new Map([...distinct.keys()].map((key) => [key, key]));
}

function shortLabel(value: JsonValue, siblings: readonly (JsonValue | undefined)[]): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.map((item) => shortLabel(item, [])).join("+");
  if (!isObject(value)) return canonicalJson(value);
  if (typeof value.name === "string") return value.name;
  const others = siblings.filter(isObject);
  const keys = Object.keys(value).sort();
  const differing = keys.filter((key) => others.some((other) => canonicalJson(other[key] ?? null) !== canonicalJson(value[key])));
  const shown = differing.length > 0 ? differing : keys;
  const labelOf = (key: string) => shortLabel(value[key], others.map((other) => other[key]));
  return shown.length === 1 ? labelOf(shown[0]) : shown.map((key) => `${key}=${labelOf(key)}`).join(",");
}

/**
 * Model label per run: `tags.model`, else the backbone id followed by the options that differ
 * between the runs of that id, as compact canonical JSON (nothing when they all agree).
 */
function modelLabels(stored: readonly StoredRun[]): Map<StoredRun, string> {
  const optionsById = new Map<string, JsonObject[]>();
  for (const run of stored) {
    const ref = run.spec.backbone as unknown as PluginRef | undefined;
    if (ref?.name) optionsById.set(ref.name, [...(optionsById.get(ref.name) ?? []), (ref.options ?? {}) as JsonObject]);
  }
  const labels = new Map<StoredRun, string>();
  for (const run of stored) {
    const tagged = tagsOf(run.spec).model;
    const ref = run.spec.backbone as unknown as PluginRef | undefined;
    if (tagged !== undefined) labels.set(run, tagged);
    else if (ref?.name) {
      const options = (ref.options ?? {}) as JsonObject;
      const siblings = optionsById.get(ref.name)!;
      const keys = [...new Set(siblings.flatMap((o) => Object.keys(o)))].filter((key) => new Set(siblings.map((o) => canonicalJson(o[key] ?? null))).size > 1);
      const shown = Object.fromEntries(keys.filter((key) => key in options).map((key) => [key, options[key]]));
      labels.set(run, keys.length === 0 ? ref.name : `${ref.name} ${canonicalJson(shown)}`);
    }
  }
  return labels;
}

export interface ExportOptions {
  /** Axes kept instead of chosen over (`xfer results --by`): tag names or spec paths. */
  readonly by?: readonly string[];
}

type Chosen = { run: StoredRun; value: number; metric: string; model: string; column: string; factor: number };

export async function bestRunsTable(stored: readonly StoredRun[], lookups: ExportLookups, options: ExportOptions = {}): Promise<ExportedRow[]> {
  const axes = keptAxes(stored, options.by ?? []);
  const axisLabels = axes.map((axis) => valueLabels(stored.map((run) => getPath(run.spec, axis.path))));
  const models = modelLabels(stored);
  const best = new Map<string, Chosen>();
  for (const run of stored) {
    const model = models.get(run);
    const datasetRef = run.spec.dataset as unknown as PluginRef | undefined;
    if (!model || !datasetRef?.name) throw new XferError(`run ${run.result.hash}: spec names no backbone or dataset`);
    const { metric, direction } = await lookups.selection(datasetRef);
    const value = run.result.best[metric];
    if (value === undefined) throw new XferError(`run ${run.result.hash}: no "${metric}" among its selection metrics`);
    const { label, factor } = exportColumn(datasetRef.name);
    const kept = axes.map((axis, i) => {
      const at = getPath(run.spec, axis.path);
      return axisLabels[i].get(at === undefined ? UNSET : canonicalJson(at))!;
    });
    const column = [tagsOf(run.spec).task ?? label, ...kept].join("/");
    // One dataset per cell: runs of two datasets under one column would be chosen between, not compared.
    const key = `${model}\u0000${column}\u0000${canonicalJson(datasetRef as unknown as JsonObject)}`;
    const incumbent = best.get(key);
    // Ties keep the run listed first (runs come sorted by hash, so the choice is stable).
    if (!incumbent || (direction === "max" ? value > incumbent.value : value < incumbent.value)) best.set(key, { run, value, metric, model, column, factor });
  }

  type Row = { values: Record<string, number>; runs: Record<string, string>; datasets: Record<string, string>; params: Map<string, number | undefined> };
  const rows = new Map<string, Row>();
  for (const { run, metric, model, column, factor } of best.values()) {
    const row: Row = rows.get(model) ?? { values: {}, runs: {}, datasets: {}, params: new Map() };
    const dataset = canonicalJson(run.spec.dataset as JsonValue);
    if (column in row.values) {
      throw new XferError(`runs ${row.runs[column]} and ${run.result.hash} of model "${model}": datasets ${row.datasets[column]} and ${dataset} both go to column "${column}"; tell them apart with tags.task or --by`);
    }
    row.values[column] = factor * (run.result.test?.[metric] ?? run.result.best[metric]);
    row.runs[column] = run.result.hash;
    row.datasets[column] = dataset;
    row.params.set(run.result.hash, run.result.params);
    rows.set(model, row);
  }
  const out: ExportedRow[] = [];
  for (const [model, { values, runs, params }] of [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const mine = stored.filter((run) => models.get(run) === model);
    const upstream = await upstreamScore(model, mine, lookups);
    const imagenetTop1 = upstream === undefined ? catalogTop1(model, mine, lookups) : undefined;
    const base = { model, ...(imagenetTop1 === undefined ? {} : { imagenetTop1 }), ...(upstream === undefined ? {} : { upstream }), values, runs };
    const counts = new Set(params.values());
    if (counts.has(undefined)) {
      const older = [...params].filter(([, p]) => p === undefined).map(([hash]) => hash.slice(0, 12));
      out.push({ ...base, paramsNote: `run(s) ${older.join(", ")} predate parameter counts in results; re-run them to fill params` });
    } else if (counts.size > 1) out.push({ ...base, paramsNote: `parameter counts differ between its tasks' runs (${[...counts].join(", ")}): the heads differ` });
    else out.push({ ...base, params: [...counts][0] as number });
  }
  return out;
}

/**
 * The score of the one upstream run a model's runs load (those without an upstream, such as
 * training from scratch, share the row); undefined when none loads one. Two upstream runs for one
 * model is an error: the row's x would belong to only some of its cells.
 */
async function upstreamScore(model: string, runs: readonly StoredRun[], lookups: ExportLookups): Promise<UpstreamScore | undefined> {
  const loading = runs.filter((run) => run.spec.upstream !== undefined && run.spec.upstream !== null);
  if (loading.length === 0) return undefined;
  const refs = loading.map((run) => {
    const ref = run.spec.upstream as unknown as UpstreamRef;
    // A best-of reference's result records the candidate it loaded.
    const loaded = isObject(ref) && ref.best === true ? run.result.upstreamRun : ref?.run;
    if (!isObject(ref) || typeof ref.recipe !== "string" || typeof loaded !== "string") {
      throw new XferError(`run ${run.result.hash}: its spec's upstream ${canonicalJson(run.spec.upstream ?? null)} names no upstream run (recipe and run identity)`);
    }
    return { run, ref: { ...ref, run: loaded } };
  });
  const first = refs[0];
  const other = refs.find(({ ref }) => ref.recipe !== first.ref.recipe || ref.run !== first.ref.run);
  if (other !== undefined) {
    throw new XferError(
      `model "${model}": its runs load different upstream runs: run ${first.run.result.hash} loads ${first.ref.recipe}/${first.ref.run}, run ${other.run.result.hash} loads ${other.ref.recipe}/${other.ref.run}; give each upstream its own tags.model`,
    );
  }
  const { ref } = first;
  const upstream = await lookups.upstreamRun(ref.recipe, ref.run);
  if (typeof upstream === "string") {
    throw new XferError(`model "${model}": run ${first.run.result.hash} loads run ${ref.run} of recipe "${ref.recipe}": ${upstream}; \`xfer run ${String(first.run.spec.recipe)}\` runs its upstream stage first`);
  }
  const datasetRef = upstream.spec.dataset as unknown as PluginRef | undefined;
  if (!datasetRef?.name) throw new XferError(`upstream run ${ref.run} of recipe "${ref.recipe}": spec names no dataset`);
  const { metric } = await lookups.selection(datasetRef);
  const score = upstream.result.test?.[metric] ?? upstream.result.best[metric];
  if (score === undefined || score === null) throw new XferError(`upstream run ${ref.run} of recipe "${ref.recipe}": no "${metric}" (its selection metric) in its result`);
  return { column: `${UPSTREAM_PREFIX}${metric}`, value: 100 * score, recipe: ref.recipe, run: ref.run };
}

/** The catalog's ImageNet top-1 of a model's backbone ids; two different values for one model is an error. */
function catalogTop1(model: string, runs: readonly StoredRun[], lookups: ExportLookups): number | undefined {
  const known = new Map<number, string>();
  for (const run of runs) {
    const id = (run.spec.backbone as unknown as PluginRef).name;
    const top1 = lookups.imagenetTop1(id);
    if (top1 !== undefined) known.set(top1, id);
  }
  if (known.size > 1) throw new XferError(`model "${model}": its runs use backbones with different ImageNet top-1 (${[...known].map(([top1, id]) => `${id} ${top1}`).join(", ")}); give each its own tags.model`);
  return [...known.keys()][0];
}

/** The exported rows as header + records, the form a CSV reader yields (empty where a cell is unknown). */
export function exportedTable(rows: readonly ExportedRow[], source: string): RawTable {
  const tasks = [...new Set(rows.flatMap((r) => Object.keys(r.values)))].sort();
  const imagenet = rows.some((r) => r.imagenetTop1 !== undefined);
  const upstream = [...new Set(rows.flatMap((r) => (r.upstream === undefined ? [] : [r.upstream.column])))].sort();
  const params = rows.some((r) => r.params !== undefined);
  const header = [MODEL_COLUMN, ...(imagenet ? [IMAGENET_COLUMN] : []), ...upstream, ...(params ? [PARAMS_COLUMN, LOG10_PARAMS_COLUMN] : []), ...tasks];
  const records = rows.map((row) => [
    row.model,
    ...(imagenet ? [row.imagenetTop1 === undefined ? "" : String(row.imagenetTop1)] : []),
    ...upstream.map((column) => (row.upstream?.column === column ? String(row.upstream.value) : "")),
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
