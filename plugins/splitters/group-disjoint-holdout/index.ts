/** Seeded holdout that keeps every group (patient, camera location) in one split. */
import { z } from "zod";
import { groupDisjointHoldout } from "../../../core/splits/index.ts";
import { defineSplitter, holdoutSchema } from "../common.ts";

export const groupDisjointHoldoutSplitter = defineSplitter(
  { name: "group-disjoint-holdout", version: "1.0.0", description: "seeded holdout of whole groups (patients, locations); sizes within half the largest group of the target" },
  z.strictObject(holdoutSchema),
  (index, seed, o) => groupDisjointHoldout(index, seed, o),
);
