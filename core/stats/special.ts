/**
 * Distribution tails used by the tests, from @stdlib (cephes/Boost-derived, the same algorithms
 * SciPy uses). Upper tails are taken from the upper incomplete beta or by symmetry, never as
 * `1 - cdf`, so small p-values keep their relative precision.
 */
import betainc from "@stdlib/math-base-special-betainc";
import betaQuantileStd from "@stdlib/stats-base-dists-beta-quantile";
import binomialCdfStd from "@stdlib/stats-base-dists-binomial-cdf";
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import tCdf from "@stdlib/stats-base-dists-t-cdf";

/** P(T > t) for Student's t with `df` degrees of freedom. */
export function tSf(t: number, df: number): number {
  return tCdf(-t, df);
}

/** Two-sided p-value of a t statistic, 2 * P(T > |t|) (scipy's `2 * t.sf(abs(t), df)`). */
export function tTwoSided(t: number, df: number): number {
  return Math.min(1, 2 * tSf(Math.abs(t), df));
}

/** P(F > x) for the F distribution (cephes `fdtrc`: I_{d2/(d2+d1 x)}(d2/2, d1/2)). */
export function fSf(x: number, dfNum: number, dfDen: number): number {
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return betainc(dfDen / (dfDen + dfNum * x), dfDen / 2, dfNum / 2);
}

/** P(Z > z) for the standard normal. */
export function normalSf(z: number): number {
  return normalCdf(-z, 0, 1);
}

/** Regularized incomplete beta I_x(a, b), or its upper tail 1 - I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number, upper = false): number {
  return betainc(x, a, b, true, upper);
}

/** Quantile of Beta(a, b) at probability p. */
export function betaQuantile(p: number, a: number, b: number): number {
  return betaQuantileStd(p, a, b);
}

/** P(X <= k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  return binomialCdfStd(k, n, p);
}
