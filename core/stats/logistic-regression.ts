/**
 * Kornblith et al. 2019's fixed-feature transfer: L2-regularised multinomial logistic regression on
 * feature matrices, fitted with L-BFGS, at parity with scikit-learn's
 * `LogisticRegression(solver="lbfgs", multi_class="multinomial")`; for multilabel data (VOC 2007)
 * one binary logistic regression per class (one-vs-rest, sigmoid), each at parity with
 * scikit-learn's binary `LogisticRegression(solver="lbfgs")` on that class's column.
 *
 * Objective (scikit-learn's): C * sum_i -log softmax(W x_i + b)[y_i] + 0.5 * ||W||^2, the
 * intercept b not penalised. Equivalently, with lambda = 1 / C applied to the SUM of per-example
 * losses (Kornblith 2019): sum_i loss_i + (lambda / 2) * ||W||^2. Both have the same minimiser;
 * the problem is strictly convex in W, so a tight gradient tolerance gives sklearn's solution.
 */
import { IGNORED_LABEL } from "../contracts.ts";
import { StatisticsError } from "../errors.ts";
import type { DenseMatrix, Features } from "./frechet.ts";

export interface LogisticRegressionOptions {
  /** Inverse regularisation strength (sklearn's C); give C or lambda, not both. Default C = 1. */
  readonly C?: number;
  /** lambda = 1 / C: the L2 weight on the sum of per-example losses. */
  readonly lambda?: number;
  /** L-BFGS iterations at most (default 1000). */
  readonly maxIter?: number;
  /** Stop when max |gradient| of the mean-loss objective is at most tol (default 1e-10). */
  readonly tol?: number;
  /** Starting point (a model with the same classes and features), e.g. the previous point of a path. */
  readonly warmStart?: LogisticRegressionModel;
}

export interface LogisticRegressionModel {
  /** One softmax over the classes, or one sigmoid per class (independent binary fits). */
  readonly kind: "multinomial" | "one-vs-rest";
  /** Row-major numClasses x numFeatures weights. */
  readonly coef: Float64Array;
  readonly intercept: Float64Array;
  readonly numClasses: number;
  readonly numFeatures: number;
  readonly C: number;
  readonly lambda: number;
  /** L-BFGS iterations (one-vs-rest: the most any class took). */
  readonly iterations: number;
  /** False when maxIter ran out (or the line search stalled) before the gradient tolerance (one-vs-rest: for any class). */
  readonly converged: boolean;
  /** max |gradient| of the mean-loss objective at the returned point (one-vs-rest: over all classes). */
  readonly gradientMax: number;
}

/**
 * Multilabel targets: one row per sample, per class 1 (present), 0 (absent) or IGNORED_LABEL
 * (core/contracts.ts: the sample is left out of that class's fit, as VOC's difficult-only objects).
 */
export interface MultilabelFeatures {
  readonly X: Features;
  readonly Y: readonly (readonly number[])[];
}

export interface LabelledFeatures {
  readonly X: Features;
  readonly y: ArrayLike<number>;
}

export interface RegularisationPath {
  /** The chosen lambda (= 1 / C) and its C. */
  readonly lambda: number;
  readonly C: number;
  /** The grid of lambdas in the order fitted (largest first) and each fit's validation accuracy. */
  readonly grid: readonly number[];
  readonly valAccuracies: readonly number[];
  /** The fit on train alone at the chosen lambda: the point of the path whose val accuracy chose it. */
  readonly trainModel: LogisticRegressionModel;
  /** Refitted on train + val with the chosen lambda. */
  readonly model: LogisticRegressionModel;
}

/** The one-vs-rest path: one lambda shared by every class, chosen by the caller's val score. */
export interface OneVsRestPath extends Omit<RegularisationPath, "valAccuracies"> {
  /** Each fit's validation score, in grid order. */
  readonly valScores: readonly number[];
}

/** Kornblith 2019 (appendix A.3): 45 log-spaced lambdas from 1e-6 to 1e5. */
export function kornblithLambdaGrid(): number[] {
  return Array.from({ length: 45 }, (_, i) => 10 ** (-6 + (11 * i) / 44));
}

function toDense(where: string, x: Features): DenseMatrix {
  if (!Array.isArray(x)) {
    const m = x as DenseMatrix;
    if (!(m.data instanceof Float64Array)) throw new StatisticsError(where, "X must be a DenseMatrix ({ data: Float64Array, rows, cols }) or an array of rows");
    if (m.data.length !== m.rows * m.cols) throw new StatisticsError(where, `X.data has ${m.data.length} values, expected rows x cols = ${m.rows * m.cols}`);
    return m;
  }
  const rows = x.length;
  const cols = x[0]?.length ?? 0;
  const data = new Float64Array(rows * cols);
  x.forEach((row: readonly number[], i: number) => {
    if (row.length !== cols) throw new StatisticsError(where, `X is ragged: row ${i} has ${row.length} values, row 0 has ${cols}`);
    data.set(row, i * cols);
  });
  return { data, rows, cols };
}

function checkMatrix(where: string, m: DenseMatrix): void {
  if (m.rows < 1 || m.cols < 1) throw new StatisticsError(where, `X needs at least one row and one column, got ${m.rows} x ${m.cols}`);
  for (let i = 0; i < m.data.length; i++) {
    if (!Number.isFinite(m.data[i])) {
      throw new StatisticsError(where, `X[${Math.floor(i / m.cols)}][${i % m.cols}] is ${m.data[i]}; features must be finite numbers`);
    }
  }
}

/** Labels must be integers 0..K-1 with every class present (an absent class has no finite optimum: its intercept is unpenalised). */
function checkLabels(where: string, y: ArrayLike<number>, rows: number, numClasses?: number): Int32Array {
  if (y.length !== rows) throw new StatisticsError(where, `y has ${y.length} labels but X has ${rows} rows`);
  const out = new Int32Array(rows);
  let max = -1;
  for (let i = 0; i < rows; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0) throw new StatisticsError(where, `y[${i}] is ${v}; labels must be integers 0..K-1`);
    if (numClasses !== undefined && v >= numClasses) throw new StatisticsError(where, `y[${i}] is ${v}; labels must be in 0..${numClasses - 1} (the model has ${numClasses} classes)`);
    out[i] = v;
    if (v > max) max = v;
  }
  if (numClasses === undefined) {
    if (max < 1) throw new StatisticsError(where, "y needs at least 2 classes (labels 0..K-1)");
    const seen = new Uint8Array(max + 1);
    for (let i = 0; i < rows; i++) seen[out[i]] = 1;
    const missing = seen.indexOf(0);
    if (missing >= 0) throw new StatisticsError(where, `class ${missing} has no example in y; labels must be 0..K-1 with every class present`);
  }
  return out;
}

function regularisation(where: string, options: LogisticRegressionOptions): { C: number; lambda: number } {
  if (options.C !== undefined && options.lambda !== undefined) throw new StatisticsError(where, "give C or lambda (= 1 / C), not both");
  const C = options.C ?? (options.lambda !== undefined ? 1 / options.lambda : 1);
  if (!(C > 0) || !Number.isFinite(C)) {
    throw new StatisticsError(where, options.lambda !== undefined ? `lambda is ${options.lambda}; it must be a finite number > 0` : `C is ${options.C}; it must be a finite number > 0`);
  }
  return { C, lambda: 1 / C };
}

/** Row i's scores z = x_i W^T + b into out[i K .. i K + K); returns their max (the softmax's shift). */
function rowScores(X: DenseMatrix, i: number, coef: Float64Array, intercept: Float64Array, K: number, out: Float64Array): number {
  const d = X.cols;
  const xo = i * d;
  let max = -Infinity;
  for (let k = 0; k < K; k++) {
    let z = intercept[k];
    const wo = k * d;
    for (let j = 0; j < d; j++) z += coef[wo + j] * X.data[xo + j];
    out[i * K + k] = z;
    if (z > max) max = z;
  }
  return max;
}

/** Scores z = X W^T + b turned into softmax probabilities in place (row-wise, shifted by the max for stability). */
function softmaxScores(X: DenseMatrix, coef: Float64Array, intercept: Float64Array, K: number, out: Float64Array): void {
  for (let i = 0; i < X.rows; i++) {
    const max = rowScores(X, i, coef, intercept, K, out);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += (out[i * K + k] = Math.exp(out[i * K + k] - max));
    for (let k = 0; k < K; k++) out[i * K + k] /= sum;
  }
}

/**
 * Mean-loss objective h = (1/n) sum loss_i + (lambda / 2n) ||W||^2 (the sklearn objective divided
 * by C n, so the gradient tolerance does not depend on C or n) and its gradient, for theta = [W, b].
 */
function objective(X: DenseMatrix, y: Int32Array, K: number, lambda: number) {
  const n = X.rows, d = X.cols, nw = K * d;
  const z = new Float64Array(n * K);
  return (theta: Float64Array, grad: Float64Array): number => {
    const W = theta.subarray(0, nw), b = theta.subarray(nw);
    let loss = 0;
    // Log-sum-exp computed directly (not log of the softmax) so losses of confident rows keep precision.
    for (let i = 0; i < n; i++) {
      const max = rowScores(X, i, W, b, K, z);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(z[i * K + k] - max);
      loss += max + Math.log(sum) - z[i * K + y[i]];
      for (let k = 0; k < K; k++) z[i * K + k] = Math.exp(z[i * K + k] - max) / sum;
      z[i * K + y[i]] -= 1;
    }
    grad.fill(0);
    let sq = 0;
    for (let k = 0; k < K; k++) {
      const wo = k * d;
      for (let i = 0; i < n; i++) {
        const r = z[i * K + k];
        if (r === 0) continue;
        const xo = i * d;
        for (let j = 0; j < d; j++) grad[wo + j] += r * X.data[xo + j];
        grad[nw + k] += r;
      }
    }
    for (let t = 0; t < nw; t++) {
      sq += W[t] * W[t];
      grad[t] = grad[t] / n + (lambda / n) * W[t];
    }
    for (let k = 0; k < K; k++) grad[nw + k] /= n;
    return loss / n + (lambda / (2 * n)) * sq;
  };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

type ObjectiveFn = (x: Float64Array, g: Float64Array) => number;

/**
 * Strong-Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6, cubic interpolation with
 * bisection as safeguard). On success x, g hold the new point and its gradient; returns f there,
 * or undefined when no acceptable step was found (x, g then hold a rejected trial point).
 * Near the optimum the decrease in f falls below its rounding error while the gradient can still
 * shrink, so decrease is tested with a slack of 1e-12 |f| (as Hager-Zhang's approximate Wolfe
 * conditions do); the curvature condition then carries the progress.
 */
function strongWolfe(fg: ObjectiveFn, x0: Float64Array, f0: number, g0: Float64Array, p: Float64Array, step0: number, x: Float64Array, g: Float64Array): number | undefined {
  const c1 = 1e-4, c2 = 0.9, dphi0 = dot(g0, p), slack = 1e-12 * Math.max(1, Math.abs(f0));
  const phi = (a: number): [number, number] => {
    for (let i = 0; i < x.length; i++) x[i] = x0[i] + a * p[i];
    const f = fg(x, g);
    return [f, dot(g, p)];
  };
  // Minimiser of the cubic through (a, fa, da) and (b, fb, db), clamped into the bracket's inner 80%.
  const interpolate = (a: number, fa: number, da: number, b: number, fb: number, db: number): number => {
    const d1 = da + db - 3 * (fa - fb) / (a - b);
    const disc = d1 * d1 - da * db;
    const lo = Math.min(a, b), hi = Math.max(a, b), w = hi - lo;
    if (disc >= 0) {
      const d2 = Math.sign(b - a) * Math.sqrt(disc);
      const t = b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
      if (Number.isFinite(t) && t > lo + 0.1 * w && t < hi - 0.1 * w) return t;
    }
    return (lo + hi) / 2;
  };
  const zoom = (lo: number, flo: number, dlo: number, hi: number, fhi: number, dhi: number): number | undefined => {
    for (let it = 0; it < 40; it++) {
      const a = interpolate(lo, flo, dlo, hi, fhi, dhi);
      const [fa, da] = phi(a);
      if (fa > f0 + c1 * a * dphi0 + slack || fa >= flo + slack) {
        hi = a; fhi = fa; dhi = da;
      } else {
        if (Math.abs(da) <= -c2 * dphi0) return fa;
        if (da * (hi - lo) >= 0) { hi = lo; fhi = flo; dhi = dlo; }
        lo = a; flo = fa; dlo = da;
      }
      if (Math.abs(hi - lo) <= 1e-16 * Math.max(1, Math.abs(lo))) break;
    }
    // Bracket collapsed: accept lo if it decreased f (sufficient decrease holds there), else fail.
    if (lo > 0 && flo <= f0 + slack) { phi(lo); return flo; }
    return undefined;
  };
  let prev = 0, fprev = f0, dprev = dphi0, a = step0;
  for (let it = 0; it < 40; it++) {
    const [fa, da] = phi(a);
    if (!Number.isFinite(fa)) { a = (prev + a) / 2; continue; }
    if (fa > f0 + c1 * a * dphi0 + slack || (it > 0 && fa >= fprev + slack)) return zoom(prev, fprev, dprev, a, fa, da);
    if (Math.abs(da) <= -c2 * dphi0) return fa;
    if (da >= 0) return zoom(a, fa, da, prev, fprev, dprev);
    prev = a; fprev = fa; dprev = da;
    a *= 2;
  }
  return undefined;
}

/** L-BFGS (two-loop recursion, memory 10) with a strong-Wolfe line search. */
function lbfgs(fg: ObjectiveFn, start: Float64Array, maxIter: number, tol: number) {
  const m = 10, size = start.length;
  let x = Float64Array.from(start), g = new Float64Array(size);
  let f = fg(x, g);
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const p = new Float64Array(size), alpha = new Float64Array(m);
  let xn = new Float64Array(size), gn = new Float64Array(size);
  let iterations = 0;
  let gmax = maxAbs(g);
  while (gmax > tol && iterations < maxIter) {
    // Two-loop recursion: p = -H g.
    for (let i = 0; i < size; i++) p[i] = -g[i];
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(S[j], p);
      for (let i = 0; i < size; i++) p[i] -= alpha[j] * Y[j][i];
    }
    if (S.length > 0) {
      const last = S.length - 1, gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]);
      for (let i = 0; i < size; i++) p[i] *= gamma;
    }
    for (let j = 0; j < S.length; j++) {
      const beta = rho[j] * dot(Y[j], p);
      for (let i = 0; i < size; i++) p[i] += (alpha[j] - beta) * S[j][i];
    }
    // The first step has no curvature information: scale it to unit length.
    const step0 = S.length === 0 ? Math.min(1, 1 / Math.sqrt(dot(g, g))) : 1;
    const fn = strongWolfe(fg, x, f, g, p, step0, xn, gn);
    iterations++;
    if (fn === undefined) {
      if (S.length === 0) break; // even steepest descent found no decrease: numerically at the optimum
      S.length = 0; Y.length = 0; rho.length = 0; // stale curvature: restart from steepest descent
      continue;
    }
    const s = new Float64Array(size), yv = new Float64Array(size);
    for (let i = 0; i < size; i++) { s[i] = xn[i] - x[i]; yv[i] = gn[i] - g[i]; }
    const sy = dot(s, yv);
    // Curvature pairs with s'y <= 0 would make H indefinite; the strong Wolfe conditions rule them out but rounding may not.
    if (sy > 1e-300) {
      if (S.length === m) { S.shift(); Y.shift(); rho.shift(); }
      S.push(s); Y.push(yv); rho.push(1 / sy);
    }
    [x, xn] = [xn, x];
    [g, gn] = [gn, g];
    f = fn;
    gmax = maxAbs(g);
  }
  return { x, iterations, gmax, converged: gmax <= tol };
}

/** Fit the multinomial logistic regression (labels 0..K-1, every class present in y). */
export function fitLogisticRegression(X: Features, y: ArrayLike<number>, options: LogisticRegressionOptions = {}): LogisticRegressionModel {
  const where = "fitLogisticRegression";
  const m = toDense(where, X);
  checkMatrix(where, m);
  const labels = checkLabels(where, y, m.rows);
  const K = Math.max(...labels) + 1, d = m.cols;
  const { C, lambda } = regularisation(where, options);
  const maxIter = options.maxIter ?? 1000, tol = options.tol ?? 1e-10;
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new StatisticsError(where, `maxIter is ${maxIter}; it must be an integer >= 1`);
  if (!(tol > 0)) throw new StatisticsError(where, `tol is ${tol}; it must be a number > 0`);
  const theta = new Float64Array(K * d + K);
  const warm = options.warmStart;
  if (warm) {
    if (warm.kind !== "multinomial" || warm.numClasses !== K || warm.numFeatures !== d) {
      throw new StatisticsError(where, `warmStart is a ${warm.kind} model of ${warm.numClasses} classes x ${warm.numFeatures} features, the data needs a multinomial ${K} x ${d}`);
    }
    theta.set(warm.coef, 0);
    theta.set(warm.intercept, K * d);
  }
  const r = lbfgs(objective(m, labels, K, lambda), theta, maxIter, tol);
  return {
    kind: "multinomial", coef: r.x.slice(0, K * d), intercept: r.x.slice(K * d), numClasses: K, numFeatures: d, C, lambda,
    iterations: r.iterations, converged: r.converged, gradientMax: r.gmax,
  };
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log(1 + e^t) without overflow, and without losing small values to the 1. */
function softplus(t: number): number {
  return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t));
}

/**
 * Multi-hot rows as one Int8Array column per class (1, 0 or IGNORED_LABEL); every class needs a
 * present and an absent sample among those not ignored (otherwise its unpenalised intercept has no
 * finite optimum).
 */
function checkMultilabel(where: string, Y: readonly (readonly number[])[], rows: number, numClasses?: number): Int8Array[] {
  if (Y.length !== rows) throw new StatisticsError(where, `Y has ${Y.length} rows but X has ${rows}`);
  const K = numClasses ?? Y[0]?.length ?? 0;
  if (K < 1) throw new StatisticsError(where, "Y rows need at least one class column");
  const columns = Array.from({ length: K }, () => new Int8Array(rows));
  Y.forEach((row, i) => {
    if (row.length !== K) throw new StatisticsError(where, `Y[${i}] has ${row.length} classes, expected ${K}`);
    row.forEach((v, c) => {
      if (v !== 0 && v !== 1 && v !== IGNORED_LABEL) throw new StatisticsError(where, `Y[${i}][${c}] is ${v}; expected 1 (present), 0 (absent) or ${IGNORED_LABEL} (ignored)`);
      columns[c][i] = v;
    });
  });
  if (numClasses === undefined) {
    columns.forEach((col, c) => {
      if (!col.includes(1) || !col.includes(0)) throw new StatisticsError(where, `class ${c} has ${col.includes(1) ? "no absent" : "no present"} sample in Y; each one-vs-rest fit needs both`);
    });
  }
  return columns;
}

/**
 * Binary mean-loss objective of one class, h = (1/n) sum log(1 + e^(-s_i z_i)) + (lambda / 2n) ||w||^2
 * over the n rows not ignored (s_i = +-1, z_i = w x_i + b; sklearn's binary objective divided by C n).
 */
function binaryObjective(X: DenseMatrix, y: Int8Array, lambda: number) {
  const d = X.cols;
  const used = Int32Array.from(Array.from(y.keys()).filter((i) => y[i] !== IGNORED_LABEL));
  const n = used.length;
  return (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (const i of used) {
      const xo = i * d;
      let z = theta[d];
      for (let j = 0; j < d; j++) z += theta[j] * X.data[xo + j];
      loss += softplus(y[i] === 1 ? -z : z);
      const r = sigmoid(z) - y[i];
      for (let j = 0; j < d; j++) grad[j] += r * X.data[xo + j];
      grad[d] += r;
    }
    let sq = 0;
    for (let j = 0; j < d; j++) {
      sq += theta[j] * theta[j];
      grad[j] = grad[j] / n + (lambda / n) * theta[j];
    }
    grad[d] /= n;
    return loss / n + (lambda / (2 * n)) * sq;
  };
}

/**
 * One-vs-rest logistic regression for multilabel data: per class an independent binary fit (the
 * same L-BFGS, tolerance and regularisation as the multinomial fit) on the rows not ignored for it.
 */
export function fitOneVsRestLogisticRegression(X: Features, Y: readonly (readonly number[])[], options: LogisticRegressionOptions = {}): LogisticRegressionModel {
  const where = "fitOneVsRestLogisticRegression";
  const m = toDense(where, X);
  checkMatrix(where, m);
  const columns = checkMultilabel(where, Y, m.rows);
  const K = columns.length, d = m.cols;
  const { C, lambda } = regularisation(where, options);
  const maxIter = options.maxIter ?? 1000, tol = options.tol ?? 1e-10;
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new StatisticsError(where, `maxIter is ${maxIter}; it must be an integer >= 1`);
  if (!(tol > 0)) throw new StatisticsError(where, `tol is ${tol}; it must be a number > 0`);
  const warm = options.warmStart;
  if (warm && (warm.kind !== "one-vs-rest" || warm.numClasses !== K || warm.numFeatures !== d)) {
    throw new StatisticsError(where, `warmStart is a ${warm.kind} model of ${warm.numClasses} classes x ${warm.numFeatures} features, the data needs a one-vs-rest ${K} x ${d}`);
  }
  const coef = new Float64Array(K * d), intercept = new Float64Array(K);
  let iterations = 0, converged = true, gradientMax = 0;
  columns.forEach((y, c) => {
    const theta = new Float64Array(d + 1);
    if (warm) {
      theta.set(warm.coef.subarray(c * d, (c + 1) * d));
      theta[d] = warm.intercept[c];
    }
    const r = lbfgs(binaryObjective(m, y, lambda), theta, maxIter, tol);
    coef.set(r.x.subarray(0, d), c * d);
    intercept[c] = r.x[d];
    iterations = Math.max(iterations, r.iterations);
    converged &&= r.converged;
    gradientMax = Math.max(gradientMax, r.gmax);
  });
  return { kind: "one-vs-rest", coef, intercept, numClasses: K, numFeatures: d, C, lambda, iterations, converged, gradientMax };
}

/** Class probabilities: a row-major rows x numClasses matrix (softmax rows; one-vs-rest: each class's sigmoid). */
export function logisticPredictProba(model: LogisticRegressionModel, X: Features): DenseMatrix {
  const where = "logisticPredictProba";
  const m = toDense(where, X);
  checkMatrix(where, m);
  if (m.cols !== model.numFeatures) throw new StatisticsError(where, `X has ${m.cols} features, the model ${model.numFeatures}`);
  const out = new Float64Array(m.rows * model.numClasses);
  if (model.kind === "multinomial") {
    softmaxScores(m, model.coef, model.intercept, model.numClasses, out);
  } else {
    for (let i = 0; i < m.rows; i++) rowScores(m, i, model.coef, model.intercept, model.numClasses, out);
    for (let t = 0; t < out.length; t++) out[t] = sigmoid(out[t]);
  }
  return { data: out, rows: m.rows, cols: model.numClasses };
}

/** Most probable class per row (the first on ties, as numpy's argmax). */
export function logisticPredict(model: LogisticRegressionModel, X: Features): Int32Array {
  const p = logisticPredictProba(model, X);
  const out = new Int32Array(p.rows);
  for (let i = 0; i < p.rows; i++) {
    let best = 0;
    for (let k = 1; k < p.cols; k++) if (p.data[i * p.cols + k] > p.data[i * p.cols + best]) best = k;
    out[i] = best;
  }
  return out;
}

function accuracy(model: LogisticRegressionModel, data: { m: DenseMatrix; y: Int32Array }): number {
  const pred = logisticPredict(model, data.m);
  let hits = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === data.y[i]) hits++;
  return hits / pred.length;
}

/** The lambdas of a path, strongest regularisation first (Kornblith's grid when none is given). */
function pathGrid(where: string, given: readonly number[] | undefined): number[] {
  const grid = [...(given ?? kornblithLambdaGrid())].sort((a, b) => b - a);
  if (grid.length === 0) throw new StatisticsError(where, "grid is empty; it needs at least one lambda");
  grid.forEach((l, i) => {
    if (!(l > 0) || !Number.isFinite(l)) throw new StatisticsError(where, `grid[${i}] is ${l}; lambdas must be finite numbers > 0`);
  });
  return grid;
}

/** Train's rows then val's, for the refit on train + val. */
function stackRows(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
  const data = new Float64Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { data, rows: a.rows + b.rows, cols: a.cols };
}

/** Fits along the grid, each warm-started from the fit before, scoring each on val; `best` is the first highest score. */
function walkPath(
  grid: readonly number[], fit: (lambda: number, warmStart: LogisticRegressionModel | undefined) => LogisticRegressionModel,
  score: (model: LogisticRegressionModel, lambda: number) => number,
): { path: LogisticRegressionModel[]; scores: number[]; best: number } {
  const path: LogisticRegressionModel[] = [];
  const scores: number[] = [];
  let best = 0;
  for (const lambda of grid) {
    const model = fit(lambda, path.at(-1));
    path.push(model);
    scores.push(score(model, lambda));
    if (scores[scores.length - 1] > scores[best]) best = scores.length - 1;
  }
  return { path, scores, best };
}

/**
 * Kornblith 2019's choice of lambda: fit on train along the grid from the strongest regularisation
 * to the weakest, each fit warm-started from the previous one, score accuracy on val, pick the best
 * (ties go to the larger lambda, the simpler model), and refit on train + val warm-started from
 * that point of the path.
 */
export function selectRegularisation(
  train: LabelledFeatures, val: LabelledFeatures,
  options: { grid?: readonly number[]; maxIter?: number; tol?: number } = {},
): RegularisationPath {
  const where = "selectRegularisation";
  const tm = toDense(where, train.X), vm = toDense(where, val.X);
  checkMatrix(where, tm);
  checkMatrix(where, vm);
  if (vm.cols !== tm.cols) throw new StatisticsError(where, `val has ${vm.cols} features, train ${tm.cols}`);
  const ty = checkLabels(where, train.y, tm.rows);
  const K = Math.max(...ty) + 1;
  const vy = checkLabels(where, val.y, vm.rows, K);
  const grid = pathGrid(where, options.grid);
  const fitOpts = { maxIter: options.maxIter, tol: options.tol };
  const { path, scores: valAccuracies, best } = walkPath(
    grid, (lambda, warmStart) => fitLogisticRegression(tm, ty, { ...fitOpts, lambda, warmStart }), (model) => accuracy(model, { m: vm, y: vy }),
  );
  const ally = new Int32Array(ty.length + vy.length);
  ally.set(ty);
  ally.set(vy, ty.length);
  const model = fitLogisticRegression(stackRows(tm, vm), ally, { ...fitOpts, lambda: grid[best], warmStart: path[best] });
  return { lambda: grid[best], C: 1 / grid[best], grid, valAccuracies, trainModel: path[best], model };
}

/**
 * The same protocol for multilabel data: one-vs-rest fits along the grid (largest lambda first, each
 * class warm-started from its previous fit), one lambda for every class chosen by `score` of the
 * val probabilities (the run's selection metric: 11-point mAP for VOC 2007; ties go to the larger
 * lambda), then refitted on train + val.
 */
export function selectOneVsRestRegularisation(
  train: MultilabelFeatures, val: MultilabelFeatures,
  options: { score: (Y: readonly (readonly number[])[], proba: number[][]) => number; grid?: readonly number[]; maxIter?: number; tol?: number },
): OneVsRestPath {
  const where = "selectOneVsRestRegularisation";
  const tm = toDense(where, train.X), vm = toDense(where, val.X);
  checkMatrix(where, tm);
  checkMatrix(where, vm);
  if (vm.cols !== tm.cols) throw new StatisticsError(where, `val has ${vm.cols} features, train ${tm.cols}`);
  const K = checkMultilabel(where, train.Y, tm.rows).length;
  checkMultilabel(where, val.Y, vm.rows, K);
  const grid = pathGrid(where, options.grid);
  const fitOpts = { maxIter: options.maxIter, tol: options.tol };
  const { path, scores: valScores, best } = walkPath(
    grid, (lambda, warmStart) => fitOneVsRestLogisticRegression(tm, train.Y, { ...fitOpts, lambda, warmStart }),
    (model, lambda) => {
      const p = logisticPredictProba(model, vm);
      const score = options.score(val.Y, Array.from({ length: p.rows }, (_, i) => Array.from(p.data.subarray(i * K, (i + 1) * K))));
      if (!Number.isFinite(score)) throw new StatisticsError(where, `score of the val predictions at lambda ${lambda} is ${score}; expected a finite number`);
      return score;
    },
  );
  const model = fitOneVsRestLogisticRegression(stackRows(tm, vm), [...train.Y, ...val.Y], { ...fitOpts, lambda: grid[best], warmStart: path[best] });
  return { lambda: grid[best], C: 1 / grid[best], grid, valScores, trainModel: path[best], model };
}
