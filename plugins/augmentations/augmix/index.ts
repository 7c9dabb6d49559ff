/**
 * AugMix (torchvision 0.14): m ~ Dirichlet(alpha, alpha), w ~ Dirichlet(alpha x mixtureWidth);
 * output = m0 * image + sum_i m1 * w_i * chain_i(image), each chain `chainDepth` ops (1-3 at
 * random when -1) at bin severity - 1 of 10, truncated back to uint8. Bilinear by default.
 */
import { z } from "zod";
import { makeImage, sampleDirichlet } from "../../../core/image/index.ts";
import { defineAugmentation } from "../common.ts";
import { augMixSpace, opOptionsSchema, randomOp } from "../autoaugment.ts";

export const augmixAugmentation = defineAugmentation(
  { name: "augmix", version: "1.0.0", description: "AugMix (torchvision semantics)" },
  z.strictObject({
    severity: z.number().int().min(1).max(10).default(3),
    mixtureWidth: z.number().int().min(1).default(3),
    chainDepth: z.number().int().min(-1).default(-1).refine((d) => d !== 0, { message: "chainDepth must be -1 (random 1-3) or >= 1" }),
    alpha: z.number().positive().default(1),
    allOps: z.boolean().default(true),
    ...opOptionsSchema,
    interpolation: opOptionsSchema.interpolation.removeDefault().default("bilinear"),
  }),
  (o, img, rng) => {
    const space = augMixSpace(10, img.height, img.width, o.allOps);
    const m = sampleDirichlet(rng, [o.alpha, o.alpha]);
    const w = sampleDirichlet(rng, new Array<number>(o.mixtureWidth).fill(o.alpha)).map((x) => Math.fround(x * m[1]));
    const m0 = Math.fround(m[0]);
    const mix = new Float32Array(img.data).map((v) => m0 * v);
    for (let i = 0; i < o.mixtureWidth; i++) {
      let aug = img;
      const depth = o.chainDepth > 0 ? o.chainDepth : 1 + rng.int(3);
      for (let d = 0; d < depth; d++) aug = randomOp(aug, rng, space, o.severity - 1, o);
      for (let k = 0; k < mix.length; k++) mix[k] = Math.fround(mix[k] + Math.fround(w[i] * aug.data[k]));
    }
    const out = img.data instanceof Uint8Array ? new Uint8Array(mix.map((v) => Math.min(255, v))) : mix;
    return makeImage(img.width, img.height, img.channels, out);
  },
);
