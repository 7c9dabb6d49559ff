/**
 * open_clip's resize_pos_embed for CLIP ViT towers built at another input size: the class token's
 * embedding kept, the patch grid resampled by torch's antialiased bicubic interpolation
 * (F.interpolate(mode="bicubic", antialias=True, align_corners=False): Keys' a = -0.5 kernel,
 * stretched by the scale when shrinking, weights renormalised at the borders).
 */
import { InputError } from "../../../core/errors.ts";

function keys(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** Per output index: the first input index and the normalised weights (torch's _compute_weights_aa). */
function antialiasTaps(inSize: number, outSize: number): { start: number; w: number[] }[] {
  const scale = inSize / outSize;
  const support = scale >= 1 ? 2 * scale : 2;
  const invScale = scale >= 1 ? 1 / scale : 1;
  return Array.from({ length: outSize }, (_, i) => {
    const center = scale * (i + 0.5);
    const start = Math.max(Math.trunc(center - support + 0.5), 0);
    const end = Math.min(Math.trunc(center + support + 0.5), inSize);
    const w = Array.from({ length: end - start }, (_, j) => keys((j + start - center + 0.5) * invScale));
    const total = w.reduce((s, v) => s + v, 0);
    return { start, w: total === 0 ? w : w.map((v) => v / total) };
  });
}

/** positional_embedding [1 + g*g, D] -> [1 + n*n, D]. */
export function resizePosEmbedding(data: Float32Array, shape: readonly number[], newGrid: number, where: string): Float32Array {
  const [seq, d] = shape;
  const g = Math.round(Math.sqrt(seq - 1));
  if (g * g !== seq - 1) throw new InputError(where, `positional_embedding shape [${shape.join(", ")}] is not [1 + g*g, D]`);
  const taps = antialiasTaps(g, newGrid);
  // columns first, then rows; tokens are row-major (h, w) after the class token
  const tmp = new Float64Array(g * newGrid * d);
  for (let y = 0; y < g; y++) {
    for (let ox = 0; ox < newGrid; ox++) {
      const { start, w } = taps[ox];
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let k = 0; k < w.length; k++) s += w[k] * data[(1 + y * g + start + k) * d + c];
        tmp[(y * newGrid + ox) * d + c] = s;
      }
    }
  }
  const out = new Float32Array((1 + newGrid * newGrid) * d);
  out.set(data.subarray(0, d));
  for (let oy = 0; oy < newGrid; oy++) {
    const { start, w } = taps[oy];
    for (let ox = 0; ox < newGrid; ox++) {
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let k = 0; k < w.length; k++) s += w[k] * tmp[((start + k) * newGrid + ox) * d + c];
        out[(1 + oy * newGrid + ox) * d + c] = s;
      }
    }
  }
  return out;
}
