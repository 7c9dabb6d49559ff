/** The reference code's Melanoma split: per year, 80% of the tfrecord folds train (seed 23). */
import { z } from "zod";
import { referenceFolds } from "../../../core/splits/index.ts";
import { defineSplitter } from "../common.ts";

export const referenceFoldsSplitter = defineSplitter(
  { name: "reference-folds", version: "1.0.0", description: "numpy-exact per-stratum fold draw of the reference code (Melanoma); sample group is \"<year>/<fold>\"" },
  z.strictObject({
    trainFraction: z.number().gt(0).lt(1).default(0.8),
    /** Strata in draw order (the reference code draws 2020 first); default: first appearance. */
    strataOrder: z.array(z.string().min(1)).min(1).optional(),
  }),
  (index, seed, o) => referenceFolds(index, seed, o),
);
