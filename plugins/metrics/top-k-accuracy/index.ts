/** Top-k accuracy on the scores (sklearn top_k_accuracy_score; ties rank the higher class first). */
import { z } from "zod";
import type { Labels, Scores } from "../../../core/contracts.ts";
import { topKAccuracy } from "../../../core/metrics/index.ts";
import { classIndices, defineMetric } from "../common.ts";

export const topKAccuracyMetric = defineMetric(
  { name: "top-k-accuracy", version: "1.0.0", description: "fraction of samples whose true class is among the k highest scores (sklearn top_k_accuracy_score)" },
  z.strictObject({ k: z.number().int().min(1).default(5) }),
  ({ k }) => ({
    name: "top-k-accuracy",
    direction: "max",
    compute: (yTrue: Labels, yScore: Scores) => topKAccuracy(classIndices("top-k-accuracy", yTrue), yScore, k),
  }),
);
