/**
 * The results table the analysis reads: one row per model, descriptor columns (`model`,
 * `imagenet_top1` in percent, `upstream_<metric>` in percent, `params`, `log10_params`, and the
 * chosen x column) and one column per task, with any task names. A task's scale (0-100 or 0-1)
 * comes from the dataset facts table (datasets.ts) when its name is known, else from
 * `--scale TASK=...`, else it is inferred from its values. Parsing works on already split records (strings), so the CSV reader stays in the
 * Node layer and this code runs under Deno too.
 */
import { InputError, XferError } from "../errors.ts";
import { datasetFacts, DATASETS, isPaperDataset, scaleName, type DatasetName, type Scale } from "./datasets.ts";

export const MODEL_COLUMN = "model";
export const IMAGENET_COLUMN = "imagenet_top1";
export const PARAMS_COLUMN = "params";
export const LOG10_PARAMS_COLUMN = "log10_params";
/** Columns that describe a model rather than a task result. */
export const DESCRIPTOR_COLUMNS = [IMAGENET_COLUMN, PARAMS_COLUMN, LOG10_PARAMS_COLUMN] as const;
/**
 * Prefix of the upstream-score descriptors `xfer results` writes (`upstream_accuracy`: the score of
 * the run a model's weights come from, in percent), so they are never read as tasks.
 */
export const UPSTREAM_PREFIX = "upstream_";

function isUpstreamColumn(column: string): boolean {
  return column.startsWith(UPSTREAM_PREFIX) && column.length > UPSTREAM_PREFIX.length;
}

/** A delimited file as header + string records, before any recipe-specific parsing. */
export interface RawTable {
  /** The file path, used in error messages. */
  readonly source: string;
  readonly header: readonly string[];
  readonly records: readonly (readonly string[])[];
}

export interface TaskColumn {
  /** The facts table's label for a known dataset (e.g. "APTOS" for a column "aptos2019"), else the header. */
  readonly name: string;
  /** The header as written in the file. */
  readonly column: string;
  readonly scale: Scale;
  /** Where the scale came from, for the report's notes. */
  readonly scaleSource: string;
}

export interface ResultsRow {
  readonly model: string;
  /** Descriptor column -> value; a column left empty for this model is absent. */
  readonly descriptors: Readonly<Record<string, number>>;
  /** Task name -> value on the task's scale; an empty cell (no result) is absent. */
  readonly values: Readonly<Record<string, number>>;
}

export interface ResultsTable {
  /** Where the numbers came from: a file path, or a description of the embedded table. */
  readonly source: string;
  /** The x column of trend analyses (a descriptor). */
  readonly x: string;
  /** Descriptor columns present (including `log10_params` when derived from `params`). */
  readonly descriptors: readonly string[];
  readonly tasks: readonly TaskColumn[];
  readonly rows: readonly ResultsRow[];
}

export interface ParseOptions {
  /** The x column; default `imagenet_top1`. `log10_params` is derived from `params` when absent. */
  readonly x?: string;
  /** Task column (or name) -> scale, from `--scale TASK=0-1|0-100`. */
  readonly scales?: Readonly<Record<string, Scale>>;
}

/** A plain decimal number (Number() would also take "", "0x1f" and "Infinity"). */
export function isDecimal(text: string): boolean {
  return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text);
}

function parseNumber(text: string | undefined, where: string, column: string): number {
  const trimmed = (text ?? "").trim();
  if (!isDecimal(trimmed)) {
    throw new InputError(where, `column "${column}" must be a number, got ${JSON.stringify(text ?? "")}`);
  }
  return Number(trimmed);
}

/** Parses `--scale` values ("0-1" or "0-100"). */
export function parseScale(text: string, what: string): Scale {
  if (text === "0-1") return "unit";
  if (text === "0-100") return "percent";
  throw new XferError(`${what}: scale must be 0-1 or 0-100, got "${text}"`);
}

function checkDescriptor(value: number, where: string, column: string): void {
  if (column === IMAGENET_COLUMN && (value < 0 || value > 100)) {
    throw new InputError(where, `column "${column}" is ${value}, outside 0-100 (ImageNet top-1 is in percent)`);
  }
  if (column === PARAMS_COLUMN && !(value > 0)) throw new InputError(where, `column "${column}" is ${value}; a parameter count is positive`);
}

/**
 * Builds a results table from header + string records (as a CSV reader yields them).
 * `source` names the file in errors; rows are numbered as in the file (header = line 1).
 */
export function parseResultsTable({ source, header, records }: RawTable, options: ParseOptions = {}): ResultsTable {
  const x = options.x ?? IMAGENET_COLUMN;
  const seen = new Map<string, number>();
  header.forEach((column, index) => {
    const key = column.trim();
    if (seen.has(key)) throw new InputError(`${source}, line 1`, `column "${key}" appears twice`);
    seen.set(key, index);
  });
  if (!seen.has(MODEL_COLUMN)) {
    throw new InputError(`${source}, line 1`, `missing column "${MODEL_COLUMN}"; expected "${MODEL_COLUMN}", the x column ("${x}") and one column per task`);
  }
  const derivedLog10 = x === LOG10_PARAMS_COLUMN && !seen.has(LOG10_PARAMS_COLUMN) && seen.has(PARAMS_COLUMN);
  if (!seen.has(x) && !derivedLog10) {
    const hint = x === LOG10_PARAMS_COLUMN ? ` (or "${PARAMS_COLUMN}", from which it is derived)` : x === IMAGENET_COLUMN ? "; choose another x column with --x" : "";
    throw new InputError(`${source}, line 1`, `missing column "${x}"${hint}; the x column must be one of the file's columns`);
  }
  const descriptorNames = new Set<string>([...DESCRIPTOR_COLUMNS, x, ...[...seen.keys()].filter(isUpstreamColumn)]);
  const taskColumns: { task: Omit<TaskColumn, "scale" | "scaleSource">; index: number }[] = [];
  for (const [column, index] of seen) {
    if (column === MODEL_COLUMN || descriptorNames.has(column)) continue;
    if (column === "") throw new InputError(`${source}, line 1`, `column ${index + 1} has no name`);
    const name = datasetFacts(column)?.label ?? column;
    const duplicate = taskColumns.find((c) => c.task.name === name);
    if (duplicate) throw new InputError(`${source}, line 1`, `columns "${duplicate.task.column}" and "${column}" both name dataset ${name}`);
    taskColumns.push({ task: { name, column }, index });
  }
  if (taskColumns.length === 0) throw new InputError(`${source}, line 1`, `no task columns; expected one column per task beside "${MODEL_COLUMN}" and the descriptors (${[...descriptorNames].join(", ")})`);
  for (const flagged of Object.keys(options.scales ?? {})) {
    if (!taskColumns.some((c) => c.task.column === flagged || c.task.name === flagged)) {
      throw new XferError(`--scale ${flagged}: ${source} has no task column "${flagged}"; its tasks are ${taskColumns.map((c) => c.task.column).join(", ")}`);
    }
  }

  const models = new Set<string>();
  const raw = records.map((record, i) => {
    const where = `${source}, line ${i + 2}`;
    if (record.length !== header.length) throw new InputError(where, `has ${record.length} fields, the header has ${header.length}`);
    const model = (record[seen.get(MODEL_COLUMN)!] ?? "").trim();
    if (model === "") throw new InputError(where, `column "${MODEL_COLUMN}" is empty`);
    if (models.has(model)) throw new InputError(where, `model "${model}" appears twice`);
    models.add(model);
    const descriptors: Record<string, number> = {};
    for (const column of descriptorNames) {
      const index = seen.get(column);
      // An empty cell is an unknown value (the export leaves imagenet_top1 empty for models without one).
      if (index === undefined || (record[index] ?? "").trim() === "") continue;
      descriptors[column] = parseNumber(record[index], where, column);
      checkDescriptor(descriptors[column], where, column);
    }
    if (derivedLog10 && descriptors[PARAMS_COLUMN] !== undefined) descriptors[LOG10_PARAMS_COLUMN] = Math.log10(descriptors[PARAMS_COLUMN]);
    const values: Record<string, number> = {};
    for (const { task, index } of taskColumns) {
      // An empty cell is a missing result (the runner's export leaves cells of untrained pairs empty).
      if ((record[index] ?? "").trim() === "") continue;
      values[task.name] = parseNumber(record[index], where, task.column);
    }
    return { model, descriptors, values };
  });
  if (raw.length === 0) throw new InputError(source, "has a header but no rows");

  const tasks = taskColumns.map(({ task }) => {
    const scaled = { ...task, ...taskScale(task, raw.map((r) => r.values[task.name]), options.scales ?? {}, source) };
    raw.forEach((row, i) => {
      const value = row.values[task.name];
      if (value !== undefined) checkRange(value, scaled, `${source}, line ${i + 2}`);
    });
    return scaled;
  });
  const imagenet = raw.map((r) => r.descriptors[IMAGENET_COLUMN]).filter((v): v is number => v !== undefined);
  if (looksLikeFractions(imagenet)) {
    throw new InputError(`${source}, column "${IMAGENET_COLUMN}"`, `all ${imagenet.length} value(s) are <= 1, but ImageNet top-1 is in percent (0-100): give percentages (e.g. 76.1, not 0.761)`);
  }
  const descriptors = [...descriptorNames].filter((d) => seen.has(d) || (d === LOG10_PARAMS_COLUMN && derivedLog10));
  return { source, x, descriptors, tasks, rows: raw };
}

/** Every value in [0, 1] and one above 0: fractions, where a column of zeros says nothing. */
function looksLikeFractions(values: readonly number[]): boolean {
  return values.some((v) => v > 0) && values.every((v) => v >= 0 && v <= 1);
}

/**
 * A task's scale: `--scale` first (a known dataset's values may come as fractions or percent), then
 * the dataset facts table, else inferred. A known 0-100 dataset whose every value is at most 1 was
 * almost surely given as fractions, which would make every slope 100x too small: refused, saying
 * how to declare the scale.
 */
function taskScale(task: Omit<TaskColumn, "scale" | "scaleSource">, values: readonly (number | undefined)[], flags: Readonly<Record<string, Scale>>, source: string): Pick<TaskColumn, "scale" | "scaleSource"> {
  const facts = datasetFacts(task.column);
  const flagged = flags[task.column] ?? flags[task.name];
  const present = values.filter((v): v is number => v !== undefined);
  if (flagged !== undefined) {
    const differs = facts !== undefined && flagged !== facts.scale ? `; ${facts.label}'s ${facts.metric} is usually on ${scaleName(facts.scale)}` : "";
    return { scale: flagged, scaleSource: `set by --scale${differs}` };
  }
  if (facts !== undefined) {
    if (facts.scale === "percent" && looksLikeFractions(present)) {
      throw new InputError(
        `${source}, column "${task.column}"`,
        `all ${present.length} value(s) are <= 1, but ${facts.label}'s ${facts.metric} is on 0-100 (dataset facts table): give percentages, or declare --scale ${task.column}=0-1`,
      );
    }
    return { scale: facts.scale, scaleSource: `${facts.metric}, from the dataset facts table` };
  }
  return present.every((v) => v >= 0 && v <= 1)
    ? { scale: "unit", scaleSource: "inferred: every value lies in [0, 1]" }
    : { scale: "percent", scaleSource: "inferred: values above 1" };
}

function checkRange(value: number, task: TaskColumn, where: string): void {
  const max = task.scale === "percent" ? 100 : 1;
  if (value >= 0 && value <= max) return;
  const facts = datasetFacts(task.column);
  const hint = facts?.scale === "unit" && value <= 100
    ? ` (${facts.label} is a ${facts.metric} on 0-1; for percentages declare --scale ${task.column}=0-100)`
    : task.scale === "percent" ? " (metrics are on 0-1 or in percent, 0-100)" : "";
  throw new InputError(where, `column "${task.column}" is ${value}, outside 0-${max}${hint}`);
}

/** The metric on a 0-100 scale (Table 2's "slope computed so that all metrics have a range 0-100"). */
export function taskPercent(task: TaskColumn, value: number): number {
  return task.scale === "percent" ? value : value * 100;
}

/** One line per task: its scale and where the scale came from (reports print it, never silently). */
export function scaleNotes(table: ResultsTable): string {
  return `Task scales: ${table.tasks.map((t) => `${t.name} ${scaleName(t.scale)} (${t.scaleSource})`).join("; ")}.`;
}

// ---------------------------------------------------------------------------------------------
// The paper's view: Table 4's six datasets against ImageNet top-1, what the paper's recipes read.

export interface PaperRow {
  readonly model: string;
  /** ImageNet top-1 accuracy in percent. */
  readonly imagenetTop1: number;
  readonly values: Readonly<Partial<Record<DatasetName, number>>>;
}

export interface PaperTable {
  readonly source: string;
  readonly datasets: readonly DatasetName[];
  readonly rows: readonly PaperRow[];
}

/**
 * The table as the paper's recipes read it: every task one of the paper's six datasets and every
 * model with an ImageNet top-1; otherwise an error naming the columns or the model.
 */
export function paperTable(table: ResultsTable, recipe: string): PaperTable {
  const unknown = table.tasks.filter((t) => !isPaperDataset(t.name));
  if (unknown.length > 0) {
    throw new InputError(
      `${table.source}, line 1, column "${unknown[0].column}"`,
      `recipe "${recipe}" reads the paper's datasets; unknown dataset name; valid dataset names: ${DATASETS.join(", ")} (transfer-trends analyses any task names)`,
    );
  }
  if (!table.descriptors.includes(IMAGENET_COLUMN)) throw new InputError(`${table.source}, line 1`, `recipe "${recipe}" needs column "${IMAGENET_COLUMN}"`);
  const rows = table.rows.map((row, i) => {
    const imagenetTop1 = row.descriptors[IMAGENET_COLUMN];
    if (imagenetTop1 === undefined) {
      throw new InputError(`${table.source}, line ${i + 2}`, `column "${IMAGENET_COLUMN}" is empty (model "${row.model}"); recipe "${recipe}" needs every model's ImageNet top-1`);
    }
    return { model: row.model, imagenetTop1, values: onFactsScales(table, row) };
  });
  const datasets = DATASETS.filter((name) => table.tasks.some((t) => t.name === name));
  return { source: table.source, datasets, rows };
}

/** A row's values on the facts table's scales, which the paper's recipes assume (`--scale` may have declared another). */
function onFactsScales(table: ResultsTable, row: ResultsRow): PaperRow["values"] {
  const values: Partial<Record<DatasetName, number>> = {};
  for (const task of table.tasks) {
    const value = row.values[task.name];
    if (value === undefined) continue;
    const factsScale = paperScale(task.name as DatasetName);
    values[task.name as DatasetName] = task.scale === factsScale ? value : factsScale === "percent" ? value * 100 : value / 100;
  }
  return values;
}

/** Throws naming the missing columns when a recipe needs datasets the table lacks. */
export function requireDatasets(table: PaperTable, needed: readonly DatasetName[], recipe: string): void {
  const missing = needed.filter((name) => !table.datasets.includes(name));
  if (missing.length > 0) {
    throw new InputError(table.source, `recipe "${recipe}" needs column(s) ${missing.map((m) => `"${m}"`).join(", ")}`);
  }
}

function paperScale(dataset: DatasetName): Scale {
  return datasetFacts(dataset)!.scale;
}

/** The metric on a 0-100 scale. */
export function toPercent(dataset: DatasetName, value: number): number {
  return paperScale(dataset) === "percent" ? value : value * 100;
}

/** The metric as a proportion in 0-1 (the scale logits and the unnormalized average use). */
export function toProportion(dataset: DatasetName | "ImageNet", value: number): number {
  if (dataset === "ImageNet") return value / 100;
  return paperScale(dataset) === "percent" ? value / 100 : value;
}

/** Column of one dataset, in row order; throws naming the model if a row lacks it (empty cell). */
export function column(table: PaperTable, dataset: DatasetName): number[] {
  return table.rows.map((row) => {
    const value = row.values[dataset];
    if (value === undefined) {
      throw new InputError(table.source, `model "${row.model}" has no ${dataset} value (empty cell); this analysis needs every model's ${dataset} result`);
    }
    return value;
  });
}

/** The rows that have a value for `dataset`. */
export function withValues(table: PaperTable, dataset: DatasetName): PaperTable {
  return table.rows.every((row) => row.values[dataset] !== undefined)
    ? table
    : subset(table, (row) => row.values[dataset] !== undefined, `models with a ${dataset} result`);
}

export function subset(table: PaperTable, keep: (row: PaperRow) => boolean, label: string): PaperTable {
  return { ...table, source: `${table.source} (${label})`, rows: table.rows.filter(keep) };
}

/** A row of a published table, cells as printed (Table 4's layout). */
export type PrintedRow = { readonly model: string; readonly ImageNet: string } & Readonly<Record<DatasetName, string>>;

/** The results table of printed rows, parsed through the same checks as a user's file. */
export function fromPrinted(source: string, rows: readonly PrintedRow[]): ResultsTable {
  const header = [MODEL_COLUMN, IMAGENET_COLUMN, ...DATASETS];
  return parseResultsTable({ source, header, records: rows.map((row) => [row.model, row.ImageNet, ...DATASETS.map((d) => row[d])]) });
}
