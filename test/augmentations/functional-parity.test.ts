/**
 * core/image against torchvision.transforms.functional: fixtures/parity/augment/functional.json
 * is written by fixtures/generators/augment-parity.py. Every output pixel must lie within 1/255
 * of torchvision's (1 for uint8 values, 1/255 for float images in [0, 1], and 1/255 / std for
 * normalized output).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Image } from "../../core/contracts.ts";
import * as I from "../../core/image/index.ts";

interface Arr { shape: [number, number, number]; dtype: "uint8" | "float32"; data: number[] }
interface Case { op: string; input: string; args: Record<string, unknown>; output: Arr }
const doc = JSON.parse(readFileSync(new URL("../../fixtures/parity/augment/functional.json", import.meta.url), "utf8")) as {
  images: Record<string, Arr>; cases: Case[];
};

const toImage = (a: Arr): Image => ({
  height: a.shape[0], width: a.shape[1], channels: a.shape[2],
  data: a.dtype === "uint8" ? Uint8Array.from(a.data) : Float32Array.from(a.data),
});

/** Each op takes its own argument shape; the fixture supplies it (hence `never` here). */
const OPS: Record<string, (img: Image, a: never) => Image> = {
  resize: (img, a: { size: [number, number] }) => I.resize(img, a.size[0], a.size[1]),
  resizeShorter: (img, a: { size: number }) => I.resizeShorter(img, a.size),
  resizedCrop: (img, a: { top: number; left: number; height: number; width: number; size: [number, number] }) =>
    I.resizedCrop(img, a.top, a.left, a.height, a.width, a.size),
  crop: (img, a: { top: number; left: number; height: number; width: number }) => I.crop(img, a.top, a.left, a.height, a.width),
  centerCrop: (img, a: { height: number; width: number }) => I.centerCrop(img, a.height, a.width),
  hflip: (img) => I.hflip(img),
  vflip: (img) => I.vflip(img),
  rotate: (img, a: { angle: number } & Parameters<typeof I.rotate>[2]) => I.rotate(img, a.angle, a),
  affine: (img, a: I.AffineParams) => I.affine(img, a),
  adjustBrightness: (img, a: { factor: number }) => I.adjustBrightness(img, a.factor),
  adjustContrast: (img, a: { factor: number }) => I.adjustContrast(img, a.factor),
  adjustSaturation: (img, a: { factor: number }) => I.adjustSaturation(img, a.factor),
  adjustHue: (img, a: { factor: number }) => I.adjustHue(img, a.factor),
  adjustSharpness: (img, a: { factor: number }) => I.adjustSharpness(img, a.factor),
  grayscale: (img) => I.grayscale(img),
  posterize: (img, a: { bits: number }) => I.posterize(img, a.bits),
  solarize: (img, a: { threshold: number }) => I.solarize(img, a.threshold),
  autocontrast: (img) => I.autocontrast(img),
  equalize: (img) => I.equalize(img),
  invert: (img) => I.invert(img),
  normalize: (img, a: { mean: number[]; std: number[] }) => I.normalize(img, a.mean, a.std),
};

describe("core/image matches torchvision.transforms.functional within 1/255", () => {
  doc.cases.forEach((c, index) => {
    it(`${index}: ${c.op}(${c.input}, ${JSON.stringify(c.args)})`, () => {
      const out = OPS[c.op](toImage(doc.images[c.input]), c.args as never);
      expect([out.height, out.width, out.channels]).toEqual(c.output.shape);
      expect(out.data instanceof Uint8Array).toBe(c.output.dtype === "uint8");
      const std = (c.args as { std?: number[] }).std;
      const tol = c.output.dtype === "uint8" ? 1 : (1 / 255) / (std ? Math.min(...std) : 1);
      let worst = 0;
      let differing = 0;
      c.output.data.forEach((want, i) => {
        const d = Math.abs(out.data[i] - want);
        worst = Math.max(worst, d);
        if (d > 1e-6) differing++;
      });
      expect(worst, `${differing} of ${c.output.data.length} values differ`).toBeLessThanOrEqual(tol + 1e-9);
    });
  });
});
