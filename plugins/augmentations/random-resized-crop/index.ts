/**
 * RandomResizedCrop (torchvision): crop a box of area fraction in `scale` and aspect ratio in
 * `ratio` (log-uniform), at a uniform position, resized to `size` with antialiased bilinear;
 * after 10 failed draws, the central crop clamped to `ratio`. The paper fine-tunes with
 * scale [0.65, 1] (torchvision's default is [0.08, 1]).
 */
import { z } from "zod";
import { resizedCrop } from "../../../core/image/index.ts";
import { boxTries, defineAugmentation, rangeSchema, roundHalfEven } from "../common.ts";

const sizeSchema = z.union([z.number().int().positive(), z.tuple([z.number().int().positive(), z.number().int().positive()])])
  .transform((s) => (typeof s === "number" ? ([s, s] as const) : s));

export const randomResizedCropAugmentation = defineAugmentation(
  { name: "random-resized-crop", version: "1.0.0", description: "Random area/aspect crop resized to a fixed size (torchvision RandomResizedCrop)" },
  z.strictObject({
    size: sizeSchema,
    scale: rangeSchema.default([0.08, 1]),
    ratio: rangeSchema.default([3 / 4, 4 / 3]),
  }),
  (o, img, rng) => {
    const { height: H, width: W } = img;
    for (const { area, aspect } of boxTries(rng, H, W, o.scale, o.ratio)) {
      const w = roundHalfEven(Math.sqrt(area * aspect));
      const h = roundHalfEven(Math.sqrt(area / aspect));
      if (w > 0 && w <= W && h > 0 && h <= H) {
        const top = rng.int(H - h + 1);
        const left = rng.int(W - w + 1);
        return resizedCrop(img, top, left, h, w, o.size);
      }
    }
    const inRatio = W / H;
    let w = W;
    let h = H;
    if (inRatio < o.ratio[0]) h = roundHalfEven(w / o.ratio[0]);
    else if (inRatio > o.ratio[1]) w = roundHalfEven(h * o.ratio[1]);
    return resizedCrop(img, Math.floor((H - h) / 2), Math.floor((W - w) / 2), h, w, o.size);
  },
);
