/** Class-balanced seeded holdout. */
import { z } from "zod";
import { stratifiedHoldout } from "../../../core/splits/index.ts";
import { defineSplitter, holdoutSchema } from "../common.ts";

export const stratifiedHoldoutSplitter = defineSplitter(
  { name: "stratified-holdout", version: "1.0.0", description: "seeded class-balanced holdout; every class's share within one sample of the target" },
  z.strictObject(holdoutSchema),
  (index, seed, o) => stratifiedHoldout(index, seed, o),
);
