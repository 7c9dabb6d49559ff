/** Input checks shared by the statistics: each names the function and what was wrong. */
import { StatisticsError } from "../errors.ts";

export type NumericVector = ArrayLike<number>;

export function checkFinite(where: string, name: string, x: NumericVector, minLength = 1): void {
  if (x.length < minLength) {
    throw new StatisticsError(where, `${name} needs at least ${minLength} value(s), got ${x.length}`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new StatisticsError(where, `${name}[${i}] is ${x[i]}; values must be finite numbers`);
  }
}

export function checkPaired(where: string, x: NumericVector, y: NumericVector, minLength = 1): void {
  if (x.length !== y.length) {
    throw new StatisticsError(where, `x and y differ in length (${x.length} vs ${y.length}); paired inputs must match`);
  }
  checkFinite(where, "x", x, minLength);
  checkFinite(where, "y", y, minLength);
}

export function mean(x: NumericVector): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}
