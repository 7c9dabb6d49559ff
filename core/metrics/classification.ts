/** Single-label classification metrics with scikit-learn semantics. */
import { InputError } from "../errors.ts";
import { checkClassLabels, checkSameLength, checkScoreRows, type Rows, type Vector } from "./validate.ts";

/** Fraction of exact matches (sklearn accuracy_score). */
export function accuracy(yTrue: Vector, yPred: Vector): number {
  checkSameLength("accuracy", yTrue, yPred);
  checkClassLabels("accuracy", "yTrue", yTrue);
  checkClassLabels("accuracy", "yPred", yPred);
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

/**
 * Fraction of samples whose true class is among the k highest scores (sklearn
 * top_k_accuracy_score with labels 0..k-1): among tied scores the higher class index ranks first,
 * as sklearn's reversed stable argsort does.
 */
export function topKAccuracy(yTrue: Vector, scores: Rows, k: number): number {
  const where = "topKAccuracy";
  checkSameLength(where, yTrue, scores, "yTrue and scores");
  const numClasses = checkScoreRows(where, "scores", scores);
  checkClassLabels(where, "yTrue", yTrue, numClasses);
  if (!Number.isInteger(k) || k < 1) throw new InputError(where, `k must be a positive integer, got ${k}`);
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const row = scores[i];
    const c = yTrue[i];
    const s = row[c];
    let ahead = 0;
    for (let j = 0; j < numClasses; j++) if (row[j] > s || (row[j] === s && j > c)) ahead++;
    if (ahead < k) hits++;
  }
  return hits / yTrue.length;
}

/**
 * Mean over classes present in yTrue of the per-class recall (sklearn balanced_accuracy_score);
 * predicted classes that never occur in yTrue do not add a class.
 */
export function meanPerClassAccuracy(yTrue: Vector, yPred: Vector): number {
  const where = "meanPerClassAccuracy";
  checkSameLength(where, yTrue, yPred);
  checkClassLabels(where, "yTrue", yTrue);
  checkClassLabels(where, "yPred", yPred);
  const total = new Map<number, number>();
  const correct = new Map<number, number>();
  for (let i = 0; i < yTrue.length; i++) {
    total.set(yTrue[i], (total.get(yTrue[i]) ?? 0) + 1);
    if (yTrue[i] === yPred[i]) correct.set(yTrue[i], (correct.get(yTrue[i]) ?? 0) + 1);
  }
  let sum = 0;
  for (const [c, n] of total) sum += (correct.get(c) ?? 0) / n;
  return sum / total.size;
}

/**
 * Quadratic weighted kappa, sklearn cohen_kappa_score(weights="quadratic"): the weight of cell
 * (i, j) is (i - j)² over positions in `labels` (default: the sorted union of both label sets).
 */
export function qwk(yTrue: Vector, yPred: Vector, labels?: readonly number[]): number {
  const where = "qwk";
  checkSameLength(where, yTrue, yPred);
  checkClassLabels(where, "yTrue", yTrue);
  checkClassLabels(where, "yPred", yPred);
  const classes = labels ? [...labels] : [...new Set([...Array.from(yTrue), ...Array.from(yPred)])].sort((a, b) => a - b);
  if (new Set(classes).size !== classes.length) throw new InputError(where, `labels contain duplicates: ${classes.join(", ")}`);
  const position = new Map(classes.map((c, i) => [c, i]));
  const confusion = classes.map(() => new Array<number>(classes.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const a = position.get(yTrue[i]);
    const b = position.get(yPred[i]);
    if (a === undefined || b === undefined) {
      const [name, v] = a === undefined ? ["yTrue", yTrue[i]] : ["yPred", yPred[i]];
      throw new InputError(where, `${name}[${i}] is ${v}, which is not in labels [${classes.join(", ")}]`);
    }
    confusion[a][b]++;
  }
  return qwkFromConfusion(confusion);
}

/**
 * Quadratic weighted kappa of a confusion matrix (rows true, columns predicted, in label order).
 * NaN when chance disagreement is zero (every label and prediction the same single class), as
 * sklearn 1.2's cohen_kappa_score returns for 0/0.
 */
export function qwkFromConfusion(confusion: readonly (readonly number[])[]): number {
  const k = confusion.length;
  const rowSum = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const colSum = confusion.map((_, j) => confusion.reduce((a, row) => a + row[j], 0));
  const n = rowSum.reduce((a, b) => a + b, 0);
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = (i - j) ** 2;
      observed += w * confusion[i][j];
      expected += (w * colSum[i] * rowSum[j]) / n;
    }
  }
  return 1 - observed / expected;
}
