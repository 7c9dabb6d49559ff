/**
 * Geometric image ops with torchvision 0.14 tensor semantics: crop (zero padding outside),
 * flips, bilinear resize with antialias (torch `interpolate(..., antialias=True)`, the PIL
 * algorithm), resized crop, center crop, and rotate/affine by inverse-affine grid sampling
 * (`affine_grid` + `grid_sample`, align_corners=False, zero padding, optional fill).
 */
import type { Image } from "../contracts.ts";
import { blank, fromFloatRounded, isU8, makeImage, roundHalfEven } from "./image.ts";

// Local alias: module-imported bindings can cost a getter call per use in hot loops under some loaders.
const f32 = Math.fround;
const roundEven = roundHalfEven;

/** Rows top..top+height, columns left..left+width; pixels outside the image are 0. */
export function crop(img: Image, top: number, left: number, height: number, width: number): Image {
  if (!(height > 0 && width > 0)) throw new RangeError(`crop: size must be positive, got ${height}x${width}`);
  const out = blank(img, width, height);
  const c = img.channels;
  for (let y = 0; y < height; y++) {
    const sy = top + y;
    if (sy < 0 || sy >= img.height) continue;
    const x0 = Math.max(0, -left);
    const x1 = Math.min(width, img.width - left);
    if (x1 <= x0) continue;
    out.data.set(img.data.subarray((sy * img.width + left + x0) * c, (sy * img.width + left + x1) * c), (y * width + x0) * c);
  }
  return out;
}

export function hflip(img: Image): Image {
  const out = blank(img);
  const { width: w, height: h, channels: c } = img;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * c;
      const d = (y * w + (w - 1 - x)) * c;
      for (let k = 0; k < c; k++) out.data[d + k] = img.data[s + k];
    }
  }
  return out;
}

export function vflip(img: Image): Image {
  const out = blank(img);
  const row = img.width * img.channels;
  for (let y = 0; y < img.height; y++) out.data.set(img.data.subarray(y * row, (y + 1) * row), (img.height - 1 - y) * row);
  return out;
}

/** Indices and normalised weights of the antialiased triangle filter along one axis. */
function filterTaps(inSize: number, outSize: number): { start: Int32Array; size: Int32Array; weights: Float64Array; maxSize: number } {
  const scale = inSize / outSize;
  const support = scale >= 1 ? scale : 1;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const maxSize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const size = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxSize);
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      const w = Math.max(0, 1 - Math.abs((j + xmin - center + 0.5) * invScale));
      weights[i * maxSize + j] = w;
      total += w;
    }
    if (total !== 0) for (let j = 0; j < xsize; j++) weights[i * maxSize + j] /= total;
    start[i] = xmin;
    size[i] = xsize;
  }
  return { start, size, weights, maxSize };
}

/**
 * Bilinear resize to exactly height x width with antialiasing when shrinking (PIL's and torch's
 * antialias=True filter; identical to plain bilinear when enlarging). Width pass first, in float,
 * then height; uint8 output rounded half to even.
 */
export function resize(img: Image, height: number, width: number): Image {
  if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) {
    throw new RangeError(`resize: size must be positive integers, got ${height}x${width}`);
  }
  if (height === img.height && width === img.width) return img;
  const c = img.channels;
  const src = new Float64Array(img.data);
  const inRow = img.width * c;
  const { start: xStart, size: xSize, weights: xW, maxSize: xMax } = filterTaps(img.width, width);
  const tmp = new Float64Array(img.height * width * c);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < width; x++) {
      const base = x * xMax;
      const first = y * inRow + xStart[x] * c;
      const n = xSize[x];
      const o = (y * width + x) * c;
      for (let j = 0; j < n; j++) {
        const wgt = xW[base + j];
        const s = first + j * c;
        for (let k = 0; k < c; k++) tmp[o + k] += wgt * src[s + k];
      }
    }
  }
  const { start: yStart, size: ySize, weights: yW, maxSize: yMax } = filterTaps(img.height, height);
  const outRow = width * c;
  const out = new Float64Array(height * outRow);
  for (let y = 0; y < height; y++) {
    const base = y * yMax;
    const o = y * outRow;
    for (let j = 0, n = ySize[y]; j < n; j++) {
      const wgt = yW[base + j];
      const r = (yStart[y] + j) * outRow;
      for (let i = 0; i < outRow; i++) out[o + i] += wgt * tmp[r + i];
    }
  }
  return fromFloatRounded(img, out, width, height);
}

/** torchvision's Resize(size) with an int: the shorter side becomes `size`, the longer int(size * long / short). */
export function resizeShorter(img: Image, size: number): Image {
  const { width: w, height: h } = img;
  if (w <= h) return resize(img, Math.trunc((size * h) / w), size);
  return resize(img, size, Math.trunc((size * w) / h));
}

export function resizedCrop(img: Image, top: number, left: number, height: number, width: number, size: readonly [number, number]): Image {
  return resize(crop(img, top, left, height, width), size[0], size[1]);
}

/** torchvision CenterCrop: offsets int(round((h - th) / 2)), zero padding when the crop is larger. */
export function centerCrop(img: Image, height: number, width: number): Image {
  if (height > img.height || width > img.width) {
    // torchvision pads symmetrically first: left = (w - iw) // 2, top = (h - ih) // 2.
    const padTop = height > img.height ? Math.floor((height - img.height) / 2) : 0;
    const padLeft = width > img.width ? Math.floor((width - img.width) / 2) : 0;
    const padded = crop(img, -padTop, -padLeft, Math.max(height, img.height), Math.max(width, img.width));
    if (padded.height === height && padded.width === width) return padded;
    return centerCrop(padded, height, width);
  }
  return crop(img, roundHalfEven((img.height - height) / 2), roundHalfEven((img.width - width) / 2), height, width);
}

export type Interpolation = "nearest" | "bilinear";

export interface AffineParams {
  /** Degrees; positive turns the content counter-clockwise, as torchvision's F.affine. */
  readonly angle: number;
  /** Pixels [x, y]. */
  readonly translate: readonly [number, number];
  readonly scale: number;
  /** Degrees [x, y]. */
  readonly shear: readonly [number, number];
  readonly interpolation?: Interpolation;
  /**
   * Value per channel for pixels from outside the image. Omitted (torchvision's fill=None):
   * zero padding inside grid_sample. Given: torchvision's mask blend, which also fades bilinear
   * border pixels toward it.
   */
  readonly fill?: readonly number[];
  /** Pixel coordinates [x, y] of the centre; default the image centre. */
  readonly center?: readonly [number, number];
}

/** torchvision `_get_inverse_affine_matrix`: output pixel -> input pixel, in a frame centred at `center`. */
export function inverseAffineMatrix(center: readonly [number, number], angle: number, translate: readonly [number, number], scale: number, shear: readonly [number, number]): number[] {
  const rad = (d: number) => (d * Math.PI) / 180;
  const rot = rad(angle);
  const sx = rad(shear[0]);
  const sy = rad(shear[1]);
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((x) => x / scale);
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

/** Float32 grid sampling as torch's affine_grid + grid_sample (align_corners=False). */
function gridTransform(img: Image, matrix: readonly number[], interpolation: Interpolation, fill: readonly number[] | undefined): Image {
  const { width: w, height: h, channels: ch } = img;
  if (fill !== undefined && fill.length !== 1 && fill.length !== ch) {
    throw new RangeError(`fill must have 1 or ${ch} values, got ${fill.length}`);
  }
  const fillValues = fill === undefined ? undefined : Array.from({ length: ch }, (_, k) => fill[fill.length === 1 ? 0 : k]);
  const src = new Float64Array(img.data);
  const theta = matrix.map(f32);
  const hw = f32(0.5 * w);
  const hh = f32(0.5 * h);
  const r = [f32(theta[0] / hw), f32(theta[3] / hh), f32(theta[1] / hw), f32(theta[4] / hh), f32(theta[2] / hw), f32(theta[5] / hh)];
  const out = new Float64Array(w * h * ch);
  for (let oy = 0; oy < h; oy++) {
    const by = f32(-hh + 0.5 + oy);
    for (let ox = 0; ox < w; ox++) {
      const bx = f32(-hw + 0.5 + ox);
      const gx = f32(f32(f32(bx * r[0]) + f32(by * r[2])) + r[4]);
      const gy = f32(f32(f32(bx * r[1]) + f32(by * r[3])) + r[5]);
      const ix = f32(f32(f32(gx + 1) * w - 1) / 2);
      const iy = f32(f32(f32(gy + 1) * h - 1) / 2);
      const o = (oy * w + ox) * ch;
      if (interpolation === "nearest") {
        const nx = roundEven(ix);
        const ny = roundEven(iy);
        if (nx >= 0 && nx < w && ny >= 0 && ny < h) {
          const s = (ny * w + nx) * ch;
          for (let k = 0; k < ch; k++) out[o + k] = src[s + k];
        } else if (fillValues) {
          for (let k = 0; k < ch; k++) out[o + k] = fillValues[k];
        }
        continue;
      }
      const x0 = Math.floor(ix);
      const y0 = Math.floor(iy);
      const dx = f32(ix - x0);
      const dy = f32(iy - y0);
      // corner weights (nw, ne, sw, se), zeroed for corners outside the image (zero padding)
      const inX0 = x0 >= 0 && x0 < w;
      const inX1 = x0 + 1 >= 0 && x0 + 1 < w;
      const inY0 = y0 >= 0 && y0 < h;
      const inY1 = y0 + 1 >= 0 && y0 + 1 < h;
      const wnw = inX0 && inY0 ? f32(f32(1 - dx) * f32(1 - dy)) : 0;
      const wne = inX1 && inY0 ? f32(dx * f32(1 - dy)) : 0;
      const wsw = inX0 && inY1 ? f32(f32(1 - dx) * dy) : 0;
      const wse = inX1 && inY1 ? f32(dx * dy) : 0;
      const snw = (y0 * w + x0) * ch;
      const ssw = snw + w * ch;
      const mask = wnw + wne + wsw + wse;
      for (let k = 0; k < ch; k++) {
        let v = 0;
        if (wnw !== 0) v += wnw * src[snw + k];
        if (wne !== 0) v += wne * src[snw + ch + k];
        if (wsw !== 0) v += wsw * src[ssw + k];
        if (wse !== 0) v += wse * src[ssw + ch + k];
        out[o + k] = fillValues ? v * mask + (1 - mask) * fillValues[k] : v;
      }
    }
  }
  return fromFloatRounded(img, out);
}

function centerOffset(img: Image, center: readonly [number, number] | undefined): [number, number] {
  return center === undefined ? [0, 0] : [center[0] - img.width * 0.5, center[1] - img.height * 0.5];
}

/** torchvision F.affine on a tensor. */
export function affine(img: Image, p: AffineParams): Image {
  const m = inverseAffineMatrix(centerOffset(img, p.center), p.angle, p.translate, p.scale, p.shear);
  return gridTransform(img, m, p.interpolation ?? "nearest", p.fill);
}

/** torchvision F.rotate on a tensor (expand=False): positive angles turn counter-clockwise. */
export function rotate(img: Image, angle: number, options: { interpolation?: Interpolation; fill?: readonly number[]; center?: readonly [number, number] } = {}): Image {
  const m = inverseAffineMatrix(centerOffset(img, options.center), -angle, [0, 0], 1, [0, 0]);
  return gridTransform(img, m, options.interpolation ?? "nearest", options.fill);
}

/** Copy of `img` with the box filled by `value` (one per channel, or per pixel HWC), as F.erase. */
export function erase(img: Image, top: number, left: number, height: number, width: number, value: readonly number[] | Float32Array): Image {
  const out = makeImage(img.width, img.height, img.channels, isU8(img) ? new Uint8Array(img.data) : new Float32Array(img.data));
  const c = img.channels;
  const perPixel = value.length === height * width * c;
  if (!perPixel && value.length !== c && value.length !== 1) throw new RangeError(`erase: value must have 1, ${c} or ${height * width * c} entries`);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < c; k++) {
        out.data[((top + y) * img.width + left + x) * c + k] = perPixel ? value[(y * width + x) * c + k] : value[value.length === 1 ? 0 : k];
      }
    }
  }
  return out;
}
