/**
 * Index arithmetic for convolution gradients, one spatial axis at a time. Pure functions (no
 * tensors), so the decompositions can be tested on their own.
 *
 * Forward convolution along one axis: y[o] = sum_i x[o*s - p + i*d] * f[i], o in [0, O), i in [0, k).
 */

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** One phase of the input gradient: the rows h with (h + p) mod s == phase. */
export interface Phase {
  /** Filter taps (indices into f) in the order the phase's stride-1 correlation uses them. */
  readonly taps: readonly number[];
  /** Dilation of that correlation. */
  readonly dilation: number;
  /** Padding before/after dy; negative means crop that many rows of dy instead. */
  readonly padBefore: number;
  readonly padAfter: number;
}

export interface PhasePlan {
  readonly stride: number;
  /** Rows per phase; every phase yields Q rows so they interleave into Q*stride rows. */
  readonly rowsPerPhase: number;
  /** The input gradient is rows [offset, offset + H) of the interleaved result. */
  readonly offset: number;
  /** Indexed by phase; `undefined` where no filter tap reaches that phase (its rows are zero). */
  readonly phases: readonly (Phase | undefined)[];
}

/**
 * Input gradient dx[h] = sum over (o, i) with o*s - p + i*d = h of dy[o] * f[i], decomposed into
 * `s` stride-1 correlations of dy, one per residue of h + p modulo s (a phase). Each phase uses
 * only the taps that reach it, so no multiply touches a zero inserted by dilating dy.
 */
export function inputGradPhases(H: number, O: number, k: number, s: number, d: number, p: number): PhasePlan {
  const g = gcd(d, s);
  const qmin = Math.floor(p / s);
  const offset = p - qmin * s;
  const Q = Math.ceil((H + offset) / s);
  const phases: (Phase | undefined)[] = [];
  for (let r = 0; r < s; r++) {
    const hits: number[] = [];
    for (let i = 0; i < k; i++) if ((i * d - r) % s === 0 && i * d >= r) hits.push(i);
    if (hits.length === 0) {
      phases.push(undefined);
      continue;
    }
    // Taps i0, i0 + s/g, ... sit at dy offsets e = (i*d - r)/s, spaced d/g apart.
    const T = hits.length;
    const e0 = (hits[0] * d - r) / s;
    const D = d / g;
    phases.push({
      taps: hits.slice().reverse(),
      dilation: D,
      padBefore: e0 + (T - 1) * D - qmin,
      padAfter: qmin + Q - 1 - e0 - (O - 1),
    });
  }
  return { stride: s, rowsPerPhase: Q, offset, phases };
}

/**
 * Filter gradient dW[i] = sum_o x[o*s - p + i*d] * dy[o] as a correlation of x with dy as the
 * kernel (stride d, dilation s). Returns the padding after x that makes the result exactly k long;
 * negative means crop that many trailing rows of x (they are never read by the forward pass).
 */
export function filterGradPadAfter(H: number, O: number, k: number, s: number, d: number, p: number): number {
  return (k - 1) * d + (O - 1) * s + 1 - H - p;
}
