/**
 * MixUp and CutMix as batch-augmentation plugins (core/image/batch.ts): a recipe lists them in
 * `augment.batch`; the trainer applies them to each training batch from the stream
 * `("batch-augment", epoch, step)` and trains on the mixed soft targets.
 */
import { z } from "zod";
import { cutmix, mixup, type BatchAugmentation } from "../../../core/image/index.ts";
import { definePlugin, parseOptions, type Plugin } from "../../../core/plugin.ts";
import { probabilitySchema } from "../common.ts";

const schema = z.strictObject({ p: probabilitySchema.default(0.5), alpha: z.number().positive().default(1) });
export type MixOptionsInput = z.input<typeof schema>;

const META = {
  mixup: { kind: "batch-augmentation", name: "mixup", version: "1.0.0", description: "MixUp: blend each sample and target with its batch neighbour, lambda ~ Beta(alpha, alpha)" },
  cutmix: { kind: "batch-augmentation", name: "cutmix", version: "1.0.0", description: "CutMix: paste a box from the batch neighbour; targets mix by the pasted area" },
} as const;

export function createBatchAugmentation(name: "mixup" | "cutmix", options: MixOptionsInput = {}): BatchAugmentation {
  const o = parseOptions(META[name], schema, options);
  const fn = name === "mixup" ? mixup : cutmix;
  return { apply: (batch, rng) => fn(batch, rng, o) };
}

export const BATCH_AUGMENTATION_PLUGINS: readonly Plugin<"batch-augmentation">[] = (["mixup", "cutmix"] as const).map((name) =>
  definePlugin({ meta: META[name], create: (options) => createBatchAugmentation(name, options as MixOptionsInput) }),
);
