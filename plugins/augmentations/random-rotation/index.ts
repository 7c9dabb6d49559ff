/**
 * RandomRotation (torchvision, expand=False): angle ~ U(degrees) (a number d means [-d, d]),
 * counter-clockwise, about the image centre; `fill` (default 0) for uncovered pixels.
 */
import { z } from "zod";
import { rotate } from "../../../core/image/index.ts";
import { defineAugmentation, degreesSchema, fillSchema, interpolationSchema } from "../common.ts";

export const randomRotationAugmentation = defineAugmentation(
  { name: "random-rotation", version: "1.0.0", description: "Random rotation (torchvision RandomRotation)" },
  z.strictObject({ degrees: degreesSchema, interpolation: interpolationSchema.default("nearest"), fill: fillSchema.default([0]) }),
  (o, img, rng) => rotate(img, rng.range(o.degrees[0], o.degrees[1]), { interpolation: o.interpolation, fill: o.fill }),
);
