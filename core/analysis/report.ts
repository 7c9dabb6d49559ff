/**
 * Report model of the analysis recipes: tables of cells that put a recomputed value beside the
 * published string, matched at the printed precision, plus claims, figures (Vega-Lite specs as
 * data) and the JSON that becomes report.json.
 */
import type { JsonObject, JsonValue } from "../contracts.ts";
import type { CellInterval, StoredPredictions } from "./intervals.ts";
import type { RawTable, ResultsTable } from "./results.ts";

/** Number of decimals a printed number shows ("0.0000" -> 4, "8.2" -> 1, "31" -> 0). */
export function printedPrecision(printed: string): number {
  const text = printed.trim();
  if (!/^[+-]?\d+(\.\d+)?$/.test(text)) throw new Error(`not a printed decimal number: "${printed}"`);
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}

/**
 * True when `value`, rounded to the printed number of decimals, equals the printed number.
 * Compared as a distance (half a unit in the last printed place) so that a value exactly on a
 * rounding boundary matches either neighbour, whichever way the authors' software rounded it.
 */
export function matchesPrinted(value: number, printed: string): boolean {
  if (!Number.isFinite(value)) return false;
  const decimals = printedPrecision(printed);
  const half = 0.5 * 10 ** -decimals;
  return Math.abs(value - Number(printed)) <= half * (1 + 1e-9);
}

export interface Cell {
  readonly recomputed: number | null;
  /** The published cell as printed, or null when the paper has no (recoverable) number here. */
  readonly published: string | null;
  /** Decimals printed in the paper; null when there is no published cell. */
  readonly precision: number | null;
  /** null when there is nothing to compare (no published cell, or nothing recomputed). */
  readonly match: boolean | null;
  /** Why a cell does not match, or why it cannot be compared. */
  readonly reason?: string;
}

/**
 * Compares one recomputed value with its published cell. `whyNot` is the known explanation for
 * a mismatch; it is attached only when the cell does not match.
 */
export function cell(recomputed: number | null, published: string | null, whyNot?: string): Cell {
  if (published === null) {
    return { recomputed, published: null, precision: null, match: null, ...(whyNot ? { reason: whyNot } : {}) };
  }
  const precision = printedPrecision(published);
  if (recomputed === null || !Number.isFinite(recomputed)) {
    return { recomputed: null, published, precision, match: null, reason: whyNot ?? "not recomputable from these results" };
  }
  const match = matchesPrinted(recomputed, published);
  return match
    ? { recomputed, published, precision, match }
    : { recomputed, published, precision, match, reason: whyNot ?? "unexplained: no known reason for this difference" };
}

export interface TableColumn {
  readonly key: string;
  readonly label: string;
}

export interface TableRow {
  /** Dataset name as in Table 4 (or a model name for per-model tables). */
  readonly key: string;
  readonly cells: Readonly<Record<string, Cell>>;
}

export interface ReportTable {
  /** Key in report.json, e.g. "table2". */
  readonly key: string;
  readonly title: string;
  readonly rowLabel: string;
  readonly columns: readonly TableColumn[];
  readonly rows: readonly TableRow[];
  readonly notes?: readonly string[];
}

/** A statement of the paper checked against the recomputed numbers. */
export interface Claim {
  readonly key: string;
  /** The claim as the paper states it, and where. */
  readonly statement: string;
  readonly holds: boolean;
  /** What the recomputation found. */
  readonly detail: string;
}

/** A Vega-Lite specification, kept as plain JSON so core needs no plotting library. */
export type VegaLiteSpec = JsonObject;

export interface Figure {
  /** File stem: figure1 -> figure1.svg / figure1.png. */
  readonly key: string;
  readonly title: string;
  readonly spec: VegaLiteSpec;
}

export interface AnalysisReport {
  readonly recipe: string;
  readonly title: string;
  /** Where the input numbers came from. */
  readonly source: string;
  readonly tables: readonly ReportTable[];
  readonly claims: readonly Claim[];
  readonly figures: readonly Figure[];
  readonly notes: readonly string[];
  /** report.json: one key per table (cells keyed by row, then column), claims, notes. */
  readonly json: JsonObject;
}

export interface AnalysisInput {
  /** From `--results FILE` (recipes with input "results-table"); absent: the embedded published table. */
  readonly results?: ResultsTable;
  /**
   * `--x COL` when given (the results table carries it as `results.x`; a recipe on its embedded
   * table refuses an x it does not have).
   */
  readonly x?: string;
  /** `--threshold N` (a number) or `--threshold none` (null); absent: the x column's default. */
  readonly threshold?: number | null;
  /** From `--results FILE` as split records (recipes with input "raw-table", which parse it themselves). */
  readonly file?: RawTable;
  /** Root seed for the recipe's random streams (bootstrap resampling). */
  readonly seed: number;
  /** Bootstrap intervals of cells of `results` from their runs' stored predictions (core/analysis/intervals.ts `predictionIntervals`). */
  readonly intervals?: readonly CellInterval[];
  /** `xfer report`: each cell's run and its stored predictions, for analyses that score them themselves (other metrics, other resample counts). */
  readonly predictions?: StoredPredictions;
  /**
   * The backbone catalog, looked up by catalog id or the paper's model name (the platform passes
   * it: recipes do not import plugins), for analyses that need a model's parameter count.
   */
  readonly catalog?: ModelLookup;
  /** The axes `results` kept (xfer results --by), in order: its task columns are `<task>/<value>/...`. */
  readonly by?: readonly string[];
  /** Compare the values of one kept axis with a reference value (recipes that support it). */
  readonly compare?: { readonly axis: string; readonly reference: string };
}

/** A catalog model by id or paper name: its id and parameter count with the 1000-class head; undefined when unknown. */
export type ModelLookup = (model: string) => { readonly id: string; readonly params: number } | undefined;

export interface AnalysisRecipe {
  readonly kind: "analysis";
  readonly name: string;
  readonly description: string;
  /**
   * What `--results FILE` holds: "results-table" (model, descriptor columns such as imagenet_top1,
   * one column per task; optional, the recipe has an embedded table) or "raw-table" (a recipe-specific format; required).
   */
  readonly input: "results-table" | "raw-table";
  analyze(input: AnalysisInput): AnalysisReport | Promise<AnalysisReport>;
}

export function defineAnalysisRecipe(
  recipe: Omit<AnalysisRecipe, "kind" | "input"> & { input?: AnalysisRecipe["input"] },
): AnalysisRecipe {
  return { kind: "analysis", ...recipe, input: recipe.input ?? "results-table" };
}

function cellJson(c: Cell): JsonObject {
  return {
    recomputed: c.recomputed,
    published: c.published,
    precision: c.precision,
    match: c.match,
    ...(c.reason === undefined ? {} : { reason: c.reason }),
  };
}

export function tableJson(table: ReportTable): JsonObject {
  const out: JsonObject = {};
  for (const row of table.rows) {
    const cells: JsonObject = {};
    for (const column of table.columns) {
      const c = row.cells[column.key];
      if (c !== undefined) cells[column.key] = cellJson(c);
    }
    out[row.key] = cells;
  }
  return out;
}

/** Assembles a report and its JSON; `extra` adds recipe-specific machine-readable results. */
export function buildReport(parts: {
  recipe: string;
  title: string;
  source: string;
  tables: readonly ReportTable[];
  claims?: readonly Claim[];
  figures?: readonly Figure[];
  notes?: readonly string[];
  extra?: JsonObject;
}): AnalysisReport {
  const claims = parts.claims ?? [];
  const notes = parts.notes ?? [];
  const json: JsonObject = { recipe: parts.recipe, title: parts.title, source: parts.source };
  for (const table of parts.tables) json[table.key] = tableJson(table);
  json.summary = summaryJson(parts.tables);
  if (claims.length > 0) {
    json.claims = claims.map((c) => ({ key: c.key, statement: c.statement, holds: c.holds, detail: c.detail }));
  }
  if (notes.length > 0) json.notes = [...notes];
  for (const [key, value] of Object.entries(parts.extra ?? {})) json[key] = value as JsonValue;
  return { ...parts, claims, notes, figures: parts.figures ?? [], json };
}

export interface MatchCount {
  readonly matched: number;
  readonly notMatched: number;
  readonly notCompared: number;
}

export function countMatches(table: ReportTable): MatchCount {
  let matched = 0, notMatched = 0, notCompared = 0;
  for (const row of table.rows) {
    for (const c of Object.values(row.cells)) {
      if (c.match === true) matched++;
      else if (c.match === false) notMatched++;
      else if (c.published !== null) notCompared++;
    }
  }
  return { matched, notMatched, notCompared };
}

function summaryJson(tables: readonly ReportTable[]): JsonObject {
  const out: JsonObject = {};
  for (const table of tables) out[table.key] = { ...countMatches(table) };
  return out;
}
