/** PASCAL VOC 2007 11-point interpolated mean average precision (multilabel). */
import { z } from "zod";
import type { Labels, Scores } from "../../../core/contracts.ts";
import { vocMeanAP } from "../../../core/metrics/index.ts";
import { defineMetric, multilabelRows } from "../common.ts";

export const vocMapMetric = defineMetric(
  { name: "voc-map", version: "1.0.0", description: "PASCAL VOC 2007 11-point interpolated mean average precision over classes (multilabel scores)" },
  z.strictObject({}),
  () => ({
    name: "voc-map",
    direction: "max",
    compute: (yTrue: Labels, yScore: Scores) => vocMeanAP(multilabelRows("voc-map", yTrue), yScore),
  }),
);
