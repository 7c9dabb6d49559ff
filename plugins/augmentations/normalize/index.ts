/**
 * ToTensor + Normalize: uint8 values / 255, then (x - mean) / std per channel, into a Float32
 * image. mean/std are the backbone's (BackboneMeta.mean/std). Draws nothing.
 */
import { z } from "zod";
import { normalize } from "../../../core/image/index.ts";
import { defineAugmentation } from "../common.ts";

export const normalizeAugmentation = defineAugmentation(
  { name: "normalize", version: "1.0.0", description: "Scale to [0, 1] and normalise per channel; outputs a Float32 image" },
  z.strictObject({ mean: z.array(z.number()).min(1), std: z.array(z.number().positive()).min(1) }),
  (o, img) => normalize(img, o.mean, o.std),
);
