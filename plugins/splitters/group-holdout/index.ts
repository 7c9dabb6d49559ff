/** Group (year, site, camera) balanced seeded holdout. */
import { z } from "zod";
import { groupHoldout } from "../../../core/splits/index.ts";
import { defineSplitter, holdoutSchema } from "../common.ts";

export const groupHoldoutSplitter = defineSplitter(
  { name: "group-holdout", version: "1.0.0", description: "seeded holdout balanced per sample group (and per class within groups with byClass)" },
  z.strictObject({ ...holdoutSchema, byClass: z.boolean().default(false) }),
  (index, seed, o) => groupHoldout(index, seed, o),
);
