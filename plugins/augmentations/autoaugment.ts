/**
 * The operation spaces and `_apply_op` of torchvision 0.14's RandAugment, TrivialAugmentWide and
 * AugMix, on uint8 images. Magnitude tables are float32 like torch.linspace's; the op order of
 * each space is torchvision's, so an op index means the same op.
 */
import { z } from "zod";
import type { Image } from "../../core/contracts.ts";
import * as I from "../../core/image/index.ts";
import type { Rng } from "../../core/rng.ts";
import { fillSchema, interpolationSchema } from "./common.ts";

const f32 = Math.fround;

/** torch.linspace(start, end, n) in float32 (forward from start for the first half, back from end after). */
export function linspace(start: number, end: number, n: number): number[] {
  if (n === 1) return [f32(start)];
  const step = f32(f32(f32(end) - f32(start)) / (n - 1));
  const half = Math.floor(n / 2);
  return Array.from({ length: n }, (_, i) => (i < half ? f32(f32(start) + step * i) : f32(f32(end) - step * (n - i - 1))));
}

/** `max - (arange(n) / ((n - 1) / levels)).round().int()`: posterize bits per bin. */
function posterizeBits(max: number, levels: number, n: number): number[] {
  const d = f32((n - 1) / levels);
  return Array.from({ length: n }, (_, i) => max - I.roundHalfEven(f32(i / d)));
}

/** op name -> magnitudes (empty: the op takes none) and whether a random sign applies. */
export type OpSpace = [name: string, magnitudes: number[], signed: boolean][];

export function randAugmentSpace(bins: number, height: number, width: number): OpSpace {
  return [
    ["Identity", [], false],
    ["ShearX", linspace(0, 0.3, bins), true],
    ["ShearY", linspace(0, 0.3, bins), true],
    ["TranslateX", linspace(0, (150 / 331) * width, bins), true],
    ["TranslateY", linspace(0, (150 / 331) * height, bins), true],
    ["Rotate", linspace(0, 30, bins), true],
    ["Brightness", linspace(0, 0.9, bins), true],
    ["Color", linspace(0, 0.9, bins), true],
    ["Contrast", linspace(0, 0.9, bins), true],
    ["Sharpness", linspace(0, 0.9, bins), true],
    ["Posterize", posterizeBits(8, 4, bins), false],
    ["Solarize", linspace(255, 0, bins), false],
    ["AutoContrast", [], false],
    ["Equalize", [], false],
  ];
}

export function trivialAugmentWideSpace(bins: number): OpSpace {
  return [
    ["Identity", [], false],
    ["ShearX", linspace(0, 0.99, bins), true],
    ["ShearY", linspace(0, 0.99, bins), true],
    ["TranslateX", linspace(0, 32, bins), true],
    ["TranslateY", linspace(0, 32, bins), true],
    ["Rotate", linspace(0, 135, bins), true],
    ["Brightness", linspace(0, 0.99, bins), true],
    ["Color", linspace(0, 0.99, bins), true],
    ["Contrast", linspace(0, 0.99, bins), true],
    ["Sharpness", linspace(0, 0.99, bins), true],
    ["Posterize", posterizeBits(8, 6, bins), false],
    ["Solarize", linspace(255, 0, bins), false],
    ["AutoContrast", [], false],
    ["Equalize", [], false],
  ];
}

export function augMixSpace(bins: number, height: number, width: number, allOps: boolean): OpSpace {
  const space: OpSpace = [
    ["ShearX", linspace(0, 0.3, bins), true],
    ["ShearY", linspace(0, 0.3, bins), true],
    ["TranslateX", linspace(0, width / 3, bins), true],
    ["TranslateY", linspace(0, height / 3, bins), true],
    ["Rotate", linspace(0, 30, bins), true],
    ["Posterize", posterizeBits(4, 4, bins), false],
    ["Solarize", linspace(255, 0, bins), false],
    ["AutoContrast", [], false],
    ["Equalize", [], false],
  ];
  if (allOps) {
    space.push(
      ["Brightness", linspace(0, 0.9, bins), true],
      ["Color", linspace(0, 0.9, bins), true],
      ["Contrast", linspace(0, 0.9, bins), true],
      ["Sharpness", linspace(0, 0.9, bins), true],
    );
  }
  return space;
}

export interface OpOptions {
  readonly interpolation: I.Interpolation;
  readonly fill?: readonly number[];
}

export const opOptionsSchema = {
  interpolation: interpolationSchema.default("nearest"),
  /** Omitted: torchvision's fill=None (zero padding without the mask blend). */
  fill: fillSchema.optional(),
};

const degrees = (x: number) => (Math.atan(x) * 180) / Math.PI;

/** torchvision `_apply_op`. */
export function applyOp(img: Image, op: string, magnitude: number, o: OpOptions): Image {
  const geo = { interpolation: o.interpolation, fill: o.fill };
  switch (op) {
    case "Identity": return img;
    case "ShearX": return I.affine(img, { angle: 0, translate: [0, 0], scale: 1, shear: [degrees(magnitude), 0], center: [0, 0], ...geo });
    case "ShearY": return I.affine(img, { angle: 0, translate: [0, 0], scale: 1, shear: [0, degrees(magnitude)], center: [0, 0], ...geo });
    case "TranslateX": return I.affine(img, { angle: 0, translate: [Math.trunc(magnitude), 0], scale: 1, shear: [0, 0], ...geo });
    case "TranslateY": return I.affine(img, { angle: 0, translate: [0, Math.trunc(magnitude)], scale: 1, shear: [0, 0], ...geo });
    case "Rotate": return I.rotate(img, magnitude, geo);
    case "Brightness": return I.adjustBrightness(img, 1 + magnitude);
    case "Color": return I.adjustSaturation(img, 1 + magnitude);
    case "Contrast": return I.adjustContrast(img, 1 + magnitude);
    case "Sharpness": return I.adjustSharpness(img, 1 + magnitude);
    case "Posterize": return I.posterize(img, Math.trunc(magnitude));
    case "Solarize": return I.solarize(img, magnitude);
    case "AutoContrast": return I.autocontrast(img);
    case "Equalize": return I.equalize(img);
    default: throw new RangeError(`unknown augmentation op "${op}"`);
  }
}

/** One op drawn uniformly from `space`, with bin `bin` (or a uniform bin when undefined) and a random sign. */
export function randomOp(img: Image, rng: Rng, space: OpSpace, bin: number | undefined, o: OpOptions): Image {
  const [name, magnitudes, signed] = space[rng.int(space.length)];
  let magnitude = magnitudes.length === 0 ? 0 : magnitudes[bin ?? rng.int(magnitudes.length)];
  if (signed && rng.int(2) === 1) magnitude = -magnitude;
  return applyOp(img, name, magnitude, o);
}
