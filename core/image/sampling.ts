/** Gamma, Beta and Dirichlet draws from an `Rng` stream (AugMix weights, MixUp/CutMix lambda). */
import type { Rng } from "../rng.ts";

/** Gamma(shape, 1) by Marsaglia-Tsang; shape < 1 is boosted by U^(1/shape). */
export function sampleGamma(rng: Rng, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`sampleGamma: shape must be > 0, got ${shape}`);
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng.uniform(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x = 0;
    let v = 0;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.uniform();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function sampleDirichlet(rng: Rng, alphas: readonly number[]): number[] {
  const g = alphas.map((a) => sampleGamma(rng, a));
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((x) => x / sum);
}
