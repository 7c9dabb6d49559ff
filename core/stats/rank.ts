import type { NumericVector } from "./validate.ts";

/** Ranks 1..n with ties given their average rank (scipy.stats.rankdata, method="average"). */
export function rankAverage(x: NumericVector): Float64Array {
  const n = x.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[order[j + 1]] === x[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let m = i; m <= j; m++) ranks[order[m]] = rank;
    i = j + 1;
  }
  return ranks;
}
