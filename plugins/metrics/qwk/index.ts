/** Quadratic weighted kappa on argmax predictions (sklearn cohen_kappa_score(weights="quadratic")). */
import { z } from "zod";
import { qwk } from "../../../core/metrics/index.ts";
import { labelMetric, defineMetric } from "../common.ts";

export const qwkMetric = defineMetric(
  {
    name: "qwk",
    version: "1.0.0",
    description: "quadratic weighted kappa of argmax predictions; weights by position in the label set: \"present\" (default, sklearn's default: classes seen in yTrue or predictions) or \"all\" (every score column)",
  },
  z.strictObject({ labels: z.enum(["present", "all"]).default("present") }),
  ({ labels }) => labelMetric("qwk", (y, pred, k) => qwk(y, pred, labels === "all" ? Array.from({ length: k }, (_, i) => i) : undefined)),
);
