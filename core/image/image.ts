/**
 * Small helpers shared by the pure image ops. Images are HWC, row-major; uint8 images follow
 * torchvision's uint8-tensor code paths (including where it truncates and where it rounds),
 * Float32 images its float paths with values in [0, 1] (Normalize output is unbounded).
 */
import type { Image } from "../contracts.ts";

export const f32 = Math.fround;

export function isU8(img: Image): img is Image & { data: Uint8Array } {
  return img.data instanceof Uint8Array;
}

/** The largest value of the image's type: 255 for uint8, 1 for float (torchvision's `bound`). */
export function bound(img: Image): number {
  return isU8(img) ? 255 : 1;
}

export function makeImage(width: number, height: number, channels: number, data: Uint8Array | Float32Array): Image {
  if (data.length !== width * height * channels) {
    throw new RangeError(`image data has ${data.length} values, expected ${height}x${width}x${channels}`);
  }
  return { width, height, channels, data };
}

/** An empty image of the same type as `like`. */
export function blank(like: Image, width = like.width, height = like.height, channels = like.channels): Image {
  const n = width * height * channels;
  return makeImage(width, height, channels, isU8(like) ? new Uint8Array(n) : new Float32Array(n));
}

/** Python's round(): half to even (torchvision computes crop offsets with it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends halves up; a half that landed on an odd integer goes down instead.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Stores float results into an image of `like`'s type: uint8 by torch.round (half to even) then
 * a cast (torchvision's `_cast_squeeze_out`, used after resampling); float as is.
 */
export function fromFloatRounded(like: Image, values: Float32Array | Float64Array, width = like.width, height = like.height): Image {
  if (!isU8(like)) return makeImage(width, height, like.channels, new Float32Array(values));
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(255, Math.max(0, roundHalfEven(values[i])));
  return makeImage(width, height, like.channels, out);
}

/** `(x).clamp(0, bound).to(dtype)`: uint8 truncates toward zero, as a torch cast does. */
export function clampCast(like: Image, values: Float32Array | Float64Array): Image {
  const b = bound(like);
  if (!isU8(like)) {
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Math.min(b, Math.max(0, values[i]));
    return makeImage(like.width, like.height, like.channels, out);
  }
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.trunc(Math.min(b, Math.max(0, values[i])));
  return makeImage(like.width, like.height, like.channels, out);
}

export function assertChannels(where: string, img: Image, allowed: readonly number[]): void {
  if (!allowed.includes(img.channels)) throw new RangeError(`${where}: needs ${allowed.join(" or ")} channels, got ${img.channels}`);
}

export function assertU8(where: string, img: Image): void {
  if (!isU8(img)) throw new TypeError(`${where}: needs a uint8 image (like torchvision), got float`);
}
