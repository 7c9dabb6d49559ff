/**
 * RandomAffine (torchvision): angle ~ U(degrees); translation ~ U(-t * size, t * size) rounded
 * half to even per axis; scale ~ U(scale); shear x ~ U(shear[0..1]) and, when four values are
 * given, shear y ~ U(shear[2..3]) (a number s means x-shear in [-s, s]).
 */
import { z } from "zod";
import { affine } from "../../../core/image/index.ts";
import { defineAugmentation, degreesSchema, fillSchema, interpolationSchema, rangeSchema, roundHalfEven } from "../common.ts";

const shearSchema = z.union([z.number().min(0), z.array(z.number()).length(2), z.array(z.number()).length(4)])
  .transform((s) => (typeof s === "number" ? [-s, s] : s));

export const randomAffineAugmentation = defineAugmentation(
  { name: "random-affine", version: "1.0.0", description: "Random affine transform (torchvision RandomAffine)" },
  z.strictObject({
    degrees: degreesSchema,
    translate: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).optional(),
    scale: rangeSchema.optional(),
    shear: shearSchema.optional(),
    interpolation: interpolationSchema.default("nearest"),
    fill: fillSchema.default([0]),
  }),
  (o, img, rng) => {
    const angle = rng.range(o.degrees[0], o.degrees[1]);
    let translate: [number, number] = [0, 0];
    if (o.translate) {
      const mx = o.translate[0] * img.width;
      const my = o.translate[1] * img.height;
      translate = [roundHalfEven(rng.range(-mx, mx)), roundHalfEven(rng.range(-my, my))];
    }
    const scale = o.scale ? rng.range(o.scale[0], o.scale[1]) : 1;
    const shear: [number, number] = [0, 0];
    if (o.shear) {
      shear[0] = rng.range(o.shear[0], o.shear[1]);
      if (o.shear.length === 4) shear[1] = rng.range(o.shear[2], o.shear[3]);
    }
    return affine(img, { angle, translate, scale, shear, interpolation: o.interpolation, fill: o.fill });
  },
);
