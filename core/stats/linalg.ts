/**
 * Dense symmetric kernels on row-major Float64Arrays, written for the FID sizes (d = 2048), where
 * ml-matrix's array-of-arrays JAMA port (eigenvectors always computed) takes minutes.
 * The loops touch rows contiguously; eigenvalues come from Householder tridiagonalization
 * (EISPACK tred1 order, lower triangle only) followed by the implicit QL iteration of JAMA's tql2
 * without eigenvector accumulation. The O(n³) loops run in small f64x2 SIMD WebAssembly kernels
 * (see SimdKernels); everything is float64.
 */
import {
  assembleModule, F64, f64Add, f64Store, f64x2Add, f64x2Mul, f64x2Sub, get, I32, i32Add, i32Const, i32GeU, i32Mul, set, simd, tee, V128, v128Load,
  v128Store,
} from "../wasm/assembler.ts";

const EPS = 2 ** -52;

/**
 * In-place lower Cholesky factor of a symmetric matrix (upper triangle left untouched).
 * Returns false when a pivot is not clearly positive (pivot <= tol * original diagonal), i.e. the
 * matrix is singular or indefinite to working precision; `a` is then left unchanged.
 */
export function choleskyInPlace(a: Float64Array, n: number, tol = 1e-12): boolean {
  const ws = new Workspace(n, n, 1);
  const v = ws.values;
  v.set(a.subarray(0, n * n));
  // Left-looking, four columns [j0, j0 + w) at a time: their diagonal block first, then each block
  // of four rows below from one 4 x 4 dot-product block over the finished columns k < j0, plus
  // the few terms inside the column block.
  for (let j0 = 0; j0 < n; j0 += 4) {
    const w = Math.min(4, n - j0);
    for (let c = 0; c < w; c++) {
      const j = j0 + c;
      const rj = j * n;
      for (let i = j; i < j0 + w; i++) {
        const ri = i * n;
        let s = v[ri + j];
        for (let k = 0; k < j; k++) s -= v[ri + k] * v[rj + k];
        if (i > j) {
          v[ri + j] = s / v[rj + j];
        } else {
          if (!(s > tol * v[rj + j]) || !Number.isFinite(s)) return false;
          v[rj + j] = Math.sqrt(s);
        }
      }
    }
    for (let i0 = j0 + w; i0 < n; i0 += 4) {
      const acc = ws.block(0, i0, 0, j0, 0, j0);
      for (let q = 0; q < 4 && i0 + q < n; q++) {
        const ri = (i0 + q) * n;
        for (let c = 0; c < w; c++) {
          const rj = (j0 + c) * n;
          let s = v[ri + j0 + c] - acc[c * 4 + q];
          for (let k = j0; k < j0 + c; k++) s -= v[ri + k] * v[rj + k];
          v[ri + j0 + c] = s / v[rj + j0 + c];
        }
      }
    }
  }
  a.set(v.subarray(0, n * n));
  return true;
}

/**
 * Xc'Xc * scale for the row-major n x d matrix X with its columns centred (Xc = X - 1 mean'): the
 * covariance when scale = 1/(n-1). Xc is stored column-major in the kernels' memory, so each entry
 * is a contiguous dot product.
 */
export function centredGram(x: Float64Array, n: number, d: number, mean: Float64Array, scale: number): Float64Array {
  const ws = new Workspace(n, d, 1);
  const v = ws.values;
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) v[j * n + r] = x[r * d + j] - mean[j];
  const result = new Float64Array(d * d);
  for (let i0 = 0; i0 < d; i0 += 4) {
    for (let j0 = i0; j0 < d; j0 += 4) {
      const acc = ws.block(0, i0, 0, j0, 0, n);
      for (let b = 0; b < 4 && j0 + b < d; b++) {
        for (let q = 0; q < 4 && i0 + q <= j0 + b; q++) {
          result[(i0 + q) * d + j0 + b] = result[(j0 + b) * d + i0 + q] = acc[b * 4 + q] * scale;
        }
      }
    }
  }
  return result;
}

/**
 * M = L' S L for lower-triangular L (lower triangle of `l`) and symmetric S; returns M (full).
 * With S = F + F', F = (strict lower triangle of S) + diag(S)/2, M = X + X' for X = L'(F L), and
 * F L is lower triangular: n³/6 + n³/3 multiply-adds instead of n³/2 + n³/3 for L'(S L).
 */
export function congruenceLower(l: Float64Array, s: Float64Array, n: number): Float64Array {
  const ws = new Workspace(n, n, 4);
  const v = ws.values;
  // Lt row j holds column j of L (zero before position j), so every dot product is over
  // contiguous rows and a block of rows can start at the block's first index.
  const [lt, f, wt, x] = [0, 1, 2, 3].map((i) => ws.matrix(i));
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < k; j++) {
      v[lt + j * n + k] = l[k * n + j];
      v[f + k * n + j] = s[k * n + j];
    }
    v[lt + k * n + k] = l[k * n + k];
    v[f + k * n + k] = 0.5 * s[k * n + k];
  }
  // Wt[j][k] = (F L)[k][j] = dot(Lt row j, F row k) over j <= m <= k; zero for k < j.
  for (let j0 = 0; j0 < n; j0 += 4) {
    for (let k0 = j0; k0 < n; k0 += 4) {
      const acc = ws.block(lt, j0, f, k0, j0, Math.min(k0 + 4, n));
      for (let b = 0; b < 4 && k0 + b < n; b++) {
        for (let q = 0; q < 4 && j0 + q < n; q++) v[wt + (j0 + q) * n + k0 + b] = acc[b * 4 + q];
      }
    }
  }
  // X[i][j] = sum_k L[k][i] (F L)[k][j] = dot(Lt row i, Wt row j) over k >= max(i, j).
  for (let i0 = 0; i0 < n; i0 += 4) {
    for (let j0 = 0; j0 < n; j0 += 4) {
      const acc = ws.block(lt, i0, wt, j0, Math.max(i0, j0), n);
      for (let b = 0; b < 4 && j0 + b < n; b++) {
        for (let q = 0; q < 4 && i0 + q < n; q++) v[x + (i0 + q) * n + j0 + b] = acc[b * 4 + q];
      }
    }
  }
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) m[i * n + j] = m[j * n + i] = v[x + i * n + j] + v[x + j * n + i];
  }
  return m;
}

/**
 * Row-major matrices of `rows` x `cols` in one WebAssembly memory for the dot4x4 kernel. Each has
 * three zero rows of padding, so a block of four rows may run past the last row (those results
 * are discarded).
 */
class Workspace {
  readonly values: Float64Array;
  private readonly kernels: SimdKernels;
  private readonly cols: number;
  private readonly size: number;
  private readonly outAt: number;
  private readonly out: Float64Array;

  constructor(cols: number, rows: number, matrices: number) {
    this.cols = cols;
    this.size = (rows + 3) * cols;
    this.outAt = matrices * this.size;
    const memory = new WebAssembly.Memory({ initial: Math.ceil(((this.outAt + 16) * 8) / 65536) });
    this.kernels = simdKernels(memory);
    this.values = new Float64Array(memory.buffer, 0, this.outAt);
    this.out = new Float64Array(memory.buffer, this.outAt * 8, 16);
  }

  /** Offset (in values) of matrix i. */
  matrix(i: number): number {
    return i * this.size;
  }

  /** out[b * 4 + q] = sum_{from <= m < to} left[i0 + q][m] right[j0 + b][m] (matrices by offset). */
  block(left: number, i0: number, right: number, j0: number, from: number, to: number): Float64Array {
    const n = this.cols;
    const len = Math.max(to - from, 0);
    const l = left + i0 * n + from;
    const r = right + j0 * n + from;
    this.kernels.dot4x4(l * 8, n * 8, r * 8, n * 8, len >> 1, this.outAt * 8);
    if (len & 1) {
      const m = len - 1;
      const v = this.values;
      for (let b = 0; b < 4; b++) for (let q = 0; q < 4; q++) this.out[b * 4 + q] += v[l + q * n + m] * v[r + b * n + m];
    }
    return this.out;
  }
}

/**
 * The hot loops as a WebAssembly module with f64x2 SIMD, assembled (core/wasm/assembler.ts) from the
 * instruction lists below: the tridiagonalization's two and a 4 x 4 block of dot
 * products, 2.6-2.8x the same register-blocked loops in plain JavaScript at d = 2048 in V8.
 * Float64 throughout; only the summation order differs (two interleaved partial sums).
 * Offsets are byte addresses in the caller's memory:
 *   symv4(a, stride, u, p, pairs, u0..u3, out): rows a + q*stride (q < 4), k < 2*pairs:
 *     s_q = sum_k a_q[k] u[k] (stored at out + 8q); p[k] += sum_q a_q[k] u_q.
 *   rank2x4(a, stride, u, p, pairs, u0..u3, q0..q3): a_q[k] -= u_q p[k] + q_q u[k], k < 2*pairs.
 *   dot4x4(l, lstride, r, rstride, pairs, out): out[b * 4 + q] = sum_{m < 2*pairs} left_q[m] right_b[m]
 *     for rows l + q*lstride, r + b*rstride (the products' 4 x 4 blocks, see Workspace).
 */
interface SimdKernels {
  dot4x4(l: number, lstride: number, r: number, rstride: number, pairs: number, out: number): void;
  symv4(a: number, stride: number, u: number, p: number, pairs: number, u0: number, u1: number, u2: number, u3: number, out: number): void;
  rank2x4(
    a: number, stride: number, u: number, p: number, pairs: number,
    u0: number, u1: number, u2: number, u3: number, q0: number, q1: number, q2: number, q3: number,
  ): void;
}

const i32Const16 = i32Const(16);
const f64x2Splat = simd(20);
const f64x2Lane = (l: number) => simd(33, l);

/** Instructions of a kernel: k (byte offset) runs 0, 16, .. < 16 * pairs. */
function kernelCode(setup: number[], k: number, end: number, pairs: number, step: number[], finish: number[]): number[] {
  return [
    ...get(pairs), ...i32Const16, ...i32Mul, ...set(end), ...setup,
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(k), ...get(end), ...i32GeU, 0x0d, 1, // br_if out of the block
    ...step,
    ...get(k), ...i32Const16, ...i32Add, ...set(k), 0x0c, 0, // k += 16; continue
    0x0b, 0x0b, ...finish,
  ];
}

/** Row addresses a1..a3 = a + stride * q into locals rows[1..3]; splat f64 params into v128 locals. */
const rowAddresses = (a: number, stride: number, rows: number[]) =>
  [...get(a), ...get(stride), ...i32Add, ...tee(rows[1]), ...get(stride), ...i32Add, ...tee(rows[2]), ...get(stride), ...i32Add, ...set(rows[3])];
const splat = (param: number, local: number) => [...get(param), ...f64x2Splat, ...set(local)];
const quad = (f: (q: number) => number[]) => [0, 1, 2, 3].flatMap(f);

function symv4Code(): number[] {
  // Params 0 a, 1 stride, 2 u, 3 p, 4 pairs, 5-8 u0..u3, 9 out. Locals: 10 k, 11 end, 12-14 row
  // addresses, 15-18 sums, 19-22 splatted u_q, 23 u[k..k+1], 24-27 a_q[k..k+1].
  const rows = [0, 12, 13, 14], S = 15, VU = 19, UK = 23, X = 24;
  return kernelCode([...rowAddresses(0, 1, rows), ...quad((q) => splat(5 + q, VU + q))], 10, 11, 4, [
    ...get(2), ...get(10), ...i32Add, ...v128Load(), ...set(UK),
    ...quad((q) => [...get(rows[q]), ...get(10), ...i32Add, ...v128Load(), ...set(X + q)]),
    ...quad((q) => [...get(S + q), ...get(X + q), ...get(UK), ...f64x2Mul, ...f64x2Add, ...set(S + q)]),
    ...get(3), ...get(10), ...i32Add, ...get(3), ...get(10), ...i32Add, ...v128Load(),
    ...quad((q) => [...get(X + q), ...get(VU + q), ...f64x2Mul, ...f64x2Add]),
    ...v128Store(),
  ], quad((q) => [...get(9), ...get(S + q), ...f64x2Lane(0), ...get(S + q), ...f64x2Lane(1), ...f64Add, ...f64Store(8 * q)]));
}

function rank2x4Code(): number[] {
  // Params 0 a, 1 stride, 2 u, 3 p, 4 pairs, 5-8 u0..u3, 9-12 q0..q3. Locals: 13 k, 14 end, 15-17
  // row addresses, 18-21 splatted u_q, 22-25 splatted q_q, 26 p[k..k+1], 27 u[k..k+1], 28 address.
  const rows = [0, 15, 16, 17], VU = 18, VQ = 22, PK = 26, UK = 27, AT = 28;
  return kernelCode([...rowAddresses(0, 1, rows), ...quad((q) => [...splat(5 + q, VU + q), ...splat(9 + q, VQ + q)])], 13, 14, 4, [
    ...get(3), ...get(13), ...i32Add, ...v128Load(), ...set(PK),
    ...get(2), ...get(13), ...i32Add, ...v128Load(), ...set(UK),
    ...quad((q) => [
      ...get(rows[q]), ...get(13), ...i32Add, ...tee(AT),
      ...get(AT), ...v128Load(), ...get(VU + q), ...get(PK), ...f64x2Mul, ...get(VQ + q), ...get(UK), ...f64x2Mul, ...f64x2Add, ...f64x2Sub,
      ...v128Store(),
    ]),
  ], []);
}

function dot4x4Code(): number[] {
  // Params 0 l, 1 lstride, 2 r, 3 rstride, 4 pairs, 5 out. Locals: 6 k, 7 end, 8-10 left row
  // addresses, 11-13 right row addresses, 14-29 sums (b * 4 + q), 30-33 left pairs, 34 right pair.
  const left = [0, 8, 9, 10], right = [2, 11, 12, 13], S = 14, X = 30, Y = 34;
  return kernelCode([...rowAddresses(0, 1, left), ...rowAddresses(2, 3, right)], 6, 7, 4, [
    ...quad((q) => [...get(left[q]), ...get(6), ...i32Add, ...v128Load(), ...set(X + q)]),
    ...quad((b) => [
      ...get(right[b]), ...get(6), ...i32Add, ...v128Load(), ...set(Y),
      ...quad((q) => [...get(S + b * 4 + q), ...get(X + q), ...get(Y), ...f64x2Mul, ...f64x2Add, ...set(S + b * 4 + q)]),
    ]),
  ], quad((b) => quad((q) => [...get(5), ...get(S + b * 4 + q), ...f64x2Lane(0), ...get(S + b * 4 + q), ...f64x2Lane(1), ...f64Add, ...f64Store(8 * (b * 4 + q))])));
}

let simdModule: WebAssembly.Module | undefined;

function simdKernels(memory: WebAssembly.Memory): SimdKernels {
  if (!simdModule) {
    // Parameters: five i32 (addresses, strides, pairs), then symv4: 4 f64 + out; rank2x4: 8 f64;
    // dot4x4: out. Locals as listed in each kernel's comment.
    const head = [I32, I32, I32, I32, I32];
    simdModule = assembleModule([
      { name: "symv4", params: [...head, F64, F64, F64, F64, I32], locals: [[5, I32], [13, V128]], code: symv4Code() },
      { name: "rank2x4", params: [...head, ...Array<number>(8).fill(F64)], locals: [[5, I32], [10, V128], [1, I32]], code: rank2x4Code() },
      { name: "dot4x4", params: [...head, I32], locals: [[8, I32], [21, V128]], code: dot4x4Code() },
    ]);
  }
  return new WebAssembly.Instance(simdModule, { env: { memory } }).exports as unknown as SimdKernels;
}

/** Eigenvalues (ascending) of a symmetric matrix (row-major, lower triangle read, not modified). */
export function symmetricEigenvalues(input: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // The matrix and the work vectors live in the kernels' memory; offsets passed to them are in bytes.
  const memory = new WebAssembly.Memory({ initial: Math.ceil(((n * n + 2 * n + 4) * 8) / 65536) });
  const kernels = simdKernels(memory);
  const a = new Float64Array(memory.buffer, 0, n * n);
  a.set(input.subarray(0, n * n));
  const uAt = n * n * 8, pAt = uAt + n * 8, outAt = pAt + n * 8;
  const u = new Float64Array(memory.buffer, uAt, n);
  const p = new Float64Array(memory.buffer, pAt, n);
  const out = new Float64Array(memory.buffer, outAt, 4);
  const stride = n * 8;
  // Householder reduction to tridiagonal form, rows n-1 .. 1.
  for (let i = n - 1; i > 0; i--) {
    const ri = i * n;
    const l = i - 1;
    let scale = 0;
    for (let k = 0; k <= l; k++) scale += Math.abs(a[ri + k]);
    if (l === 0 || scale === 0) {
      e[i] = a[ri + l];
      continue;
    }
    let h = 0;
    for (let k = 0; k <= l; k++) {
      u[k] = a[ri + k] / scale;
      h += u[k] * u[k];
    }
    const f0 = u[l];
    const g0 = f0 >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
    e[i] = scale * g0;
    h -= f0 * g0;
    u[l] = f0 - g0;
    // p = A[0..l][0..l] u / h from the lower triangle, four rows per pass over p and u (each
    // pass reads p[k] and u[k] once for four matrix entries): the even-length prefix of each
    // pass by the SIMD kernel, the odd element and the diagonal block here.
    p.fill(0, 0, l + 1);
    let j = 0;
    for (; j + 3 <= l; j += 4) {
      const r0 = j * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      const u0 = u[j], u1 = u[j + 1], u2 = u[j + 2], u3 = u[j + 3];
      const pairs = j >> 1;
      kernels.symv4(r0 * 8, stride, uAt, pAt, pairs, u0, u1, u2, u3, outAt);
      let s0 = out[0], s1 = out[1], s2 = out[2], s3 = out[3];
      for (let k = 2 * pairs; k < j; k++) {
        const a0 = a[r0 + k], a1 = a[r1 + k], a2 = a[r2 + k], a3 = a[r3 + k];
        const uk = u[k];
        s0 += a0 * uk;
        s1 += a1 * uk;
        s2 += a2 * uk;
        s3 += a3 * uk;
        p[k] += a0 * u0 + a1 * u1 + a2 * u2 + a3 * u3;
      }
      p[j] += s0;
      p[j + 1] += s1;
      p[j + 2] += s2;
      p[j + 3] += s3;
      symvDiagonalBlock(a, n, u, p, j, 4);
    }
    for (; j <= l; j++) {
      const rj = j * n;
      const uj = u[j];
      let s = 0;
      for (let k = 0; k < j; k++) {
        s += a[rj + k] * u[k];
        p[k] += a[rj + k] * uj;
      }
      p[j] += s;
      symvDiagonalBlock(a, n, u, p, j, 1);
    }
    let f = 0;
    for (let j = 0; j <= l; j++) {
      p[j] /= h;
      f += p[j] * u[j];
    }
    const hh = f / (h + h);
    for (let j = 0; j <= l; j++) p[j] -= hh * u[j];
    // A -= u q' + q u' on the lower triangle, four rows per pass over p and u (even-length
    // prefix by the SIMD kernel).
    let r = 0;
    for (; r + 3 <= l; r += 4) {
      const r0 = r * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      const u0 = u[r], u1 = u[r + 1], u2 = u[r + 2], u3 = u[r + 3];
      const q0 = p[r], q1 = p[r + 1], q2 = p[r + 2], q3 = p[r + 3];
      const pairs = (r + 1) >> 1;
      kernels.rank2x4(r0 * 8, stride, uAt, pAt, pairs, u0, u1, u2, u3, q0, q1, q2, q3);
      for (let k = 2 * pairs; k <= r; k++) {
        const pk = p[k];
        const uk = u[k];
        a[r0 + k] -= u0 * pk + q0 * uk;
        a[r1 + k] -= u1 * pk + q1 * uk;
        a[r2 + k] -= u2 * pk + q2 * uk;
        a[r3 + k] -= u3 * pk + q3 * uk;
      }
      // The rest of the block's lower triangle (columns r+1 .. r+q of row r+q).
      for (let q = 1; q < 4; q++) {
        const rq = (r + q) * n;
        const uq = u[r + q];
        const qq = p[r + q];
        for (let k = r + 1; k <= r + q; k++) a[rq + k] -= uq * p[k] + qq * u[k];
      }
    }
    for (; r <= l; r++) {
      const rj = r * n;
      const uj = u[r];
      const qj = p[r];
      for (let k = 0; k <= r; k++) a[rj + k] -= uj * p[k] + qj * u[k];
    }
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  tql1(d, e, n);
  return d.sort();
}

/** p += B u on the m x m diagonal block B = A[j..j+m)[j..j+m) (lower triangle of A read). */
function symvDiagonalBlock(a: Float64Array, n: number, u: Float64Array, p: Float64Array, j: number, m: number): void {
  for (let q = 0; q < m; q++) {
    const rq = (j + q) * n;
    p[j + q] += a[rq + j + q] * u[j + q];
    for (let c = 0; c < q; c++) {
      const v = a[rq + j + c];
      p[j + q] += v * u[j + c];
      p[j + c] += v * u[j + q];
    }
  }
}

/** Eigenvalues of the symmetric tridiagonal (d, e[1..n-1]) by implicit QL (JAMA tql2, no vectors). */
function tql1(d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > EPS * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 100) throw new Error("symmetricEigenvalues: QL iteration did not converge");
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > EPS * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}
