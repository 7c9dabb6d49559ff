/**
 * RandomErasing (torchvision): with probability p, a box of area fraction ~ U(scale) and aspect
 * ~ exp(U(log ratio)) (up to 10 tries; none fits: unchanged) is set to `value` (per channel) or,
 * with value "random", to standard normal noise. Usually placed after normalize (Float32 images).
 */
import { z } from "zod";
import { erase } from "../../../core/image/index.ts";
import { boxTries, defineAugmentation, probabilitySchema, rangeSchema, roundHalfEven } from "../common.ts";

export const randomErasingAugmentation = defineAugmentation(
  { name: "random-erasing", version: "1.0.0", description: "Random erasing of a box (torchvision RandomErasing)" },
  z.strictObject({
    p: probabilitySchema.default(0.5),
    scale: rangeSchema.default([0.02, 0.33]),
    ratio: rangeSchema.default([0.3, 3.3]),
    value: z.union([z.array(z.number()).min(1), z.literal("random")]).default([0]),
  }),
  (o, img, rng) => {
    if (o.value === "random" && img.data instanceof Uint8Array) {
      throw new TypeError(`augmentation "random-erasing": value "random" needs a Float32 image (place it after normalize)`);
    }
    if (!(rng.uniform() < o.p)) return img;
    for (const { area, aspect } of boxTries(rng, img.height, img.width, o.scale, o.ratio)) {
      const h = roundHalfEven(Math.sqrt(area * aspect));
      const w = roundHalfEven(Math.sqrt(area / aspect));
      if (!(h < img.height && w < img.width)) continue;
      const value = o.value === "random" ? Float32Array.from({ length: h * w * img.channels }, () => rng.normal()) : o.value;
      const top = rng.int(img.height - h + 1);
      const left = rng.int(img.width - w + 1);
      return erase(img, top, left, h, w, value);
    }
    return img;
  },
);
