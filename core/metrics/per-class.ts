/**
 * Per-class precision, recall, F1 and support, and the confusion matrix of single-label
 * predictions: what a run records about each split beside its summary metrics.
 */
import { IGNORED_LABEL } from "../contracts.ts";
import { checkSameLength, type Rows, type Vector } from "./validate.ts";

export interface ClassScores {
  readonly support: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** k x k counts: row = true class, column = predicted class. */
export function confusionMatrix(yTrue: Vector, yPred: Vector, numClasses: number): number[][] {
  checkSameLength("confusionMatrix", yTrue, yPred);
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if (!Number.isInteger(t) || t < 0 || t >= numClasses || !Number.isInteger(p) || p < 0 || p >= numClasses) {
      throw new RangeError(`confusionMatrix: row ${i} has true ${t} / predicted ${p}, expected class indices in [0, ${numClasses})`);
    }
    matrix[t][p]++;
  }
  return matrix;
}

/** Per class from a confusion matrix; a ratio with a zero denominator is NaN (undefined, not 0). */
export function perClassFromConfusion(matrix: readonly (readonly number[])[]): ClassScores[] {
  return matrix.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((sum, r) => sum + r[c], 0);
    return scores(tp, predicted - tp, support - tp);
  });
}

/** Per class of multi-hot rows against multi-hot predictions; a true entry IGNORED_LABEL leaves that pair out. */
export function perClassMultilabel(yTrue: Rows, yPred: Rows): ClassScores[] {
  checkSameLength("perClassMultilabel", yTrue, yPred);
  const k = yTrue[0]?.length ?? 0;
  return Array.from({ length: k }, (_, c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < yTrue.length; i++) {
      if (yTrue[i][c] === IGNORED_LABEL) continue;
      const t = yTrue[i][c] === 1;
      const p = yPred[i][c] === 1;
      if (t && p) tp++;
      else if (p) fp++;
      else if (t) fn++;
    }
    return scores(tp, fp, fn);
  });
}

function scores(tp: number, fp: number, fn: number): ClassScores {
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  const f1 = (2 * tp) / (2 * tp + fp + fn);
  return { support: tp + fn, precision, recall, f1 };
}
