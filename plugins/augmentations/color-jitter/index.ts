/**
 * ColorJitter (torchvision): brightness, contrast and saturation factors ~ U(max(0, 1 - x), 1 + x)
 * (or a [min, max] range), hue ~ U(-h, h) with h <= 0.5, applied in a random order; an absent or
 * zero entry is skipped. Draws: the order (a shuffle of 4), then the four factors.
 */
import { z } from "zod";
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from "../../../core/image/index.ts";
import type { Image } from "../../../core/contracts.ts";
import { defineAugmentation, rangeSchema } from "../common.ts";

const factor = z.union([z.number().min(0), rangeSchema]).optional()
  .transform((x) => (x === undefined || x === 0 ? undefined : typeof x === "number" ? ([Math.max(0, 1 - x), 1 + x] as const) : x));
const hue = z.union([z.number().min(0).max(0.5), rangeSchema]).optional()
  .transform((x) => (x === undefined || x === 0 ? undefined : typeof x === "number" ? ([-x, x] as const) : x));

export const colorJitterAugmentation = defineAugmentation(
  { name: "color-jitter", version: "1.0.0", description: "Random brightness, contrast, saturation and hue (torchvision ColorJitter)" },
  z.strictObject({ brightness: factor, contrast: factor, saturation: factor, hue }),
  (o, img, rng) => {
    const order = rng.shuffle([0, 1, 2, 3]);
    const draw = (r: readonly [number, number] | undefined) => (r ? rng.range(r[0], r[1]) : undefined);
    const f = [draw(o.brightness), draw(o.contrast), draw(o.saturation), draw(o.hue)];
    const ops: ((x: Image, v: number) => Image)[] = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
    return order.reduce((x, i) => (f[i] === undefined ? x : ops[i](x, f[i]!)), img);
  },
);
