/**
 * Photometric ops with torchvision 0.14 tensor semantics, float32 arithmetic emulated with
 * Math.fround where rounding decides a uint8 value: blend-based ops (brightness, saturation,
 * contrast, sharpness) truncate to uint8 like `_blend`; hue goes through HSV in float32 and
 * truncates `x * 255`; normalize outputs a Float32 image.
 */
import type { Image } from "../contracts.ts";
import { assertChannels, assertU8, bound, clampCast, isU8, makeImage, roundHalfEven } from "./image.ts";

// Local alias: module-imported bindings can cost a getter call per use in hot loops under some loaders.
const f32 = Math.fround;
const roundEven = roundHalfEven;

/**
 * torchvision `_blend`: ratio * a + (1 - ratio) * b in float32, clamped, cast to a's type (a
 * uint8 store truncates). `other` is a scalar, one value per pixel, or one per value.
 */
function blend(img: Image, other: number | Float32Array, ratio: number): Image {
  const r = f32(ratio);
  const q = f32(1 - ratio);
  const d = img.data;
  const len = d.length;
  const c = img.channels;
  const b = bound(img);
  const out = isU8(img) ? new Uint8Array(len) : new Float32Array(len);
  if (typeof other === "number") {
    const o = f32(q * other);
    for (let i = 0; i < len; i++) {
      const v = f32(f32(r * d[i]) + o);
      out[i] = v < 0 ? 0 : v > b ? b : v;
    }
  } else if (other.length === len) {
    for (let i = 0; i < len; i++) {
      const v = f32(f32(r * d[i]) + f32(q * other[i]));
      out[i] = v < 0 ? 0 : v > b ? b : v;
    }
  } else {
    for (let p = 0, i = 0; p < other.length; p++) {
      const o = f32(q * other[p]);
      for (let k = 0; k < c; k++, i++) {
        const v = f32(f32(r * d[i]) + o);
        out[i] = v < 0 ? 0 : v > b ? b : v;
      }
    }
  }
  return makeImage(img.width, img.height, c, out);
}

/** Luma 0.2989 R + 0.587 G + 0.114 B per pixel (uint8: truncated, like rgb_to_grayscale). */
function grayscaleValues(img: Image): Float32Array {
  assertChannels("grayscale", img, [3]);
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let p = 0; p < n; p++) {
    const v = f32(f32(f32(f32(0.2989) * d[3 * p]) + f32(f32(0.587) * d[3 * p + 1])) + f32(f32(0.114) * d[3 * p + 2]));
    out[p] = isU8(img) ? Math.trunc(v) : v;
  }
  return out;
}

/** One-channel grayscale image of the same type (torchvision rgb_to_grayscale). */
export function grayscale(img: Image): Image {
  const v = grayscaleValues(img);
  return makeImage(img.width, img.height, 1, isU8(img) ? new Uint8Array(v) : v);
}

export function adjustBrightness(img: Image, factor: number): Image {
  checkFactor("adjustBrightness", factor);
  return blend(img, 0, factor);
}

export function adjustSaturation(img: Image, factor: number): Image {
  checkFactor("adjustSaturation", factor);
  if (img.channels === 1) return img;
  const gray = grayscaleValues(img);
  return blend(img, gray, factor);
}

export function adjustContrast(img: Image, factor: number): Image {
  checkFactor("adjustContrast", factor);
  assertChannels("adjustContrast", img, [1, 3]);
  const gray = img.channels === 3 ? grayscaleValues(img) : new Float32Array(img.data);
  // torch.mean over float32 values; summed in double here (differences far below 1/255).
  let sum = 0;
  for (const v of gray) sum += v;
  const mean = f32(sum / gray.length);
  return blend(img, mean, factor);
}

/** Hue shift by `factor` in [-0.5, 0.5] turns of the colour wheel, through HSV like torchvision. */
export function adjustHue(img: Image, factor: number): Image {
  if (!(factor >= -0.5 && factor <= 0.5)) throw new RangeError(`adjustHue: factor must be in [-0.5, 0.5], got ${factor}`);
  assertChannels("adjustHue", img, [1, 3]);
  if (img.channels === 1) return img;
  const u8 = isU8(img);
  const n = img.width * img.height;
  const out = u8 ? new Uint8Array(n * 3) : new Float32Array(n * 3);
  const d = img.data;
  for (let p = 0; p < n; p++) {
    const r = u8 ? f32(d[3 * p] / 255) : d[3 * p];
    const g = u8 ? f32(d[3 * p + 1] / 255) : d[3 * p + 1];
    const b = u8 ? f32(d[3 * p + 2] / 255) : d[3 * p + 2];
    // _rgb2hsv
    const maxc = Math.max(r, g, b);
    const minc = Math.min(r, g, b);
    const eqc = maxc === minc;
    const cr = f32(maxc - minc);
    const s = f32(cr / (eqc ? 1 : maxc));
    const div = eqc ? 1 : cr;
    const rc = f32(f32(maxc - r) / div);
    const gc = f32(f32(maxc - g) / div);
    const bc = f32(f32(maxc - b) / div);
    const hr = maxc === r ? f32(bc - gc) : 0;
    const hg = maxc === g && maxc !== r ? f32(f32(2 + rc) - bc) : 0;
    const hb = maxc !== g && maxc !== r ? f32(f32(4 + gc) - rc) : 0;
    const hsum = f32(f32(hr + hg) + hb);
    let h = fmod1(f32(f32(hsum / 6) + 1));
    h = pyMod1(f32(h + f32(factor)));
    // _hsv2rgb
    const h6 = f32(h * 6);
    const i = Math.floor(h6);
    const f = f32(h6 - i);
    const v = maxc;
    const pp = clamp01(f32(v * f32(1 - s)));
    const q = clamp01(f32(v * f32(1 - f32(s * f))));
    const t = clamp01(f32(v * f32(1 - f32(s * f32(1 - f)))));
    let R = v;
    let G = v;
    let B = v;
    switch (((i % 6) + 6) % 6) {
      case 0: G = t; B = pp; break;
      case 1: R = q; B = pp; break;
      case 2: R = pp; B = t; break;
      case 3: R = pp; G = q; break;
      case 4: R = t; G = pp; break;
      default: G = pp; B = q; break;
    }
    if (u8) {
      out[3 * p] = f32(R * 255);
      out[3 * p + 1] = f32(G * 255);
      out[3 * p + 2] = f32(B * 255);
    } else {
      out[3 * p] = R;
      out[3 * p + 1] = G;
      out[3 * p + 2] = B;
    }
  }
  return makeImage(img.width, img.height, 3, out);
}

function fmod1(x: number): number {
  return f32(x % 1);
}
/** Python/torch `%` with a positive divisor: the result has the divisor's sign. */
function pyMod1(x: number): number {
  const m = f32(x - Math.floor(x));
  return m === 1 ? 0 : m;
}
function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
function checkFactor(where: string, factor: number): void {
  if (!(factor >= 0)) throw new RangeError(`${where}: factor must be >= 0, got ${factor}`);
}

/** Blend with the 3x3 smoothed image (centre weight 5/13); border pixels keep their values. */
export function adjustSharpness(img: Image, factor: number): Image {
  checkFactor("adjustSharpness", factor);
  const { width: w, height: h, channels: c } = img;
  if (w <= 2 || h <= 2) return img;
  const d = img.data;
  const u8 = isU8(img);
  const blurred = new Float32Array(d);
  const k1 = f32(1 / 13);
  const k5 = f32(5 / 13);
  const row = w * c;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      for (let ch = 0; ch < c; ch++) {
        const i = y * row + x * c + ch;
        const ring = d[i - row - c] + d[i - row] + d[i - row + c] + d[i - c] + d[i + c] + d[i + row - c] + d[i + row] + d[i + row + c];
        const v = k1 * ring + k5 * d[i];
        // the convolution output is cast back like `_cast_squeeze_out`: rounded for uint8
        blurred[i] = u8 ? roundEven(v) : v;
      }
    }
  }
  return blend(img, blurred, factor);
}

export function invert(img: Image): Image {
  const b = bound(img);
  const out = isU8(img) ? new Uint8Array(img.data.length) : new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = isU8(img) ? b - img.data[i] : f32(b - img.data[i]);
  return makeImage(img.width, img.height, img.channels, out);
}

/** Keep the top `bits` bits of each uint8 value. */
export function posterize(img: Image, bits: number): Image {
  assertU8("posterize", img);
  if (!(Number.isInteger(bits) && bits >= 0 && bits <= 8)) throw new RangeError(`posterize: bits must be an integer in [0, 8], got ${bits}`);
  const mask = (0xff << (8 - bits)) & 0xff;
  return makeImage(img.width, img.height, img.channels, img.data.map((v) => v & mask));
}

/** Invert every value >= threshold (threshold in the image's range). */
export function solarize(img: Image, threshold: number): Image {
  if (threshold > bound(img)) throw new RangeError(`solarize: threshold ${threshold} exceeds ${bound(img)}`);
  const inv = invert(img);
  const out = inv.data.slice();
  for (let i = 0; i < out.length; i++) if (img.data[i] < threshold) out[i] = img.data[i];
  return makeImage(img.width, img.height, img.channels, out);
}

/** Stretch each channel to the full range ((x - min) * bound / (max - min), truncated for uint8). */
export function autocontrast(img: Image): Image {
  const { channels: c } = img;
  const b = bound(img);
  const n = img.width * img.height;
  const out = new Float32Array(img.data.length);
  for (let ch = 0; ch < c; ch++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let p = 0; p < n; p++) {
      lo = Math.min(lo, img.data[p * c + ch]);
      hi = Math.max(hi, img.data[p * c + ch]);
    }
    const scale = hi === lo ? 1 : f32(b / f32(hi - lo));
    const min = hi === lo ? 0 : lo;
    for (let p = 0; p < n; p++) out[p * c + ch] = f32(f32(img.data[p * c + ch] - min) * scale);
  }
  return clampCast(img, out);
}

/** Histogram equalisation per channel (torchvision `_scale_channel`), uint8 only. */
export function equalize(img: Image): Image {
  assertU8("equalize", img);
  const { channels: c } = img;
  const n = img.width * img.height;
  const out = new Uint8Array(img.data);
  for (let ch = 0; ch < c; ch++) {
    const hist = new Array<number>(256).fill(0);
    for (let p = 0; p < n; p++) hist[img.data[p * c + ch]]++;
    const nonzero = hist.filter((v) => v !== 0);
    const step = Math.floor(nonzero.slice(0, -1).reduce((a, v) => a + v, 0) / 255);
    if (step === 0) continue;
    const lut = new Array<number>(256);
    let cum = 0;
    lut[0] = 0;
    for (let v = 0; v < 255; v++) {
      cum += hist[v];
      lut[v + 1] = Math.min(255, Math.floor((cum + Math.floor(step / 2)) / step));
    }
    for (let p = 0; p < n; p++) out[p * c + ch] = lut[img.data[p * c + ch]];
  }
  return makeImage(img.width, img.height, c, out);
}

/**
 * (x - mean) / std per channel into a Float32 image; uint8 input is first divided by 255 like
 * ToTensor, so mean/std are in [0, 1] units (ImageNet: 0.485, 0.456, 0.406 / 0.229, 0.224, 0.225).
 */
export function normalize(img: Image, mean: readonly number[], std: readonly number[]): Image {
  const c = img.channels;
  if (mean.length !== c || std.length !== c) throw new RangeError(`normalize: need ${c} means and stds, got ${mean.length} and ${std.length}`);
  if (std.some((s) => !(s > 0))) throw new RangeError(`normalize: std must be positive, got ${std.join(", ")}`);
  const m = mean.map(f32);
  const sd = std.map(f32);
  const out = new Float32Array(img.data.length);
  const d = img.data;
  const u8 = isU8(img);
  for (let i = 0; i < out.length; i += c) {
    for (let k = 0; k < c; k++) {
      const x = u8 ? f32(d[i + k] / 255) : d[i + k];
      out[i + k] = f32(f32(x - m[k]) / sd[k]);
    }
  }
  return makeImage(img.width, img.height, c, out);
}

/** uint8 -> Float32 in [0, 1] (ToTensor) without normalising. */
export function toFloat(img: Image): Image {
  if (!isU8(img)) return img;
  return makeImage(img.width, img.height, img.channels, new Float32Array(img.data).map((v) => v / 255));
}
