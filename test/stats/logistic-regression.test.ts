// Fixed-feature logistic regression (Kornblith 2019) against scikit-learn's LogisticRegression(solver="lbfgs",
// multi_class="multinomial") on the cases written by fixtures/generators/logistic-parity.py.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  fitLogisticRegression, fitOneVsRestLogisticRegression, kornblithLambdaGrid, logisticPredict, logisticPredictProba, selectOneVsRestRegularisation,
  selectRegularisation, type DenseMatrix, type LogisticRegressionModel,
} from "../../core/stats/index.ts";
import { readParity } from "./helpers.ts";

interface Fit { C: number; coef: number[]; intercept: number[]; proba: number[]; predict: number[]; gradMax: number }
interface Problem { name: string; classes: number; features: number; X: number[]; y: number[]; Xtest: number[]; fits: Fit[] }
const fx = readParity<{ sklearn: string; problems: Problem[] }>("logistic-regression.json");

const dense = (values: number[], cols: number): DenseMatrix => ({ data: Float64Array.from(values), rows: values.length / cols, cols });

/** sklearn's objective C * sum(loss) + 0.5 ||W||^2, to compare the two optima. */
function objective(coef: ArrayLike<number>, intercept: ArrayLike<number>, X: DenseMatrix, y: number[], C: number): number {
  const K = intercept.length;
  let loss = 0;
  for (let i = 0; i < X.rows; i++) {
    const z = Array.from({ length: K }, (_, k) => {
      let s = intercept[k];
      for (let j = 0; j < X.cols; j++) s += coef[k * X.cols + j] * X.data[i * X.cols + j];
      return s;
    });
    const max = Math.max(...z);
    loss += max + Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0)) - z[y[i]];
  }
  let sq = 0;
  for (let t = 0; t < coef.length; t++) sq += coef[t] * coef[t];
  return C * loss + 0.5 * sq;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe(`logistic regression matches scikit-learn ${fx.sklearn}`, () => {
  for (const p of fx.problems) {
    const X = dense(p.X, p.features), Xt = dense(p.Xtest, p.features);
    for (const f of p.fits) {
      it(`${p.name}, C = ${f.C}`, () => {
        const model = fitLogisticRegression(X, p.y, { C: f.C });
        expect(model.converged).toBe(true);
        expect(model.numClasses).toBe(p.classes);
        // The issue asks for 1e-4; both solvers reach the optimum, so 1e-6 holds with room.
        expect(maxDiff(logisticPredictProba(model, Xt).data, f.proba)).toBeLessThan(1e-6);
        expect(Array.from(logisticPredict(model, Xt))).toEqual(f.predict);
        expect(maxDiff(model.coef, f.coef)).toBeLessThan(1e-5 * Math.max(1, ...f.coef.map(Math.abs)));
        // Intercepts are identified only up to a common shift (the softmax ignores it): compare centred.
        const centre = (b: ArrayLike<number>) => Array.from(b, (v) => v - Array.from(b).reduce((a, u) => a + u, 0) / b.length);
        expect(maxDiff(centre(model.intercept), centre(f.intercept))).toBeLessThan(1e-5 * Math.max(1, ...f.intercept.map(Math.abs)));
        // Strict convexity: ours is the optimum, so it is no worse than sklearn's (which stops on its ftol).
        const ours = objective(model.coef, model.intercept, X, p.y, f.C);
        expect(ours).toBeLessThanOrEqual(objective(f.coef, f.intercept, X, p.y, f.C) * (1 + 1e-12));
      });
    }
  }

  it("C and lambda = 1 / C give the same model", () => {
    const p = fx.problems[1];
    const a = fitLogisticRegression(dense(p.X, p.features), p.y, { C: 0.1 });
    const b = fitLogisticRegression(dense(p.X, p.features), p.y, { lambda: 10 });
    expect(b.C).toBe(0.1);
    expect(maxDiff(a.coef, b.coef)).toBe(0);
  });
});

describe("selectRegularisation (Kornblith 2019's protocol)", () => {
  const p = fx.problems[1];
  const all = dense(p.X, p.features);
  const cut = 150 * p.features;
  const train = { X: dense(p.X.slice(0, cut), p.features), y: p.y.slice(0, 150) };
  const val = { X: dense(p.X.slice(cut), p.features), y: p.y.slice(150) };

  it("the default grid is 45 log-spaced lambdas from 1e-6 to 1e5", () => {
    const g = kornblithLambdaGrid();
    expect(g).toHaveLength(45);
    expect(g[0]).toBeCloseTo(1e-6, 18);
    expect(g[44]).toBeCloseTo(1e5, 6);
    for (let i = 1; i < 45; i++) expect(Math.log10(g[i] / g[i - 1])).toBeCloseTo(0.25, 12);
  });

  it("warm starts along the path reach the cold-start optima; picks the best val accuracy, ties to the larger lambda; refits on train + val", () => {
    const grid = [1e-3, 1e-1, 1, 10, 100, 1e3, 1e4];
    const path = selectRegularisation(train, val, { grid });
    expect(path.grid).toEqual([...grid].sort((a, b) => b - a));
    const cold: LogisticRegressionModel[] = path.grid.map((lambda) => fitLogisticRegression(train.X, train.y, { lambda }));
    cold.forEach((m, i) => {
      const hits = Array.from(logisticPredict(m, val.X)).filter((c, r) => c === val.y[r]).length;
      expect(path.valAccuracies[i]).toBe(hits / val.y.length);
    });
    const best = path.valAccuracies.indexOf(Math.max(...path.valAccuracies));
    expect(path.lambda).toBe(path.grid[best]);
    expect(path.C).toBe(1 / path.grid[best]);
    const refit = fitLogisticRegression(all, p.y, { lambda: path.lambda });
    expect(maxDiff(logisticPredictProba(path.model, all).data, logisticPredictProba(refit, all).data)).toBeLessThan(1e-6);
    expect(path.model.converged).toBe(true);
  });

  it("warm and cold starts give the same probabilities at every point of a path", () => {
    let prev: LogisticRegressionModel | undefined;
    for (const lambda of [1e4, 100, 1, 0.01]) {
      const warm = fitLogisticRegression(train.X, train.y, { lambda, warmStart: prev });
      const cold = fitLogisticRegression(train.X, train.y, { lambda });
      expect(maxDiff(logisticPredictProba(warm, val.X).data, logisticPredictProba(cold, val.X).data)).toBeLessThan(1e-6);
      prev = warm;
    }
  });
});

interface OvrFit { C: number; coef: number[]; intercept: number[]; proba: number[] }
const ovr = readParity<{ sklearn: string; classes: number; features: number; X: number[]; Y: number[]; Xtest: number[]; fits: OvrFit[] }>("logistic-one-vs-rest.json");
const ovrX = dense(ovr.X, ovr.features);
const ovrY = Array.from({ length: ovrX.rows }, (_, i) => ovr.Y.slice(i * ovr.classes, (i + 1) * ovr.classes));

/** sklearn's binary objective of class c over the rows not ignored: C * sum log(1 + e^(-s z)) + 0.5 ||w||^2. */
function binaryObjective(coef: ArrayLike<number>, intercept: ArrayLike<number>, c: number, C: number): number {
  const d = ovr.features;
  let loss = 0;
  ovrY.forEach((row, i) => {
    if (row[c] === -1) return;
    let z = intercept[c];
    for (let j = 0; j < d; j++) z += coef[c * d + j] * ovrX.data[i * d + j];
    loss += Math.log1p(Math.exp(row[c] === 1 ? -z : z));
  });
  let sq = 0;
  for (let j = 0; j < d; j++) sq += coef[c * d + j] ** 2;
  return C * loss + 0.5 * sq;
}

describe(`one-vs-rest logistic regression matches scikit-learn ${ovr.sklearn}'s binary fits per class, ignored pairs left out`, () => {
  for (const f of ovr.fits) {
    it(`C = ${f.C}`, () => {
      const model = fitOneVsRestLogisticRegression(ovrX, ovrY, { C: f.C });
      expect(model.kind).toBe("one-vs-rest");
      expect(model.converged).toBe(true);
      expect(maxDiff(logisticPredictProba(model, dense(ovr.Xtest, ovr.features)).data, f.proba)).toBeLessThan(1e-6);
      expect(maxDiff(model.coef, f.coef)).toBeLessThan(1e-5 * Math.max(1, ...f.coef.map(Math.abs)));
      expect(maxDiff(model.intercept, f.intercept)).toBeLessThan(1e-5 * Math.max(1, ...f.intercept.map(Math.abs)));
      for (let c = 0; c < ovr.classes; c++) {
        expect(binaryObjective(model.coef, model.intercept, c, f.C)).toBeLessThanOrEqual(binaryObjective(f.coef, f.intercept, c, f.C) * (1 + 1e-12));
      }
    });
  }

  it("an ignored pair changes only its class's fit: as if that row were absent from it", () => {
    const flipped = ovrY.map((row, i) => (i === 0 ? row.map((v, c) => (c === 1 ? -1 : v)) : row));
    const a = fitOneVsRestLogisticRegression(ovrX, ovrY, { C: 1 });
    const b = fitOneVsRestLogisticRegression(ovrX, flipped, { C: 1 });
    const d = ovr.features;
    for (const c of [0, 2, 3]) expect(maxDiff(a.coef.subarray(c * d, (c + 1) * d), b.coef.subarray(c * d, (c + 1) * d))).toBe(0);
    expect(maxDiff(a.coef.subarray(d, 2 * d), b.coef.subarray(d, 2 * d))).toBeGreaterThan(1e-6);
    const withoutRow0 = fitOneVsRestLogisticRegression({ data: ovrX.data.slice(d), rows: ovrX.rows - 1, cols: d }, ovrY.slice(1), { C: 1 });
    expect(maxDiff(b.coef.subarray(d, 2 * d), withoutRow0.coef.subarray(d, 2 * d))).toBeLessThan(1e-7);
  });

  it("selectOneVsRestRegularisation: one lambda for all classes by the val score (ties to the larger), warm path = cold fits, refit on train + val", () => {
    const cut = 100;
    const train = { X: dense(ovr.X.slice(0, cut * ovr.features), ovr.features), Y: ovrY.slice(0, cut) };
    const val = { X: dense(ovr.X.slice(cut * ovr.features), ovr.features), Y: ovrY.slice(cut) };
    // Mean squared error of the probabilities over the pairs not ignored, negated (higher is better).
    const score = (Y: readonly (readonly number[])[], p: number[][]) => {
      let sum = 0, n = 0;
      Y.forEach((row, i) => row.forEach((v, c) => { if (v !== -1) { sum += (p[i][c] - v) ** 2; n++; } }));
      return -sum / n;
    };
    const grid = [1e-2, 1, 10, 100, 1e4];
    const path = selectOneVsRestRegularisation(train, val, { grid, score });
    expect(path.grid).toEqual([...grid].sort((a, b) => b - a));
    path.grid.forEach((lambda, i) => {
      const cold = fitOneVsRestLogisticRegression(train.X, train.Y, { lambda });
      const p = logisticPredictProba(cold, val.X);
      const rows = Array.from({ length: p.rows }, (_, r) => Array.from(p.data.subarray(r * p.cols, (r + 1) * p.cols)));
      expect(path.valScores[i]).toBeCloseTo(score(val.Y, rows), 8);
    });
    expect(path.lambda).toBe(path.grid[path.valScores.indexOf(Math.max(...path.valScores))]);
    const refit = fitOneVsRestLogisticRegression(ovrX, ovrY, { lambda: path.lambda });
    expect(maxDiff(logisticPredictProba(path.model, ovrX).data, logisticPredictProba(refit, ovrX).data)).toBeLessThan(1e-6);
    expect(selectOneVsRestRegularisation(train, val, { grid: [1, 10, 100], score: () => 0.5 }).lambda).toBe(100);
  });
});

describe("properties", () => {
  const problem = fc.integer({ min: 2, max: 4 }).chain((K) => fc.integer({ min: 1, max: 4 }).chain((d) =>
    fc.record({
      K: fc.constant(K), d: fc.constant(d),
      rows: fc.array(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: d, maxLength: d }), { minLength: 2 * K, maxLength: 25 }),
      C: fc.double({ min: 1e-3, max: 10, noNaN: true }),
      seed: fc.integer({ min: 0, max: 1000 }),
    })));

  it("row order does not change the model; probabilities are a distribution; the gradient vanishes", () => {
    fc.assert(fc.property(problem, ({ K, rows, C, seed }) => {
      const y = rows.map((_, i) => i % K);
      const model = fitLogisticRegression(rows, y, { C });
      expect(model.converged).toBe(true);
      // A fixed rotation of the rows (seeded by fast-check) as the permutation.
      const shift = seed % rows.length;
      const perm = rows.map((_, i) => (i + shift) % rows.length);
      const other = fitLogisticRegression(perm.map((i) => rows[i]), perm.map((i) => y[i]), { C });
      const pa = logisticPredictProba(model, rows), pb = logisticPredictProba(other, rows);
      expect(maxDiff(pa.data, pb.data)).toBeLessThan(1e-6);
      for (let i = 0; i < pa.rows; i++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += pa.data[i * K + k];
        expect(s).toBeCloseTo(1, 12);
      }
    }), { numRuns: 40 });
  });
});

describe("input errors name what is wrong", () => {
  const X = [[0, 1], [1, 0], [2, 2], [3, 1]];
  const y = [0, 1, 0, 1];
  const Y = [[1, 0], [0, 1], [1, 1], [0, 0]];
  it.each([
    ["ragged X", () => fitLogisticRegression([[0, 1], [1]], [0, 1]), /X is ragged: row 1 has 1 values, row 0 has 2/],
    ["non-finite feature", () => fitLogisticRegression([[0, 1], [NaN, 0]], [0, 1]), /X\[1\]\[0\] is NaN/],
    ["infinite feature", () => fitLogisticRegression({ data: Float64Array.of(0, Infinity), rows: 2, cols: 1 }, [0, 1]), /X\[1\]\[0\] is Infinity/],
    ["DenseMatrix size", () => fitLogisticRegression({ data: new Float64Array(3), rows: 2, cols: 2 }, [0, 1]), /X.data has 3 values, expected rows x cols = 4/],
    ["negative label", () => fitLogisticRegression(X, [0, 1, -1, 1]), /y\[2\] is -1; labels must be integers 0..K-1/],
    ["fractional label", () => fitLogisticRegression(X, [0, 1, 0.5, 1]), /y\[2\] is 0.5/],
    ["non-finite label", () => fitLogisticRegression(X, [0, 1, NaN, 1]), /y\[2\] is NaN/],
    ["absent class", () => fitLogisticRegression(X, [0, 2, 0, 2]), /class 1 has no example in y/],
    ["one class", () => fitLogisticRegression(X, [0, 0, 0, 0]), /at least 2 classes/],
    ["label count", () => fitLogisticRegression(X, [0, 1]), /y has 2 labels but X has 4 rows/],
    ["C and lambda", () => fitLogisticRegression(X, y, { C: 1, lambda: 1 }), /give C or lambda/],
    ["bad lambda", () => fitLogisticRegression(X, y, { lambda: 0 }), /lambda is 0; it must be a finite number > 0/],
    ["bad C", () => fitLogisticRegression(X, y, { C: -1 }), /C is -1/],
    ["bad maxIter", () => fitLogisticRegression(X, y, { maxIter: 0 }), /maxIter is 0/],
    ["predict features", () => logisticPredict(fitLogisticRegression(X, y), [[1, 2, 3]]), /X has 3 features, the model 2/],
    ["warm start shape", () => fitLogisticRegression([[1], [2]], [0, 1], { warmStart: fitLogisticRegression(X, y) }), /warmStart is a multinomial model of 2 classes x 2 features, the data needs a multinomial 2 x 1/],
    ["warm start kind", () => fitOneVsRestLogisticRegression(X, Y, { warmStart: fitLogisticRegression(X, y) }), /warmStart is a multinomial model of 2 classes x 2 features, the data needs a one-vs-rest 2 x 2/],
    ["multilabel entry", () => fitOneVsRestLogisticRegression(X, [[1, 0], [0, 1], [1, 2], [0, 1]]), /Y\[2\]\[1\] is 2; expected 1 \(present\), 0 \(absent\) or -1 \(ignored\)/],
    ["multilabel width", () => fitOneVsRestLogisticRegression(X, [[1, 0], [0, 1], [1], [0, 1]]), /Y\[2\] has 1 classes, expected 2/],
    ["class never present", () => fitOneVsRestLogisticRegression(X, [[1, 0], [0, 0], [1, -1], [0, 0]]), /class 1 has no present sample in Y/],
    ["class present only where not ignored", () => fitOneVsRestLogisticRegression(X, [[1, 1], [0, -1], [1, 1], [0, 1]]), /class 1 has no absent sample in Y/],
    ["multilabel val width", () => selectOneVsRestRegularisation({ X, Y }, { X, Y: Y.map((r) => [...r, 0]) }, { score: () => 0 }), /Y\[0\] has 3 classes, expected 2/],
    ["score not finite", () => selectOneVsRestRegularisation({ X, Y }, { X, Y }, { score: () => NaN, grid: [1] }), /score of the val predictions at lambda 1 is NaN/],
    ["val label out of range", () => selectRegularisation({ X, y }, { X, y: [0, 1, 2, 0] }), /y\[2\] is 2; labels must be in 0..1 \(the model has 2 classes\)/],
    ["empty grid", () => selectRegularisation({ X, y }, { X, y }, { grid: [] }), /grid is empty/],
    ["bad grid value", () => selectRegularisation({ X, y }, { X, y }, { grid: [1, -2] }), /grid\[1\] is -2/],
  ])("%s", (_, f, message) => {
    expect(f).toThrow(expect.objectContaining({ name: "StatisticsError", message: expect.stringMatching(message) }));
  });
});
