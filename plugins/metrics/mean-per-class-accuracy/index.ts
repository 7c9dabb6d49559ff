/** Mean of per-class recall over classes present in yTrue (sklearn balanced_accuracy_score). */
import { z } from "zod";
import { meanPerClassAccuracy } from "../../../core/metrics/index.ts";
import { labelMetric, defineMetric } from "../common.ts";

export const meanPerClassAccuracyMetric = defineMetric(
  { name: "mean-per-class-accuracy", version: "1.0.0", description: "mean per-class recall of argmax predictions over the classes present (sklearn balanced_accuracy_score)" },
  z.strictObject({}),
  () => labelMetric("mean-per-class-accuracy", (y, pred) => meanPerClassAccuracy(y, pred)),
);
