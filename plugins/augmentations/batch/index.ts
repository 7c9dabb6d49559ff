/**
 * MixUp and CutMix as batch augmentations (core/image/batch.ts). There is no "batch-augmentation"
 * plugin kind in core/plugin.ts yet, so these factories are not in the manifest: the trainer
 * builds them from a recipe's `batchAugmentation: { name: "mixup" | "cutmix", options }`.
 */
import { z } from "zod";
import { cutmix, mixup, type BatchAugmentation } from "../../../core/image/index.ts";
import { parseOptions } from "../../../core/plugin.ts";
import { probabilitySchema } from "../common.ts";

const schema = z.strictObject({ p: probabilitySchema.default(0.5), alpha: z.number().positive().default(1) });
export type MixOptionsInput = z.input<typeof schema>;

/** Options are validated with the augmentation kind's error format (the closest existing kind). */
export function createBatchAugmentation(name: "mixup" | "cutmix", options: MixOptionsInput = {}): BatchAugmentation {
  const o = parseOptions({ kind: "augmentation", name, version: "1.0.0", description: `${name} batch augmentation` }, schema, options);
  const fn = name === "mixup" ? mixup : cutmix;
  return { apply: (batch, rng) => fn(batch, rng, o) };
}

export const BATCH_AUGMENTATIONS = ["cutmix", "mixup"] as const;
