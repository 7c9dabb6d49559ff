// Tiny in-memory indexes for split tests.
import type { DatasetIndex, Sample } from "../../core/contracts.ts";

/** Samples of class c in blocks given by `sizes`, in an order that mixes the classes. */
export function indexWithClassSizes(sizes: readonly number[], group?: (position: number) => string): DatasetIndex {
  const samples: Sample[] = [];
  const left = [...sizes];
  let position = 0;
  while (left.some((n) => n > 0)) {
    left.forEach((n, c) => {
      if (n === 0) return;
      const g = group?.(position);
      samples.push({ id: `s${position++}`, files: [], label: c, ...(g === undefined ? {} : { group: g }) });
      left[c]--;
    });
  }
  return { samples };
}

export const countBy = <T>(items: readonly T[]): Map<T, number> => {
  const out = new Map<T, number>();
  for (const x of items) out.set(x, (out.get(x) ?? 0) + 1);
  return out;
};
