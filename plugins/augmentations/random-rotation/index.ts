/**
 * RandomRotation (torchvision, expand=False): angle ~ U(degrees) (a number d means [-d, d]),
 * counter-clockwise, about the image centre; `fill` (default 0) for uncovered pixels.
 */
import { z } from "zod";
import { rotate } from "../../../core/image/index.ts";
import { defineAugmentation, fillSchema, interpolationSchema, rangeSchema } from "../common.ts";

export const degreesSchema = z.union([z.number().min(0), rangeSchema]).transform((d) => (typeof d === "number" ? ([-d, d] as const) : d));

export default defineAugmentation(
  { name: "random-rotation", version: "1.0.0", description: "Random rotation (torchvision RandomRotation)" },
  z.strictObject({ degrees: degreesSchema, interpolation: interpolationSchema.default("nearest"), fill: fillSchema.default([0]) }),
  (o, img, rng) => rotate(img, rng.range(o.degrees[0], o.degrees[1]), { interpolation: o.interpolation, fill: o.fill }),
);
