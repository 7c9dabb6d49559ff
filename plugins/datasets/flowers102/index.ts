/**
 * Oxford 102 Flowers: `jpg/image_<nnnnn>.jpg`, `imagelabels.mat` (labels: 1xN, class 1..102 of
 * image n) and `setid.mat` (trnid, valid, tstid: 1-based image numbers of the provided splits).
 * Splits `train`, `val` (the provided validation set) and `test`, samples in that order and in
 * each file's order. The distribution names no flowers: classes are "1".."K", K the largest label.
 */
import type { Sample } from "../../../core/contracts.ts";
import { checkClasses, defineDataset, FileCheck, IdSet } from "../common/index.ts";
import { matIntegerVector, matVariable, readMatFile } from "../common/matlab.ts";

/** Split name -> variable of setid.mat. */
export const FLOWERS102_SPLITS = { train: "trnid", val: "valid", test: "tstid" } as const;
const LABELS = "imagelabels.mat";
const SETID = "setid.mat";
const MAX_CLASSES = 102;

export const flowers102 = defineDataset({
  name: "flowers102",
  description: "Oxford 102 Flowers: 102 flower classes, provided train/val/test splits",
  orientation: "stored",
  options: {},
  build(options) {
    return {
      meta: {
        task: "multiclass",
        classNames: Array.from({ length: MAX_CLASSES }, (_, k) => String(k + 1)),
        nativeFormat: "jpg/image_<nnnnn>.jpg + imagelabels.mat (labels) + setid.mat (trnid, valid, tstid) (102flowers.tgz)",
        selectionMetric: "mean-per-class-accuracy",
      },
      async index(ctx) {
        const { io } = ctx;
        const labels = matIntegerVector(matVariable(await readMatFile(io, LABELS, "labels: the class (1-102) of every image"), "labels", LABELS), `${LABELS} labels`, 1, MAX_CLASSES);
        const setid = await readMatFile(io, SETID, "trnid, valid, tstid: the image numbers of each split");
        const classNames = Array.from({ length: Math.max(...labels) }, (_, k) => String(k + 1));
        const ids = new IdSet();
        const check = new FileCheck(io, options.skipMissing);
        const samples: Sample[] = [];
        const predefinedSplits: Record<string, string[]> = {};
        for (const [split, variable] of Object.entries(FLOWERS102_SPLITS)) {
          const where = `${SETID} ${variable}`;
          const numbers = matIntegerVector(matVariable(setid, variable, SETID), where, 1, labels.length);
          const inSplit: string[] = [];
          for (const [i, n] of numbers.entries()) {
            const id = `image_${String(n).padStart(5, "0")}`;
            ids.add(id, `${where}(${i + 1})`);
            const files = [`jpg/${id}.jpg`];
            if (!(await check.present(id, files, `${where}(${i + 1})`))) continue;
            samples.push({ id, files, label: labels[n - 1] - 1 });
            inSplit.push(id);
          }
          predefinedSplits[split] = inSplit;
        }
        const train = new Set(predefinedSplits.train);
        checkClasses(samples.filter((s) => train.has(s.id)), classNames, `${SETID} trnid`, options.allowEmptyClasses);
        return { samples, predefinedSplits, classNames, skipped: check.skipped };
      },
    };
  },
});
