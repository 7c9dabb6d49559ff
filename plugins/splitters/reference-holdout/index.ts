/** The reference code's per-class validation draw (APTOS, Cassava seed 414; EuroSAT seed 42). */
import { z } from "zod";
import { referenceClassHoldout } from "../../../core/splits/index.ts";
import { defineSplitter } from "../common.ts";

export const referenceHoldoutSplitter = defineSplitter(
  { name: "reference-holdout", version: "1.0.0", description: "numpy-exact per-class int(f*n) validation draw of the reference code (APTOS, Cassava, EuroSAT)" },
  z.strictObject({ valFraction: z.number().gt(0).lt(1).default(0.2) }),
  (index, seed, o) => referenceClassHoldout(index, seed, o.valFraction),
);
