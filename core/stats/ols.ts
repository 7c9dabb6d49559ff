/** Ordinary least squares and nested-model F tests with statsmodels OLS semantics. */
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { StatisticsError } from "../errors.ts";
import { fSf, tTwoSided } from "./special.ts";
import { checkFinite } from "./validate.ts";

export interface OlsResult {
  /** Coefficients; coef[0] is the intercept when it was added. */
  readonly coef: number[];
  readonly se: number[];
  readonly t: number[];
  /** Two-sided p-values of the t statistics (df = dfResid). */
  readonly p: number[];
  /** Centered R² when the model has a constant (explicit or implicit), uncentered otherwise. */
  readonly r2: number;
  readonly adjR2: number;
  readonly dfResid: number;
  /** Sum of squared residuals. */
  readonly ssr: number;
  readonly n: number;
  /** Number of columns of the design matrix, intercept included. */
  readonly k: number;
  /** Rank of the design matrix (statsmodels' tolerance). */
  readonly rank: number;
  /** Whether the design has a constant, detected as statsmodels does. */
  readonly hasConstant: boolean;
}

/** Natural log odds; the domain is the open interval (0, 1). */
export function logit(p: number): number {
  if (!(p > 0 && p < 1)) throw new StatisticsError("logit", `p must lie in (0, 1), got ${p}`);
  return Math.log(p / (1 - p));
}

const EPS = 2 ** -52;

function singularValues(m: Matrix): number[] {
  return new SingularValueDecomposition(m, { computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true }).diagonal;
}

/** numpy.linalg.matrix_rank: singular values above smax * max(rows, cols) * eps. */
function matrixRank(m: Matrix): number {
  const s = singularValues(m);
  const tol = Math.max(...s) * Math.max(m.rows, m.columns) * EPS;
  return s.filter((v) => v > tol).length;
}

/** statsmodels' constant detection: a constant non-zero column, else an implicit constant. */
function detectConstant(X: number[][], n: number, k: number): boolean {
  const constCols: number[] = [];
  for (let j = 0; j < k; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, X[i][j]);
      hi = Math.max(hi, X[i][j]);
    }
    if (lo === hi) constCols.push(j);
  }
  if (constCols.some((j) => X[0][j] !== 0)) return true;
  const augmented = new Matrix(X.map((row) => [1, ...row]));
  return matrixRank(new Matrix(X)) === matrixRank(augmented);
}

/**
 * OLS of y on X (rows are observations). Solved by the SVD pseudo-inverse with statsmodels'
 * cutoff (1e-15 * largest singular value), so rank-deficient designs give the same minimum-norm
 * coefficients and residual degrees of freedom (n - rank) as statsmodels.
 */
export function ols(y: number[], X: number[][], opts: { intercept?: boolean } = {}): OlsResult {
  const where = "ols";
  const intercept = opts.intercept ?? true;
  const n = y.length;
  checkFinite(where, "y", y);
  if (X.length !== n) throw new StatisticsError(where, `X has ${X.length} rows but y has ${n} values`);
  const width = X[0]?.length ?? 0;
  X.forEach((row, i) => {
    if (row.length !== width) throw new StatisticsError(where, `X row ${i} has ${row.length} columns, row 0 has ${width}`);
    checkFinite(where, `X[${i}]`, row, 0);
  });
  const design = intercept ? X.map((row) => [1, ...row]) : X.map((row) => [...row]);
  const k = design[0].length;
  if (k === 0) throw new StatisticsError(where, "the design has no columns (no regressors and intercept: false)");

  const svd = new SingularValueDecomposition(new Matrix(design), { autoTranspose: true });
  const s = svd.diagonal;
  const U = svd.leftSingularVectors;
  const V = svd.rightSingularVectors;
  const smax = Math.max(...s);
  const inv = s.map((v) => (v > 1e-15 * smax ? 1 / v : 0));
  const rank = s.filter((v) => v > smax * k * EPS).length;
  const dfResid = n - rank;
  if (dfResid <= 0) {
    throw new StatisticsError(where, `no residual degrees of freedom (n = ${n}, rank = ${rank}); need more observations than parameters`);
  }

  // U'y, then coef = V diag(1/s) U'y.
  const uty = s.map((_, j) => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += U.get(i, j) * y[i];
    return acc * inv[j];
  });
  const coef = Array.from({ length: k }, (_, a) => uty.reduce((acc, v, j) => acc + V.get(a, j) * v, 0));
  let ssr = 0;
  for (let i = 0; i < n; i++) {
    let fit = 0;
    for (let a = 0; a < k; a++) fit += design[i][a] * coef[a];
    ssr += (y[i] - fit) ** 2;
  }
  const scale = ssr / dfResid;
  const se = coef.map((_, a) => Math.sqrt(scale * s.reduce((acc, _v, j) => acc + (V.get(a, j) * inv[j]) ** 2, 0)));
  const t = coef.map((c, a) => c / se[a]);
  const p = t.map((v) => tTwoSided(v, dfResid));

  const hasConstant = detectConstant(design, n, k);
  const ybar = y.reduce((a, b) => a + b, 0) / n;
  const tss = hasConstant ? y.reduce((acc, v) => acc + (v - ybar) ** 2, 0) : y.reduce((acc, v) => acc + v * v, 0);
  const r2 = 1 - ssr / tss;
  const kConstant = hasConstant ? 1 : 0;
  const adjR2 = 1 - ((n - kConstant) / dfResid) * (1 - r2);
  return { coef, se, t, p, r2, adjR2, dfResid, ssr, n, k, rank, hasConstant };
}

/**
 * F test of a restricted model nested in a full one (statsmodels `full.compare_f_test(restricted)`):
 * F = ((ssr_r - ssr_f) / (df_r - df_f)) / (ssr_f / df_f).
 */
export function nestedFTest(restricted: OlsResult, full: OlsResult): { F: number; dfNum: number; dfDen: number; p: number } {
  if (restricted.n !== full.n) {
    throw new StatisticsError("nestedFTest", `the models were fit on different numbers of observations (${restricted.n} vs ${full.n})`);
  }
  const dfNum = restricted.dfResid - full.dfResid;
  if (dfNum <= 0) {
    throw new StatisticsError("nestedFTest", `the restricted model must have more residual df than the full one (${restricted.dfResid} vs ${full.dfResid}); are the arguments swapped?`);
  }
  const dfDen = full.dfResid;
  const F = ((restricted.ssr - full.ssr) / dfNum / full.ssr) * dfDen;
  return { F, dfNum, dfDen, p: fSf(F, dfNum, dfDen) };
}
