/**
 * The results table every analysis recipe reads: one row per model, ImageNet top-1 in percent and
 * one value per downstream dataset on Table 4's scales (accuracies in percent; QWK, macro F1 and
 * ROC AUC on 0-1). Parsing works on already split records (strings), so the CSV reader stays in
 * the Node layer and this code runs under Deno too.
 */
import { InputError } from "../errors.ts";

/** Dataset names as Table 4 prints them; report cells are keyed by these. */
export const DATASETS = ["CCT20", "APTOS", "HPA", "Melanoma", "Cassava", "EuroSAT"] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface DatasetInfo {
  readonly metric: string;
  /** `percent`: accuracy 0-100; `unit`: a 0-1 score. */
  readonly scale: "percent" | "unit";
}

export const DATASET_INFO: Readonly<Record<DatasetName, DatasetInfo>> = {
  CCT20: { metric: "accuracy", scale: "percent" },
  APTOS: { metric: "quadratic weighted kappa", scale: "unit" },
  HPA: { metric: "macro F1", scale: "unit" },
  Melanoma: { metric: "ROC AUC", scale: "unit" },
  Cassava: { metric: "accuracy", scale: "percent" },
  EuroSAT: { metric: "accuracy", scale: "percent" },
};

/** Column names accepted for each dataset (compared lower-case with punctuation removed). */
const ALIASES: Readonly<Record<DatasetName, readonly string[]>> = {
  CCT20: ["cct20", "cct", "caltechcameratraps", "caltechcameratraps20"],
  APTOS: ["aptos", "aptos2019", "aptos2019blindness"],
  HPA: ["hpa", "humanproteinatlas"],
  Melanoma: ["melanoma", "siimisicmelanoma", "siimisic"],
  Cassava: ["cassava", "cassavaleafdisease"],
  EuroSAT: ["eurosat"],
};

export const MODEL_COLUMN = "model";
export const IMAGENET_COLUMN = "imagenet_top1";

/** A delimited file as header + string records, before any recipe-specific parsing. */
export interface RawTable {
  /** The file path, used in error messages. */
  readonly source: string;
  readonly header: readonly string[];
  readonly records: readonly (readonly string[])[];
}

export interface ResultsRow {
  readonly model: string;
  /** ImageNet top-1 accuracy in percent. */
  readonly imagenetTop1: number;
  readonly values: Readonly<Partial<Record<DatasetName, number>>>;
}

export interface ResultsTable {
  /** Where the numbers came from: a file path, or a description of the embedded table. */
  readonly source: string;
  readonly datasets: readonly DatasetName[];
  readonly rows: readonly ResultsRow[];
}

function squash(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** The canonical dataset name for a column header, or undefined when it names no known dataset. */
export function datasetForColumn(column: string): DatasetName | undefined {
  const key = squash(column);
  return DATASETS.find((name) => ALIASES[name].includes(key));
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

function checkRange(value: number, dataset: DatasetName | "ImageNet", where: string, column: string): void {
  const scale = dataset === "ImageNet" ? "percent" : DATASET_INFO[dataset].scale;
  const max = scale === "percent" ? 100 : 1;
  if (value < 0 || value > max) {
    const hint = scale === "unit" && value <= 100
      ? ` (${dataset} is a ${DATASET_INFO[dataset as DatasetName].metric} on 0-1, not percent)`
      : scale === "percent" ? " (accuracies are in percent, 0-100)" : "";
    throw new InputError(where, `column "${column}" is ${value}, outside 0-${max}${hint}`);
  }
}

/**
 * Builds a results table from header + string records (as a CSV reader yields them).
 * `source` names the file in errors; rows are numbered as in the file (header = line 1).
 */
export function parseResultsTable({ source, header, records }: RawTable): ResultsTable {
  const seen = new Map<string, number>();
  header.forEach((column, index) => {
    const key = column.trim();
    if (seen.has(key)) throw new InputError(`${source}, line 1`, `column "${key}" appears twice`);
    seen.set(key, index);
  });
  for (const required of [MODEL_COLUMN, IMAGENET_COLUMN]) {
    if (!seen.has(required)) {
      throw new InputError(
        `${source}, line 1`,
        `missing column "${required}"; expected "${MODEL_COLUMN}", "${IMAGENET_COLUMN}" and one column per dataset (${DATASETS.join(", ")})`,
      );
    }
  }
  const datasetColumns: { dataset: DatasetName; column: string; index: number }[] = [];
  for (const [column, index] of seen) {
    if (column === MODEL_COLUMN || column === IMAGENET_COLUMN) continue;
    const dataset = datasetForColumn(column);
    if (dataset === undefined) {
      throw new InputError(`${source}, line 1, column "${column}"`, `unknown dataset name; valid dataset names: ${DATASETS.join(", ")}`);
    }
    const duplicate = datasetColumns.find((c) => c.dataset === dataset);
    if (duplicate) {
      throw new InputError(`${source}, line 1`, `columns "${duplicate.column}" and "${column}" both name dataset ${dataset}`);
    }
    datasetColumns.push({ dataset, column, index });
  }
  if (datasetColumns.length === 0) {
    throw new InputError(`${source}, line 1`, `no dataset columns; expected one or more of ${DATASETS.join(", ")}`);
  }

  const models = new Set<string>();
  const rows = records.map((record, i) => {
    const where = `${source}, line ${i + 2}`;
    if (record.length !== header.length) {
      throw new InputError(where, `has ${record.length} fields, the header has ${header.length}`);
    }
    const model = (record[seen.get(MODEL_COLUMN)!] ?? "").trim();
    if (model === "") throw new InputError(where, `column "${MODEL_COLUMN}" is empty`);
    if (models.has(model)) throw new InputError(where, `model "${model}" appears twice`);
    models.add(model);
    const imagenetTop1 = parseNumber(record[seen.get(IMAGENET_COLUMN)!], where, IMAGENET_COLUMN);
    checkRange(imagenetTop1, "ImageNet", where, IMAGENET_COLUMN);
    const values: Partial<Record<DatasetName, number>> = {};
    for (const { dataset, column, index } of datasetColumns) {
      // An empty cell is a missing result (the runner's export leaves cells of untrained pairs empty).
      if ((record[index] ?? "").trim() === "") continue;
      const value = parseNumber(record[index], where, column);
      checkRange(value, dataset, where, column);
      values[dataset] = value;
    }
    return { model, imagenetTop1, values };
  });
  if (rows.length === 0) throw new InputError(source, "has a header but no rows");
  const datasets = DATASETS.filter((name) => datasetColumns.some((c) => c.dataset === name));
  return { source, datasets, rows };
}

/** Throws naming the missing columns when a recipe needs datasets the table lacks. */
export function requireDatasets(table: ResultsTable, needed: readonly DatasetName[], recipe: string): void {
  const missing = needed.filter((name) => !table.datasets.includes(name));
  if (missing.length > 0) {
    throw new InputError(table.source, `recipe "${recipe}" needs column(s) ${missing.map((m) => `"${m}"`).join(", ")}`);
  }
}

/** The metric on a 0-100 scale (Table 2's "slope computed so that all metrics have a range 0-100"). */
export function toPercent(dataset: DatasetName, value: number): number {
  return DATASET_INFO[dataset].scale === "percent" ? value : value * 100;
}

/** The metric as a proportion in 0-1 (the scale logits and the unnormalized average use). */
export function toProportion(dataset: DatasetName | "ImageNet", value: number): number {
  if (dataset === "ImageNet") return value / 100;
  return DATASET_INFO[dataset].scale === "percent" ? value / 100 : value;
}

/** Column of one dataset, in row order; throws naming the model if a row lacks it (empty cell). */
export function column(table: ResultsTable, dataset: DatasetName): number[] {
  return table.rows.map((row) => {
    const value = row.values[dataset];
    if (value === undefined) {
      throw new InputError(table.source, `model "${row.model}" has no ${dataset} value (empty cell); this analysis needs every model's ${dataset} result`);
    }
    return value;
  });
}

/** The rows that have a value for `dataset`. */
export function withValues(table: ResultsTable, dataset: DatasetName): ResultsTable {
  return table.rows.every((row) => row.values[dataset] !== undefined)
    ? table
    : subset(table, (row) => row.values[dataset] !== undefined, `models with a ${dataset} result`);
}

export function subset(table: ResultsTable, keep: (row: ResultsRow) => boolean, label: string): ResultsTable {
  return { ...table, source: `${table.source} (${label})`, rows: table.rows.filter(keep) };
}

/** A row of a published table, cells as printed (Table 4's layout). */
export type PrintedRow = { readonly model: string; readonly ImageNet: string } & Readonly<Record<DatasetName, string>>;

/** The results table of printed rows, parsed through the same checks as a user's file. */
export function fromPrinted(source: string, rows: readonly PrintedRow[]): ResultsTable {
  const header = [MODEL_COLUMN, IMAGENET_COLUMN, ...DATASETS];
  return parseResultsTable({ source, header, records: rows.map((row) => [row.model, row.ImageNet, ...DATASETS.map((d) => row[d])]) });
}
