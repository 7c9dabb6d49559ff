/** PASCAL VOC 2007 11-point interpolated mean average precision (multilabel). */
import { z } from "zod";
import { IGNORED_LABEL, type Labels, type Scores } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { vocMeanAP } from "../../../core/metrics/index.ts";
import { defineMetric, multilabelRows } from "../common.ts";

/**
 * As the devkit's classification evaluation (VOCevalcls): a pair marked IGNORED_LABEL (an image
 * whose objects of the class are all difficult) is left out of that class's ranking, so it counts
 * neither as a hit nor as a false positive; AP is averaged over classes as before.
 */
function vocMeanAPIgnoring(yTrue: readonly (readonly number[])[], yScore: Scores): number {
  if (!yTrue.some((row) => row.includes(IGNORED_LABEL))) return vocMeanAP(yTrue, yScore);
  const where = 'metric "voc-map"';
  if (yTrue.length !== yScore.length) throw new InputError(where, `yTrue and yScore differ in length (${yTrue.length} vs ${yScore.length})`);
  const k = yTrue[0].length;
  yScore.forEach((row, i) => {
    if (row.length !== k || yTrue[i].length !== k) throw new InputError(where, `row ${i} has ${yTrue[i].length} labels and ${row.length} scores; expected ${k} of each`);
  });
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const kept = yTrue.flatMap((row, i) => (row[c] === IGNORED_LABEL ? [] : [i]));
    if (!kept.some((i) => yTrue[i][c] === 1)) throw new InputError(where, `class ${c} has no positive samples (besides those ignored); its average precision is undefined`);
    sum += vocMeanAP(kept.map((i) => [yTrue[i][c]]), kept.map((i) => [yScore[i][c]]));
  }
  return sum / k;
}

export const vocMapMetric = defineMetric(
  { name: "voc-map", version: "1.1.0", description: "PASCAL VOC 2007 11-point interpolated mean average precision over classes (multilabel scores; ignored pairs left out, as the devkit leaves out difficult-only images)" },
  z.strictObject({}),
  () => ({
    name: "voc-map",
    direction: "max",
    compute: (yTrue: Labels, yScore: Scores) => vocMeanAPIgnoring(multilabelRows("voc-map", yTrue, "skip"), yScore),
  }),
);
