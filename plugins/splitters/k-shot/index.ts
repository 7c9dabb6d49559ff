/** k training samples per class, validation shared with the stratified holdout (few-shot study). */
import { z } from "zod";
import { kShotSplit } from "../../../core/splits/index.ts";
import { defineSplitter } from "../common.ts";

export const kShotSplitter = defineSplitter(
  { name: "k-shot", version: "1.0.0", description: "exactly k training samples per class (when available), nested across k; val = stratified-holdout's" },
  z.strictObject({ k: z.number().int().positive(), valFraction: z.number().min(0).lt(1).default(0.2) }),
  (index, seed, o) => kShotSplit(index, seed, o),
);
