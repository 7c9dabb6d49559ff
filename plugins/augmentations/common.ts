/**
 * Shared parts of the augmentation plugins: option schemas and the sampling helpers that mirror
 * torchvision's parameter draws, with torch's RNG replaced by the per-sample `Rng` stream the
 * caller passes (`SeedTree.stream("augment", epoch, sampleId)`).
 */
import { z } from "zod";
import type { Augmentation, Image, JsonObject } from "../../core/contracts.ts";
import { definePlugin, parseOptions, type Plugin } from "../../core/plugin.ts";
import type { Rng } from "../../core/rng.ts";

export const interpolationSchema = z.enum(["nearest", "bilinear"]);
/** Fill for pixels from outside the image: one value, or one per channel, in the image's range. */
export const fillSchema = z.union([z.number(), z.array(z.number()).min(1)]).transform((f) => (typeof f === "number" ? [f] : f));
export const probabilitySchema = z.number().min(0).max(1);
export const rangeSchema = z.tuple([z.number(), z.number()]).refine(([a, b]) => a <= b, { message: "range must be [min, max] with min <= max" });

/** One augmentation plugin from its schema and a function of (options, image, rng). */
export function defineAugmentation<S extends z.ZodType>(
  meta: { name: string; version: string; description: string },
  schema: S,
  apply: (options: z.output<S>, image: Image, rng: Rng) => Image,
): Plugin<"augmentation"> & { build(options?: z.input<S>): Augmentation } {
  const fullMeta = { kind: "augmentation", ...meta } as const;
  const build = (options?: z.input<S>): Augmentation => {
    const o = parseOptions(fullMeta, schema, options ?? {});
    return { apply: (image, rng) => apply(o, image, rng) };
  };
  return { ...definePlugin({ meta: fullMeta, create: (options: JsonObject) => build(options as z.input<S>) }), build };
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
