/**
 * MixUp and CutMix as batch-augmentation plugins (core/image/batch.ts): a recipe lists them in
 * `augment.batch`; the trainer applies them to each training batch from the stream
 * `("batch-augment", epoch, step)` and trains on the mixed soft targets.
 */
import { z } from "zod";
import { cutmix, mixup } from "../../../core/image/index.ts";
import { defineBatchAugmentation, probabilitySchema } from "../common.ts";

const schema = z.strictObject({ p: probabilitySchema.default(0.5), alpha: z.number().positive().default(1) });

export const mixupAugmentation = defineBatchAugmentation(
  { name: "mixup", version: "1.0.0", description: "MixUp: blend each sample and target with its batch neighbour, lambda ~ Beta(alpha, alpha)" },
  schema,
  (o, batch, rng) => mixup(batch, rng, o),
);

export const cutmixAugmentation = defineBatchAugmentation(
  { name: "cutmix", version: "1.0.0", description: "CutMix: paste a box from the batch neighbour; targets mix by the pasted area" },
  schema,
  (o, batch, rng) => cutmix(batch, rng, o),
);
