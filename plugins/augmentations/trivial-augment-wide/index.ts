/** TrivialAugmentWide (torchvision 0.14): one op, uniform magnitude bin, random sign. uint8 images. */
import { z } from "zod";
import { defineAugmentation } from "../common.ts";
import { opOptionsSchema, randomOp, trivialAugmentWideSpace } from "../autoaugment.ts";

export const trivialAugmentWideAugmentation = defineAugmentation(
  { name: "trivial-augment-wide", version: "1.0.0", description: "TrivialAugmentWide (torchvision semantics)" },
  z.strictObject({ numMagnitudeBins: z.number().int().min(2).default(31), ...opOptionsSchema }),
  (o, img, rng) => randomOp(img, rng, trivialAugmentWideSpace(o.numMagnitudeBins), undefined, o),
);
