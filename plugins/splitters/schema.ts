/** Option fields shared by the holdout splitters. */
import { z } from "zod";

export const holdoutSchema = {
  valFraction: z.number().min(0).max(1).default(0.2),
  testFraction: z.number().min(0).max(1).default(0),
};
