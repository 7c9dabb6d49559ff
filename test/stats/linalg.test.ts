// The flat symmetric kernels (SIMD WebAssembly) behind frechetDistance, against ml-matrix's JAMA decompositions and plain sums.
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { describe, expect, it } from "vitest";
import { SeedTree } from "../../core/rng.ts";
import { centredGram, choleskyInPlace, congruenceLower, symmetricEigenvalues } from "../../core/stats/linalg.ts";

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = new SeedTree(seed).stream("linalg-test");
  return new Matrix(Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal())));
}
const flat = (m: Matrix) => Float64Array.from(m.to1DArray());
const sortedEigen = (m: Matrix, symmetric: boolean) =>
  new EigenvalueDecomposition(m, { assumeSymmetric: symmetric }).realEigenvalues.sort((a, b) => a - b);

describe("symmetric kernels", () => {
  it.each([1, 2, 3, 8, 60, 61])("eigenvalues of a random symmetric %i x %i matrix", (n) => {
    const a = randomMatrix(n, n, n);
    const s = a.add(a.transpose());
    const mine = symmetricEigenvalues(flat(s), n);
    const ref = sortedEigen(s, true);
    const scale = Math.max(...ref.map(Math.abs));
    ref.forEach((v, i) => expect(Math.abs(mine[i] - v)).toBeLessThanOrEqual(1e-12 * scale));
  });

  it("eigenvalues of diagonal and repeated-eigenvalue matrices", () => {
    expect(Array.from(symmetricEigenvalues(Float64Array.from([3, 0, 0, 0, 1, 0, 0, 0, 2]), 3))).toEqual([1, 2, 3]);
    const ones = symmetricEigenvalues(new Float64Array(16).fill(1), 4);
    [0, 0, 0, 4].forEach((v, i) => expect(ones[i]).toBeCloseTo(v, 13));
  });

  it.each([1, 3, 25, 38])("L'S2L from the Cholesky factor of S1 has the eigenvalues of S1 S2 (%i)", (n) => {
    const a = randomMatrix(n, n, 100 + n);
    const b = randomMatrix(n, n, 200 + n);
    const s1 = a.mmul(a.transpose()).add(Matrix.eye(n));
    const s2 = b.mmul(b.transpose());
    const l = flat(s1);
    expect(choleskyInPlace(l, n)).toBe(true);
    const mine = symmetricEigenvalues(congruenceLower(l, flat(s2), n), n);
    const ref = sortedEigen(s1.mmul(s2), false);
    ref.forEach((v, i) => expect(Math.abs(mine[i] - v)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(v))));
  });

  it.each([1, 4, 5, 13])("Cholesky factor of a %i x %i SPD matrix reproduces it and leaves the upper triangle", (n) => {
    const a = randomMatrix(n, n, 300 + n);
    const s = a.mmul(a.transpose()).add(Matrix.eye(n).mul(0.1));
    const l = flat(s);
    expect(choleskyInPlace(l, n)).toBe(true);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (j > i) {
          expect(l[i * n + j]).toBe(s.get(i, j));
          continue;
        }
        let v = 0;
        for (let k = 0; k <= j; k++) v += l[i * n + k] * l[j * n + k];
        expect(Math.abs(v - s.get(i, j))).toBeLessThanOrEqual(1e-12 * Math.sqrt(s.get(i, i) * s.get(j, j)));
      }
    }
  });

  // Odd n exercises the kernel's scalar tail, d not a multiple of 4 the padded row blocks.
  it.each([[1, 1], [7, 5], [8, 9], [33, 6]])("centred Gram matrix of %i rows x %i columns", (n, d) => {
    const x = randomMatrix(n, d, 400 + n * d);
    const mean = Float64Array.from({ length: d }, (_, j) => 0.1 * j - 0.2);
    const got = centredGram(flat(x), n, d, mean, 0.5);
    const c = (r: number, j: number) => x.get(r, j) - mean[j];
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let v = 0;
        let bound = 0;
        for (let r = 0; r < n; r++) {
          v += c(r, i) * c(r, j);
          bound += Math.abs(c(r, i) * c(r, j));
        }
        expect(Math.abs(got[i * d + j] - 0.5 * v)).toBeLessThanOrEqual(1e-14 * bound);
      }
    }
  });

  it("Cholesky reports a singular matrix instead of dividing by a rounding-level pivot", () => {
    const a = randomMatrix(5, 2, 7);
    expect(choleskyInPlace(flat(a.mmul(a.transpose())), 5)).toBe(false);
    expect(choleskyInPlace(Float64Array.from([1, 2, 2, 1]), 2)).toBe(false);
  });
});
