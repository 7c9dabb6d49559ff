/** PASCAL VOC 2007 11-point interpolated mean average precision (multilabel). */
import { z } from "zod";
import type { Labels, Scores } from "../../../core/contracts.ts";
import { vocMeanAP } from "../../../core/metrics/index.ts";
import { metricPlugin, multiHot } from "../common.ts";

export const vocMapMetric = metricPlugin(
  { name: "voc-map", version: "1.0.0", description: "PASCAL VOC 2007 11-point interpolated mean average precision over classes (multilabel scores)" },
  z.strictObject({}),
  () => ({
    name: "voc-map",
    direction: "max",
    needs: "scores",
    compute: (yTrue: Labels, yScore: Scores) => vocMeanAP(multiHot("voc-map", yTrue), yScore),
  }),
);
