/**
 * Shared parts of the augmentation plugins: `defineAugmentation`, `defineBatchAugmentation`, option schemas and the sampling helpers that mirror
 * torchvision's parameter draws, with torch's RNG replaced by the per-sample `Rng` stream the
 * caller passes (`SeedTree.stream("augment", epoch, sampleId)`).
 */
import { z } from "zod";
import type { Augmentation, Image, JsonObject } from "../../core/contracts.ts";
import type { Batch, BatchAugmentation } from "../../core/image/index.ts";
import { definePlugin, parseOptions, type Plugin } from "../../core/plugin.ts";
import type { Rng } from "../../core/rng.ts";

export const interpolationSchema = z.enum(["nearest", "bilinear"]);
/** Fill for pixels from outside the image: one value, or one per channel, in the image's range. */
export const fillSchema = z.union([z.number(), z.array(z.number()).min(1)]).transform((f) => (typeof f === "number" ? [f] : f));
export const probabilitySchema = z.number().min(0).max(1);
export const rangeSchema = z.tuple([z.number(), z.number()]).refine(([a, b]) => a <= b, { message: "range must be [min, max] with min <= max" });
/** Rotation range in degrees (random-rotation, random-affine): a number d means [-d, d]. */
export const degreesSchema = z.union([z.number().min(0), rangeSchema]).transform((d) => (typeof d === "number" ? ([-d, d] as const) : d));

/**
 * A per-image augmentation plugin from its options schema and a function of (options, image, rng):
 * options are validated (errors name the augmentation and the option). `build` is the same
 * factory without a run, for direct use.
 */
export function defineAugmentation<S extends z.ZodType>(
  meta: { readonly name: string; readonly version: string; readonly description: string },
  schema: S,
  apply: (options: z.output<S>, image: Image, rng: Rng) => Image,
): Plugin<"augmentation"> & { build(options?: z.input<S>): Augmentation } {
  const full = { kind: "augmentation" as const, ...meta };
  const build = (options?: z.input<S>): Augmentation => {
    const o = parseOptions(full, schema, options ?? {});
    return { apply: (image, rng) => apply(o, image, rng) };
  };
  return { ...definePlugin({ meta: full, create: (options: JsonObject) => build(options as z.input<S>) }), build };
}

/**
 * A batch-augmentation plugin (MixUp / CutMix kind: it mixes whole batches of images and soft
 * targets) from its options schema and a function of (options, batch, rng), built like
 * `defineAugmentation`.
 */
export function defineBatchAugmentation<S extends z.ZodType>(
  meta: { readonly name: string; readonly version: string; readonly description: string },
  schema: S,
  apply: (options: z.output<S>, batch: Batch, rng: Rng) => Batch,
): Plugin<"batch-augmentation"> & { build(options?: z.input<S>): BatchAugmentation } {
  const full = { kind: "batch-augmentation" as const, ...meta };
  const build = (options?: z.input<S>): BatchAugmentation => {
    const o = parseOptions(full, schema, options ?? {});
    return { apply: (batch, rng) => apply(o, batch, rng) };
  };
  return { ...definePlugin({ meta: full, create: (options: JsonObject) => build(options as z.input<S>) }), build };
}

/** Python's round() (half to even), used by torchvision's crop/erase size draws. */
export { roundHalfEven } from "../../core/image/index.ts";

/**
 * torchvision's box draws (RandomResizedCrop.get_params, RandomErasing.get_params): up to 10
 * tries of area = height * width * U(scale) and aspect = exp(U(log ratio)), drawn lazily.
 */
export function* boxTries(rng: Rng, height: number, width: number, scale: readonly [number, number], ratio: readonly [number, number]):
  Generator<{ area: number; aspect: number }> {
  for (let i = 0; i < 10; i++) {
    const area = height * width * rng.range(scale[0], scale[1]);
    const aspect = Math.exp(rng.range(Math.log(ratio[0]), Math.log(ratio[1])));
    yield { area, aspect };
  }
}
