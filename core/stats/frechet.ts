/**
 * Fréchet distance between two Gaussians (FID when the inputs are Inception features):
 * |mu1 - mu2|² + tr(S1) + tr(S2) - 2 tr((S1 S2)^{1/2}).
 *
 * No matrix square root is formed. tr((S1 S2)^{1/2}) is the sum of square roots of the eigenvalues
 * of S1 S2, which are those of a symmetric PSD matrix similar to it:
 * - S1 = L L' (Cholesky) positive definite: L' S2 L (or the same with the roles swapped when only
 *   S2 is positive definite). One Cholesky, two triangular products and an eigenvalues-only
 *   symmetric solve (core/stats/linalg.ts, float64 SIMD WebAssembly kernels): ~1.3 d³
 *   multiply-adds, a few seconds at d = 2048; the two covariances (n d²/2 each) use the same kernel.
 * - both singular (fewer samples than dimensions): S1 = V diag(l) V' by ml-matrix's symmetric
 *   eigendecomposition, then diag(sqrt l) V' S2 V diag(sqrt l). Slower (eigenvectors), but exact
 *   for PSD input.
 * Both are symmetric problems, so they avoid what the reference code's scipy.linalg.sqrtm of the
 * non-symmetric product does: a complex Schur form with spurious imaginary parts.
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { StatisticsError } from "../errors.ts";
import { centredGram, choleskyInPlace, congruenceLower, symmetricEigenvalues } from "./linalg.ts";

/** Row-major feature matrix: `rows` samples of `cols` features. */
export interface DenseMatrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}
export type Features = DenseMatrix | readonly (readonly number[])[];

export interface GaussianStats {
  readonly mean: Float64Array;
  /** Row-major d x d covariance (ddof = 1, numpy.cov(rowvar=False)). */
  readonly cov: Float64Array;
  readonly dim: number;
}

function toDense(where: string, x: Features): DenseMatrix {
  if (!Array.isArray(x)) {
    const m = x as DenseMatrix;
    if (m.data.length !== m.rows * m.cols) throw new StatisticsError(where, `data has ${m.data.length} values, expected rows x cols = ${m.rows * m.cols}`);
    return m;
  }
  const rows = x.length;
  const cols = x[0]?.length ?? 0;
  const data = new Float64Array(rows * cols);
  x.forEach((row: readonly number[], i: number) => {
    if (row.length !== cols) throw new StatisticsError(where, `feature row ${i} has ${row.length} values, row 0 has ${cols}`);
    data.set(row, i * cols);
  });
  return { data, rows, cols };
}

/** Mean and covariance of the rows of a feature matrix. */
export function gaussianStats(features: Features): GaussianStats {
  const where = "gaussianStats";
  const { data, rows: n, cols: d } = toDense(where, features);
  if (n < 2 || d < 1) throw new StatisticsError(where, `need at least 2 rows and 1 column, got ${n} x ${d}`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new StatisticsError(where, `feature value at row ${Math.floor(i / d)}, column ${i % d} is ${data[i]}`);
  }
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += data[r * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  return { mean, cov: centredGram(data, n, d, mean, 1 / (n - 1)), dim: d };
}

/** Sum of square roots of eigenvalues, rounding-level negatives of a PSD matrix counted as 0. */
function sumSqrt(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.sqrt(Math.max(values[i], 0));
  return s;
}

/** tr((S1 S2)^{1/2}) for symmetric PSD S1, S2 (d x d, row-major). */
function traceSqrtProduct(s1: Float64Array, s2: Float64Array, d: number): number {
  for (const [first, second] of [[s1, s2], [s2, s1]]) {
    const l = first.slice();
    if (choleskyInPlace(l, d)) return sumSqrt(symmetricEigenvalues(congruenceLower(l, second, d), d));
  }
  const toMatrix = (a: Float64Array) => new Matrix(Array.from({ length: d }, (_, i) => Array.from(a.subarray(i * d, (i + 1) * d))));
  const eig = new EigenvalueDecomposition(toMatrix(s1), { assumeSymmetric: true });
  const V = eig.eigenvectorMatrix;
  const sqrtL = eig.realEigenvalues.map((l) => Math.sqrt(Math.max(l, 0)));
  const W = V.transpose().mmul(toMatrix(s2)).mmul(V);
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    // Symmetrised: the products' rounding leaves W slightly asymmetric.
    for (let j = 0; j < d; j++) m[i * d + j] = sqrtL[i] * sqrtL[j] * 0.5 * (W.get(i, j) + W.get(j, i));
  }
  return sumSqrt(symmetricEigenvalues(m, d));
}

/**
 * A symmetric copy (average of the two triangles). Covariances read from files may differ from
 * symmetric by rounding; a larger asymmetry means the input is not a covariance.
 */
function symmetrized(where: string, name: string, c: Float64Array, d: number): Float64Array {
  let scale = 0;
  for (let i = 0; i < d; i++) scale = Math.max(scale, Math.abs(c[i * d + i]));
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      const x = c[i * d + j];
      const y = c[j * d + i];
      if (Math.abs(x - y) > 1e-8 * scale) throw new StatisticsError(where, `${name} is not symmetric: [${i}][${j}] = ${x} but [${j}][${i}] = ${y}`);
      out[i * d + j] = out[j * d + i] = 0.5 * (x + y);
    }
  }
  return out;
}

/** Fréchet distance from means and covariances. */
export function frechetDistanceFromStats(a: GaussianStats, b: GaussianStats): number {
  const where = "frechetDistance";
  const d = a.dim;
  if (b.dim !== d || a.mean.length !== d || b.mean.length !== d || a.cov.length !== d * d || b.cov.length !== d * d) {
    throw new StatisticsError(where, `dimension mismatch: means ${a.mean.length} and ${b.mean.length}, covariances ${a.cov.length} and ${b.cov.length} entries, dim ${a.dim} vs ${b.dim}`);
  }
  for (const [name, v] of [["mean1", a.mean], ["mean2", b.mean], ["cov1", a.cov], ["cov2", b.cov]] as const) {
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new StatisticsError(where, `${name}[${i}] is ${v[i]}`);
  }
  const traceSqrt = traceSqrtProduct(symmetrized(where, "cov1", a.cov, d), symmetrized(where, "cov2", b.cov, d), d);
  let meanTerm = 0;
  let tr1 = 0;
  let tr2 = 0;
  for (let i = 0; i < d; i++) {
    meanTerm += (a.mean[i] - b.mean[i]) ** 2;
    tr1 += a.cov[i * d + i];
    tr2 += b.cov[i * d + i];
  }
  return meanTerm + tr1 + tr2 - 2 * traceSqrt;
}

/** Fréchet distance between the Gaussians fitted to two feature matrices (rows are samples). */
export function frechetDistance(features1: Features, features2: Features): number {
  return frechetDistanceFromStats(gaussianStats(features1), gaussianStats(features2));
}
