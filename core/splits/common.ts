/** Helpers shared by the splitters: label access, apportionment and id lists in index order. */
import type { DatasetIndex, Sample, SplitResult } from "../contracts.ts";
import { InputError } from "../errors.ts";

/** The single class of a sample; multilabel samples are rejected with the splitter's name. */
export function singleLabel(sample: Sample, splitter: string): number {
  if (typeof sample.label !== "number") {
    throw new InputError(`sample "${sample.id}"`, `splitter "${splitter}" needs one class per sample, got labels [${sample.label.join(", ")}]`);
  }
  return sample.label;
}

/** Labels of a sample as a list (single-label samples give a one-element list). */
export function labelList(sample: Sample): readonly number[] {
  return typeof sample.label === "number" ? [sample.label] : sample.label;
}

/**
 * Integer counts for `total` items shared by `fractions` (which sum to 1): floors plus one each
 * for the largest remainders (earliest wins ties), so every count is within one of its target
 * and the counts sum to `total`.
 */
export function apportion(total: number, fractions: readonly number[]): number[] {
  const exact = fractions.map((f) => f * total);
  const counts = exact.map((x) => Math.floor(x));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    counts[i]++;
    left--;
  }
  return counts;
}

/** Validates holdout fractions and returns the train/val/test shares. */
export function holdoutShares(valFraction: number, testFraction: number, where: string): [number, number, number] {
  if (!(valFraction >= 0 && testFraction >= 0 && valFraction + testFraction <= 1)) {
    throw new InputError(where, `valFraction and testFraction must be >= 0 and sum to at most 1, got ${valFraction} and ${testFraction}`);
  }
  return [1 - valFraction - testFraction, valFraction, testFraction];
}

/**
 * Builds the result from one assignment per sample (0 train, 1 val, 2 test, -1 none); ids keep
 * the index order. `test` is present only when `withTest`.
 */
export function fromAssignment(index: DatasetIndex, assignment: ArrayLike<number>, withTest: boolean): SplitResult {
  const lists: string[][] = [[], [], []];
  index.samples.forEach((sample, i) => {
    const to = assignment[i];
    if (to >= 0) lists[to].push(sample.id);
  });
  return withTest ? { train: lists[0], val: lists[1], test: lists[2] } : { train: lists[0], val: lists[1] };
}

/** Positions of the samples grouped by a key, keys in first-appearance order, positions ascending. */
export function groupPositions<K>(index: DatasetIndex, keyOf: (sample: Sample) => K): Map<K, number[]> {
  const groups = new Map<K, number[]>();
  index.samples.forEach((sample, i) => {
    const key = keyOf(sample);
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  });
  return groups;
}
