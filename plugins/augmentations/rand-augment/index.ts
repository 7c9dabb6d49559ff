/**
 * RandAugment (torchvision 0.14): `numOps` ops drawn uniformly from its 14-op space, each at
 * magnitude bin `magnitude` of `numMagnitudeBins`, with a random sign for signed ops. uint8 images.
 */
import { z } from "zod";
import { defineAugmentation } from "../common.ts";
import { opOptionsSchema, randAugmentSpace, randomOp } from "../autoaugment.ts";

export const randAugmentAugmentation = defineAugmentation(
  { name: "rand-augment", version: "1.0.0", description: "RandAugment (torchvision semantics)" },
  z.strictObject({
    numOps: z.number().int().min(0).default(2),
    magnitude: z.number().int().min(0).default(9),
    numMagnitudeBins: z.number().int().min(2).default(31),
    ...opOptionsSchema,
  }).refine((o) => o.magnitude < o.numMagnitudeBins, { message: "magnitude must be < numMagnitudeBins", path: ["magnitude"] }),
  (o, img, rng) => {
    const space = randAugmentSpace(o.numMagnitudeBins, img.height, img.width);
    let out = img;
    for (let i = 0; i < o.numOps; i++) out = randomOp(out, rng, space, o.magnitude, o);
    return out;
  },
);
