/**
 * A straight-line trend of one result column on another: Pearson r and the OLS fit, plus the
 * 95% confidence band of the fitted mean that Figure 1 draws around each regression line.
 */
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import { ols, pearson } from "../stats/index.ts";

export interface Trend {
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly slope: number;
  readonly intercept: number;
  readonly r2: number;
  readonly adjR2: number;
  /** Residual variance and the x summary the confidence band needs. */
  readonly sigma2: number;
  readonly dfResid: number;
  readonly xMean: number;
  readonly sxx: number;
}

export function fitTrend(x: readonly number[], y: readonly number[]): Trend {
  const { r, p } = pearson(x, y);
  const fit = ols([...y], x.map((v) => [v]));
  const xMean = x.reduce((a, b) => a + b, 0) / x.length;
  const sxx = x.reduce((a, v) => a + (v - xMean) ** 2, 0);
  return {
    n: fit.n,
    r,
    p,
    intercept: fit.coef[0],
    slope: fit.coef[1],
    r2: fit.r2,
    adjR2: fit.adjR2,
    sigma2: fit.ssr / fit.dfResid,
    dfResid: fit.dfResid,
    xMean,
    sxx,
  };
}

export interface BandPoint {
  readonly x: number;
  readonly fit: number;
  readonly lower: number;
  readonly upper: number;
}

/** Fitted line and its (1 - alpha) confidence band for the mean at `steps` points over [from, to]. */
export function confidenceBand(trend: Trend, from: number, to: number, steps = 40, alpha = 0.05): BandPoint[] {
  const t = tQuantile(1 - alpha / 2, trend.dfResid);
  const out: BandPoint[] = [];
  for (let i = 0; i <= steps; i++) {
    const x = from + ((to - from) * i) / steps;
    const fit = trend.intercept + trend.slope * x;
    const half = t * Math.sqrt(trend.sigma2 * (1 / trend.n + (x - trend.xMean) ** 2 / trend.sxx));
    out.push({ x, fit, lower: fit - half, upper: fit + half });
  }
  return out;
}
