/**
 * Evaluation transform: Resize(resize) (shorter side, antialiased bilinear) then
 * CenterCrop(crop). The reference code uses resize = crop = the training size.
 * Deterministic: it draws nothing from the stream.
 */
import { z } from "zod";
import { centerCrop, resizeShorter } from "../../../core/image/index.ts";
import { defineAugmentation } from "../common.ts";

export const resizeCenterCropAugmentation = defineAugmentation(
  { name: "resize-center-crop", version: "1.0.0", description: "Resize the shorter side, then center-crop (evaluation)" },
  z.strictObject({ resize: z.number().int().positive(), crop: z.number().int().positive() }),
  (o, img) => centerCrop(resizeShorter(img, o.resize), o.crop, o.crop),
);
