/**
 * `ImageDecoder` on sharp (libvips). Every step that changes pixel values is chosen on purpose
 * and documented in docs/datasets.md ("Decoding"):
 * - 16-bit files become 8-bit by keeping the high byte (v >> 8), as libpng's strip-16 and PIL's
 *   RGB mode do, before any resize.
 * - Alpha is dropped, never composited (OpenCV's IMREAD_COLOR and PIL's convert("RGB") do the same);
 *   a fourth channel that is kept (HPA's RGBY) is resized as data, not premultiplied as alpha.
 * - Grayscale to RGB replicates the channel; RGB to grayscale uses PIL's ITU-R 601-2 luma in
 *   PIL's fixed point, so both match PIL exactly.
 * - EXIF orientation is applied when `orientation: "exif"` (the default, OpenCV's imread
 *   behaviour) and ignored with "stored" (PIL / torchvision's ImageFolder behaviour).
 * - Resize to a shorter side follows torchvision: long = trunc(size * long / short), no resize
 *   when the short side already equals size. Kernels are libvips' linear / cubic / nearest with
 *   shrink-on-load disabled, so a JPEG resized while decoding equals decode-then-resize.
 * - Decoding is strict (`failOn: "warning"`): libjpeg and libpng only warn about a corrupt scan
 *   ("bad Huffman code", "premature end of data segment") and fill the rest with grey, which would
 *   train on made-up pixels.
 */
import sharp, { type Metadata, type ResizeOptions } from "sharp";
import type { DecodeOptions, Image, ImageDecoder } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";

/** libvips warnings (corrupt scan data) are errors too, not only truncation. */
const STRICT = { failOn: "warning" } as const;

const KERNELS = { bilinear: "linear", bicubic: "cubic", nearest: "nearest" } as const;

export interface SharpDecoderOptions {
  /** libvips threads per image (sharp.concurrency, process-wide; 0 = one per CPU); unset keeps sharp's. */
  readonly vipsThreads?: number;
}

export class SharpDecoder implements ImageDecoder {
  constructor(options: SharpDecoderOptions = {}) {
    if (options.vipsThreads !== undefined) sharp.concurrency(options.vipsThreads);
  }

  async decode(bytes: Uint8Array, options: DecodeOptions = {}, source = "(image bytes)"): Promise<Image> {
    try {
      const meta = await sharp(bytes, STRICT).metadata();
      const gray = meta.space === "b-w" || meta.space === "grey16";
      const sixteen = meta.depth === "ushort";
      const nativeChannels = (gray ? 1 : 3) + (meta.hasAlpha ? 1 : 0);
      const want = options.channels ?? (gray ? 1 : meta.hasAlpha ? 4 : 3);
      let pipeline = sharp(bytes, STRICT);
      if ((options.orientation ?? "exif") === "exif") pipeline = pipeline.autoOrient();

      // One libvips pipeline when no step needs to happen before the resize.
      const direct = !sixteen && !meta.hasAlpha && (want === nativeChannels || (nativeChannels === 1 && want === 3));
      if (direct) {
        pipeline = pipeline.toColourspace(gray ? "b-w" : "srgb");
        const size = meta.width && meta.height ? targetSize(orientedSize(meta), options.resize) : undefined;
        if (size) pipeline = pipeline.resize(size.width, size.height, resizeOptions(options));
        const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
        const image = { width: info.width, height: info.height, channels: info.channels, data: view8(data) };
        return finish(toChannels(image, want, source), options);
      }
      const { data, info } = await pipeline
        .toColourspace(gray ? (sixteen ? "grey16" : "b-w") : sixteen ? "rgb16" : "srgb")
        .raw({ depth: sixteen ? "ushort" : "uchar" })
        .toBuffer({ resolveWithObject: true });
      const pixels = sixteen ? highBytes(data) : view8(data);
      const image = toChannels(
        dropAlpha({ width: info.width, height: info.height, channels: info.channels, data: pixels }, want),
        want,
        source,
      );
      return await this.convert(image, { ...options, channels: want }, source);
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(source, `cannot decode image: ${firstLine(error)}; expected a valid PNG, JPEG, TIFF or WebP file`);
    }
  }

  async convert(image: Image, options: DecodeOptions = {}, source = "(pixels)"): Promise<Image> {
    if (!(image.data instanceof Uint8Array)) throw new InputError(source, "convert expects 8-bit pixels (Uint8Array)");
    const want = options.channels ?? image.channels;
    let out = toChannels(dropAlpha(image, want), want, source);
    const size = targetSize({ width: out.width, height: out.height }, options.resize);
    if (size) {
      // libvips treats a fourth channel as alpha and (un)premultiplies around a resize; HPA's yellow
      // is data, so RGB and the fourth channel are resized as separate images.
      out = out.channels === 4
        ? interleave(await resizeRaw(planes(out, [0, 1, 2]), size, options), await resizeRaw(planes(out, [3]), size, options))
        : await resizeRaw(out, size, options);
    }
    return finish(out, options);
  }
}

async function resizeRaw(image: Image, size: { width: number; height: number }, options: DecodeOptions): Promise<Image> {
  const { data, info } = await sharp(image.data as Uint8Array, { raw: { width: image.width, height: image.height, channels: image.channels as 1 | 3 } })
    .resize(size.width, size.height, resizeOptions(options))
    // Without this, sharp writes one-channel raw input out as three-channel sRGB.
    .toColourspace(image.channels === 1 ? "b-w" : "srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data: view8(data) };
}

/** The listed channels of an HWC image, as a new image. */
function planes(image: Image, channels: readonly number[]): Image {
  const n = image.width * image.height;
  const data = new Uint8Array(n * channels.length);
  for (let p = 0; p < n; p++) channels.forEach((c, k) => (data[p * channels.length + k] = image.data[p * image.channels + c]));
  return { ...image, channels: channels.length, data };
}

/** Concatenates the channels of same-size images. */
function interleave(a: Image, b: Image): Image {
  const channels = a.channels + b.channels;
  const n = a.width * a.height;
  const data = new Uint8Array(n * channels);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < a.channels; c++) data[p * channels + c] = a.data[p * a.channels + c];
    for (let c = 0; c < b.channels; c++) data[p * channels + a.channels + c] = b.data[p * b.channels + c];
  }
  return { ...a, channels, data };
}

function resizeOptions(options: DecodeOptions): ResizeOptions {
  return { fit: "fill", kernel: KERNELS[options.interpolation ?? "bilinear"], fastShrinkOnLoad: false };
}

function orientedSize(meta: Metadata): { width: number; height: number } {
  // sharp reports the stored size; autoOrient swaps it for orientations 5-8.
  return meta.autoOrient ?? { width: meta.width, height: meta.height };
}

/** Output size for `resize`, or undefined when nothing changes. */
export function targetSize(
  size: { width: number; height: number },
  resize: DecodeOptions["resize"],
): { width: number; height: number } | undefined {
  if (resize === undefined) return undefined;
  if (typeof resize !== "number") {
    const [height, width] = resize;
    return height === size.height && width === size.width ? undefined : { width, height };
  }
  const short = Math.min(size.width, size.height);
  const long = Math.max(size.width, size.height);
  if (short === resize) return undefined;
  const newLong = Math.trunc((resize * long) / short);
  return size.width <= size.height ? { width: resize, height: newLong } : { width: newLong, height: resize };
}

function view8(data: Buffer): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function highBytes(data: Buffer): Uint8Array {
  const out = new Uint8Array(data.byteLength / 2);
  const words = new Uint16Array(data.buffer, data.byteOffset, out.length);
  for (let i = 0; i < out.length; i++) out[i] = words[i] >> 8;
  return out;
}

/** Drops an alpha channel (gray+alpha or RGBA) unless four channels are wanted. */
function dropAlpha(image: Image, want: number): Image {
  const keep = image.channels === 2 ? 1 : image.channels === 4 && want !== 4 ? 3 : image.channels;
  if (keep === image.channels) return image;
  const n = image.width * image.height;
  const out = new Uint8Array(n * keep);
  for (let p = 0; p < n; p++) for (let c = 0; c < keep; c++) out[p * keep + c] = image.data[p * image.channels + c];
  return { ...image, channels: keep, data: out };
}

function toChannels(image: Image, want: number, source: string): Image {
  const have = image.channels;
  if (have === want) return image;
  const n = image.width * image.height;
  const src = image.data;
  const out = new Uint8Array(n * want);
  if (have === 1 && (want === 3 || want === 4)) {
    // A fourth channel made from gray is the gray value too (no alpha to invent).
    for (let p = 0; p < n; p++) out.fill(src[p], p * want, p * want + want);
  } else if (have === 3 && want === 1) {
    for (let p = 0; p < n; p++) {
      out[p] = (src[3 * p] * 19595 + src[3 * p + 1] * 38470 + src[3 * p + 2] * 7471 + 0x8000) >> 16;
    }
  } else {
    throw new InputError(source, `cannot make ${want} channels from an image with ${have}; expected 1, 3 or 4 output channels`);
  }
  return { ...image, channels: want, data: out };
}

/** Applies the channel order last, so "bgr" swaps exactly the first and third channels. */
function finish(image: Image, options: DecodeOptions): Image {
  if ((options.channelOrder ?? "rgb") === "rgb" || image.channels < 3) return image;
  const data = Uint8Array.from(image.data as Uint8Array);
  for (let p = 0; p < data.length; p += image.channels) {
    const r = data[p];
    data[p] = data[p + 2];
    data[p + 2] = r;
  }
  return { ...image, data };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
