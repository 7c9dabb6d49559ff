/** Mirror left-right with probability p (torchvision RandomHorizontalFlip; one uniform draw). */
import { z } from "zod";
import { hflip } from "../../../core/image/index.ts";
import { defineAugmentation, probabilitySchema } from "../common.ts";

export const horizontalFlipAugmentation = defineAugmentation(
  { name: "horizontal-flip", version: "1.0.0", description: "Random horizontal flip" },
  z.strictObject({ p: probabilitySchema.default(0.5) }),
  (o, img, rng) => (rng.uniform() < o.p ? hflip(img) : img),
);
