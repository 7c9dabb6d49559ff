/** Top-1 accuracy on argmax predictions (sklearn accuracy_score). */
import { z } from "zod";
import { accuracy } from "../../../core/metrics/index.ts";
import { labelMetric, defineMetric } from "../common.ts";

export const accuracyMetric = defineMetric(
  { name: "accuracy", version: "1.0.0", description: "top-1 accuracy of argmax predictions (sklearn accuracy_score)" },
  z.strictObject({}),
  () => labelMetric("accuracy", (y, pred) => accuracy(y, pred)),
);
