/** Mirror top-bottom with probability p (torchvision RandomVerticalFlip; one uniform draw). */
import { z } from "zod";
import { vflip } from "../../../core/image/index.ts";
import { defineAugmentation, probabilitySchema } from "../common.ts";

export const verticalFlipAugmentation = defineAugmentation(
  { name: "vertical-flip", version: "1.0.0", description: "Random vertical flip" },
  z.strictObject({ p: probabilitySchema.default(0.5) }),
  (o, img, rng) => (rng.uniform() < o.p ? vflip(img) : img),
);
