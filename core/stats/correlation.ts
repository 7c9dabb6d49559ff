/** Correlation coefficients with scipy.stats semantics (pearsonr, spearmanr, kendalltau). */
import { StatisticsError } from "../errors.ts";
import { rankAverage } from "./rank.ts";
import { incompleteBeta, normalSf, tTwoSided } from "./special.ts";
import { checkPaired, mean, type NumericVector } from "./validate.ts";

function checkNotConstant(where: string, x: NumericVector, y: NumericVector): void {
  const constant = (v: NumericVector) => Array.prototype.every.call(v, (e: number) => e === v[0]);
  if (constant(x) || constant(y)) {
    throw new StatisticsError(where, "an input is constant; the correlation coefficient is undefined");
  }
}

function correlation(x: NumericVector, y: NumericVector): number {
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  const nx = Math.sqrt(sxx);
  const ny = Math.sqrt(syy);
  let r = 0;
  for (let i = 0; i < x.length; i++) r += ((x[i] - mx) / nx) * ((y[i] - my) / ny);
  return Math.max(-1, Math.min(1, r));
}

/** Pearson's r; p from the exact null distribution of r, Beta(n/2-1, n/2-1) on [-1, 1] (scipy). */
export function pearson(x: NumericVector, y: NumericVector): { r: number; p: number } {
  checkPaired("pearson", x, y, 2);
  checkNotConstant("pearson", x, y);
  const n = x.length;
  if (n === 2) return { r: Math.sign(x[1] - x[0]) * Math.sign(y[1] - y[0]), p: 1 };
  const r = correlation(x, y);
  const ab = n / 2 - 1;
  // sf of the scaled beta at |r| is I_{(1-|r|)/2}(ab, ab).
  const p = Math.min(1, 2 * incompleteBeta((1 - Math.abs(r)) / 2, ab, ab));
  return { r, p };
}

/** Spearman's rho (Pearson on average ranks); p by the t approximation with n-2 df (scipy). */
export function spearman(x: NumericVector, y: NumericVector): { rho: number; p: number } {
  checkPaired("spearman", x, y, 3);
  checkNotConstant("spearman", x, y);
  const rho = correlation(rankAverage(x), rankAverage(y));
  const dof = x.length - 2;
  const t = rho * Math.sqrt(Math.max(0, dof / ((rho + 1) * (1 - rho))));
  return { rho, p: tTwoSided(t, dof) };
}

/** Dense ranks 1..m in the order of `order`. */
function denseRanks(x: NumericVector, order: readonly number[]): Int32Array {
  const out = new Int32Array(x.length);
  let r = 0;
  for (let i = 0; i < order.length; i++) {
    if (i === 0 || x[order[i]] !== x[order[i - 1]]) r++;
    out[order[i]] = r;
  }
  return out;
}

/** Tie counts of one variable: pairs tied, and the two sums used by the variance. */
function tieStats(ranks: Int32Array): { ties: number; v0: number; v1: number } {
  const counts = new Map<number, number>();
  for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1);
  let ties = 0;
  let v0 = 0;
  let v1 = 0;
  for (const c of counts.values()) {
    if (c < 2) continue;
    ties += (c * (c - 1)) / 2;
    v0 += c * (c - 1) * (c - 2);
    v1 += c * (c - 1) * (2 * c + 5);
  }
  return { ties, v0, v1 };
}

/** Discordant pairs by merge sort on y within the x order (O(n log n)). */
function countDiscordant(xr: Int32Array, yr: Int32Array): number {
  const n = xr.length;
  // Sorting by (x, y) puts x-ties in ascending y, so they add no inversions; equal y values
  // are not inversions either: only strictly discordant pairs are counted.
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => xr[a] - xr[b] || yr[a] - yr[b]);
  let arr = Int32Array.from(idx, (i) => yr[i]);
  let buf = new Int32Array(n);
  let inversions = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (arr[j] < arr[i]) {
          inversions += mid - i;
          buf[k++] = arr[j++];
        } else buf[k++] = arr[i++];
      }
      while (i < mid) buf[k++] = arr[i++];
      while (j < hi) buf[k++] = arr[j++];
    }
    [arr, buf] = [buf, arr];
  }
  return inversions;
}

/** Exact two-sided p of Kendall's statistic without ties (scipy mstats `_kendall_p_exact`). */
function kendallExactP(n: number, concordant: number): number {
  const total = (n * (n - 1)) / 2;
  const c = Math.min(concordant, total - concordant);
  if (n === 1 || n === 2) return 1;
  if (c === 0) return n < 171 ? 2 / factorial(n) : 0;
  if (c === 1) return n < 172 ? 2 / factorial(n - 1) : 0;
  if (4 * c === n * (n - 1)) return 1;
  let dist = new Float64Array(c + 1);
  dist[0] = 1;
  dist[1] = 1;
  const large = n >= 171;
  for (let j = 3; j <= n; j++) {
    const next = new Float64Array(c + 1);
    let acc = 0;
    for (let i = 0; i <= c; i++) {
      acc += dist[i];
      next[i] = large ? acc / j : acc;
    }
    if (j <= c) {
      // new[j:] -= new[:c+1-j], evaluated on the pre-subtraction values as numpy does.
      const head = next.slice(0, c + 1 - j);
      for (let i = j; i <= c; i++) next[i] -= head[i - j];
    }
    dist = next;
  }
  let sum = 0;
  for (const v of dist) sum += v;
  return Math.min(1, Math.max(0, large ? sum : (2 * sum) / factorial(n)));
}

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/**
 * Kendall's tau-b with scipy.stats.kendalltau's default p-value: exact when there are no ties
 * and n <= 33 (or the statistic is at the extreme), otherwise the normal approximation with the
 * tie-corrected variance.
 */
export function kendallTau(x: NumericVector, y: NumericVector): { tau: number; p: number } {
  checkPaired("kendallTau", x, y, 2);
  checkNotConstant("kendallTau", x, y);
  const n = x.length;
  const byX = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const byY = Array.from({ length: n }, (_, i) => i).sort((a, b) => y[a] - y[b]);
  const xr = denseRanks(x, byX);
  const yr = denseRanks(y, byY);
  const dis = countDiscordant(xr, yr);
  const jointCounts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = xr[i] * (n + 1) + yr[i];
    jointCounts.set(key, (jointCounts.get(key) ?? 0) + 1);
  }
  let ntie = 0;
  for (const c of jointCounts.values()) ntie += (c * (c - 1)) / 2;
  const tx = tieStats(xr);
  const ty = tieStats(yr);
  const tot = (n * (n - 1)) / 2;
  const conMinusDis = tot - tx.ties - ty.ties + ntie - 2 * dis;
  const tau = Math.min(1, Math.max(-1, conMinusDis / Math.sqrt(tot - tx.ties) / Math.sqrt(tot - ty.ties)));
  if (tx.ties === 0 && ty.ties === 0 && (n <= 33 || Math.min(dis, tot - dis) <= 1)) {
    return { tau, p: kendallExactP(n, tot - dis) };
  }
  const m = n * (n - 1);
  const variance = (m * (2 * n + 5) - tx.v1 - ty.v1) / 18 + (2 * tx.ties * ty.ties) / m +
    (tx.v0 * ty.v0) / (9 * m * (n - 2));
  const z = conMinusDis / Math.sqrt(variance);
  return { tau, p: 2 * normalSf(Math.abs(z)) };
}
