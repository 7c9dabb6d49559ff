/**
 * McNemar's test of two classifiers scored on the same samples (Kornblith et al. 2019), computed
 * as statsmodels.stats.contingency_tables.mcnemar computes it, exact binomial or chi-square.
 */
import { StatisticsError } from "../errors.ts";
import { mcnemarExactFromCounts } from "./hypothesis.ts";
import { normalSf } from "./special.ts";

/**
 * A 2 x 2 table of paired outcomes, rows model A (correct, wrong), columns model B (correct,
 * wrong): only the discordant cells b = table[0][1] (A right, B wrong) and c = table[1][0] count.
 */
export type McNemarTable = readonly (readonly number[])[];
export type McNemarCounts = McNemarTable | { readonly b: number; readonly c: number };

export interface McNemarOptions {
  /** Binomial test on min(b, c) (default, as statsmodels); false: chi-square with 1 df. */
  exact?: boolean;
  /** Continuity correction of the chi-square statistic (default true); ignored when exact. */
  correction?: boolean;
}

export interface McNemarResult {
  /** min(b, c) when exact, else the chi-square statistic. */
  statistic: number;
  p: number;
  b: number;
  c: number;
  exact: boolean;
  correction: boolean;
}

const WHERE = "mcnemar";

function checkCount(where: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new StatisticsError(where, `${name} must be a non-negative integer count, got ${String(v)}`);
  }
  return v;
}

function discordant(counts: McNemarCounts): { b: number; c: number } {
  if (!Array.isArray(counts)) {
    const { b, c } = counts as { b: unknown; c: unknown };
    return { b: checkCount(WHERE, "b", b), c: checkCount(WHERE, "c", c) };
  }
  const table = counts as McNemarTable;
  if (table.length !== 2 || table.some((row) => !Array.isArray(row) || row.length !== 2)) {
    throw new StatisticsError(WHERE, `table must be 2 x 2 (rows: model A correct/wrong, columns: model B correct/wrong), got ${table.length} row(s) of lengths ${table.map((r) => (Array.isArray(r) ? r.length : typeof r)).join(", ")}`);
  }
  // The concordant cells do not enter the test, but a negative or fractional one means the table
  // is not a table of counts, so it is rejected like the discordant ones.
  table.forEach((row, i) => row.forEach((v, j) => checkCount(WHERE, `table[${i}][${j}]`, v)));
  return { b: table[0][1], c: table[1][0] };
}

/**
 * McNemar's test from a 2 x 2 table or the discordant counts {b, c}, statsmodels'
 * `mcnemar(table, exact, correction)`:
 * - exact (default): statistic min(b, c), p = min(1, 2 * P(Binomial(b + c, 1/2) <= min(b, c)));
 *   b + c = 0 gives statistic 0 and p = 1, as statsmodels.
 * - chi-square: statistic (|b - c| - 1)^2 / (b + c) with the correction, (b - c)^2 / (b + c)
 *   without, p its chi-square(1) tail. statsmodels does not clip |b - c| - 1 at 0, so b = c gives
 *   1 / (b + c) with the correction; xfer returns the same. For b + c = 0 statsmodels divides by
 *   zero (inf and p = 0 with the correction, NaN without); xfer throws a StatisticsError instead.
 */
export function mcnemar(counts: McNemarCounts, opts: McNemarOptions = {}): McNemarResult {
  const { b, c } = discordant(counts);
  const exact = opts.exact ?? true;
  const correction = opts.correction ?? true;
  if (exact) return { ...mcnemarExactFromCounts(b, c), b, c, exact, correction };
  const n = b + c;
  if (n === 0) {
    throw new StatisticsError(WHERE, "b + c = 0 (no sample on which the two models disagree): the chi-square statistic is undefined; use exact: true, which gives p = 1");
  }
  const statistic = (Math.abs(b - c) - (correction ? 1 : 0)) ** 2 / n;
  // chi2(1) upper tail = P(|Z| > sqrt(x)), taken from the normal upper tail so small p-values keep
  // their relative precision (scipy's chi2.sf, igamc(1/2, x/2), is the same function).
  return { statistic, p: Math.min(1, 2 * normalSf(Math.sqrt(statistic))), b, c, exact, correction };
}

/**
 * McNemar's test of two models' predictions on the same labelled samples: builds the 2 x 2 table
 * of correct/wrong (rows model A, columns model B; a prediction is correct when it equals the
 * label) and tests it as `mcnemar` does. Labels compare with ===, so numbers and strings both work.
 */
export function mcnemarFromPredictions<L extends number | string>(
  yTrue: ArrayLike<L>,
  predA: ArrayLike<L>,
  predB: ArrayLike<L>,
  opts: McNemarOptions = {},
): McNemarResult & { table: [[number, number], [number, number]] } {
  const where = "mcnemarFromPredictions";
  if (predA.length !== yTrue.length || predB.length !== yTrue.length) {
    throw new StatisticsError(where, `yTrue, predA and predB must have one entry per sample, got lengths ${yTrue.length}, ${predA.length} and ${predB.length}`);
  }
  if (yTrue.length === 0) throw new StatisticsError(where, "yTrue needs at least 1 sample, got 0");
  const table: [[number, number], [number, number]] = [[0, 0], [0, 0]];
  for (let i = 0; i < yTrue.length; i++) {
    for (const [name, v] of [["yTrue", yTrue[i]], ["predA", predA[i]], ["predB", predB[i]]] as const) {
      // NaN equals nothing, so it would silently count as wrong.
      if (typeof v === "number" ? Number.isNaN(v) : typeof v !== "string") {
        throw new StatisticsError(where, `${name}[${i}] is ${String(v)}; labels must be numbers or strings`);
      }
    }
    table[yTrue[i] === predA[i] ? 0 : 1][yTrue[i] === predB[i] ? 0 : 1]++;
  }
  return { ...mcnemar(table, opts), table };
}
