/** Binary ROC AUC, ties counted half (sklearn roc_auc_score). */
import { z } from "zod";
import type { Labels, Scores } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { rocAuc } from "../../../core/metrics/index.ts";
import { classIndices, defineMetric } from "../common.ts";

export const rocAucMetric = defineMetric(
  { name: "roc-auc", version: "1.0.0", description: "binary ROC AUC of the positive-class score (column 1 of n x 2 scores, or the only column of n x 1), ties count half (sklearn roc_auc_score)" },
  z.strictObject({}),
  () => ({
    name: "roc-auc",
    direction: "max",
    compute(yTrue: Labels, yScore: Scores): number {
      const k = yScore[0]?.length ?? 0;
      if (k !== 1 && k !== 2) {
        throw new InputError('metric "roc-auc"', `binary scores must have 1 or 2 columns, got ${k}`);
      }
      return rocAuc(classIndices("roc-auc", yTrue), yScore.map((row) => row[k - 1]));
    },
  }),
);
