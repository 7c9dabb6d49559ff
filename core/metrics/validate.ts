/** Input checks for metrics: every bad input is an InputError naming the metric, never a NaN. */
import { InputError } from "../errors.ts";

export type Vector = ArrayLike<number>;
export type Rows = readonly ArrayLike<number>[];

export function checkSameLength(where: string, a: { length: number }, b: { length: number }, what = "yTrue and the predictions"): void {
  if (a.length !== b.length) throw new InputError(where, `${what} differ in length (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new InputError(where, "no samples");
}

export function checkClassLabels(where: string, name: string, y: Vector, numClasses?: number): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0 || (numClasses !== undefined && v >= numClasses)) {
      const range = numClasses === undefined ? "a non-negative integer class index" : `an integer class index in [0, ${numClasses - 1}]`;
      throw new InputError(where, `${name}[${i}] is ${v}; expected ${range}`);
    }
  }
}

export function checkScores(where: string, name: string, s: Vector, row?: number): void {
  for (let i = 0; i < s.length; i++) {
    if (!Number.isFinite(s[i])) {
      throw new InputError(where, `${name}${row === undefined ? "" : `[${row}]`}[${i}] is ${s[i]}; scores must be finite numbers`);
    }
  }
}

/** Rows of equal width k, all finite; returns k. */
export function checkScoreRows(where: string, name: string, rows: Rows): number {
  const k = rows[0]?.length ?? 0;
  if (k === 0) throw new InputError(where, `${name} has no columns`);
  rows.forEach((row, i) => {
    if (row.length !== k) throw new InputError(where, `${name}[${i}] has ${row.length} columns, row 0 has ${k}`);
    checkScores(where, name, row, i);
  });
  return k;
}

/** Multi-hot rows of 0/1 of equal width; returns the number of classes. */
export function checkMultiHot(where: string, name: string, rows: Rows): number {
  const k = rows[0]?.length ?? 0;
  if (k === 0) throw new InputError(where, `${name} has no columns`);
  rows.forEach((row, i) => {
    if (row.length !== k) throw new InputError(where, `${name}[${i}] has ${row.length} columns, row 0 has ${k}`);
    for (let j = 0; j < k; j++) {
      if (row[j] !== 0 && row[j] !== 1) throw new InputError(where, `${name}[${i}][${j}] is ${row[j]}; multi-hot entries must be 0 or 1`);
    }
  });
  return k;
}

/** Index of the first maximum of each row (numpy.argmax). */
export function argmaxRows(rows: Rows): number[] {
  return rows.map((row) => {
    let best = 0;
    for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
    return best;
  });
}
