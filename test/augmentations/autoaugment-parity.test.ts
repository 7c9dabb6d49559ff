/** RandAugment/TrivialAugmentWide/AugMix op spaces and `_apply_op` against torchvision (fixtures/generators/augment-parity.py). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Image } from "../../core/contracts.ts";
import { applyOp, augMixSpace, randAugmentSpace, trivialAugmentWideSpace, type OpSpace } from "../../plugins/augmentations/autoaugment.ts";

interface Arr { shape: [number, number, number]; dtype: string; data: number[] }
const doc = JSON.parse(readFileSync(new URL("../../fixtures/parity/augment/functional.json", import.meta.url), "utf8")) as {
  images: Record<string, Arr>;
  opSpaces: Record<string, OpSpace>;
  applyOp: { op: string; magnitude: number; interpolation: "nearest" | "bilinear"; fill: number[] | null; output: Arr }[];
};
const a = doc.images.a;
const image: Image = { height: a.shape[0], width: a.shape[1], channels: a.shape[2], data: Uint8Array.from(a.data) };

/**
 * torch.linspace's vectorised float32 kernel rounds a few entries one ulp differently from the
 * scalar formula used here, so magnitudes are compared to 1e-6 relative; names, order and signs exactly.
 */
describe("autoaugment op spaces equal torchvision's (names, order, signs; magnitudes to 1 float32 ulp)", () => {
  it.each([
    ["randAugment31_13x16", randAugmentSpace(31, 13, 16)],
    ["trivialAugmentWide31", trivialAugmentWideSpace(31)],
    ["augMix10_13x16", augMixSpace(10, 13, 16, true)],
    ["augMix10_13x16_notAllOps", augMixSpace(10, 13, 16, false)],
  ] as const)("%s", (key, space) => {
    const want = doc.opSpaces[key];
    expect(space.map(([n, m, signed]) => [n, m.length, signed])).toEqual(want.map(([n, m, signed]) => [n, m.length, signed]));
    space.forEach(([, m], i) => m.forEach((v, k) => expect(Math.abs(v - want[i][1][k])).toBeLessThanOrEqual(1e-6 * Math.abs(want[i][1][k]))));
  });
});

describe("applyOp matches torchvision _apply_op within 1/255", () => {
  doc.applyOp.forEach((c, i) => {
    it(`${i}: ${c.op}(${c.magnitude.toFixed(4)}, ${c.interpolation}, fill ${JSON.stringify(c.fill)})`, () => {
      const out = applyOp(image, c.op, c.magnitude, { interpolation: c.interpolation, fill: c.fill ?? undefined });
      expect([out.height, out.width, out.channels]).toEqual(c.output.shape);
      const worst = c.output.data.reduce((m, w, k) => Math.max(m, Math.abs(out.data[k] - w)), 0);
      expect(worst).toBeLessThanOrEqual(1);
    });
  });
});
