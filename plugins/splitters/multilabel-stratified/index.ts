/** Iterative multilabel stratification (Sechidis et al. 2011), seeded. */
import { z } from "zod";
import { multilabelStratified } from "../../../core/splits/index.ts";
import { defineSplitter, holdoutSchema } from "../common.ts";

export const multilabelStratifiedSplitter = defineSplitter(
  { name: "multilabel-stratified", version: "1.0.0", description: "seeded iterative stratification for multilabel data (Sechidis et al. 2011)" },
  z.strictObject(holdoutSchema),
  (index, seed, o) => multilabelStratified(index, seed, o),
);
