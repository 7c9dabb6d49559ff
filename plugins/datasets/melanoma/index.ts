/**
 * SIIM-ISIC Melanoma 2020 plus the ISIC 2019 set, in the 512x512 JPEG layout with `tfrecord`
 * folds that the reference code read: `melanoma-<year>/train.csv` (image_name, target, tfrecord,
 * ...) and `melanoma-<year>/train/<image_name>.jpg`. Binary (target 1 = malignant).
 * Sample ids are `<year>/<image_name>`; `group` is `<year>/<tfrecord>` (tfrecord -1 marks rows the
 * reference split leaves out), which the melanoma reference splitter reads. Years come in the
 * reference order: 2020 first, then 2019; rows in file order.
 */
import { z } from "zod";
import type { Sample } from "../../../core/contracts.ts";
import { checkClasses, defineDataset, FileCheck, IdSet, parseClassIndex, parseInteger, readCsv, rowWhere } from "../common/index.ts";

export const MELANOMA_CLASSES = ["benign", "malignant"] as const;

export const melanoma = defineDataset({
  name: "melanoma",
  description: "SIIM-ISIC Melanoma 2020 + ISIC 2019 (jpeg-512 layout with tfrecord folds), binary",
  orientation: "exif",
  options: {
    /** Years to read, in this order (the reference order is 2020 then 2019). */
    years: z.array(z.union([z.literal(2020), z.literal(2019)])).min(1).default([2020, 2019]),
  },
  build(options) {
    return {
      meta: {
        task: "binary",
        classNames: MELANOMA_CLASSES,
        nativeFormat: "melanoma-2020/ and melanoma-2019/, each train.csv (image_name,target,tfrecord,...) + train/<image_name>.jpg",
        selectionMetric: "roc-auc",
      },
      async index(ctx) {
        const ids = new IdSet();
        const check = new FileCheck(ctx.io, options.skipMissing);
        const samples: Sample[] = [];
        for (const year of options.years) {
          const csv = `melanoma-${year}/train.csv`;
          const { rows } = await readCsv(ctx.io, csv, ["image_name", "target", "tfrecord"]);
          for (const row of rows) {
            const id = `${year}/${row.values.image_name}`;
            ids.add(id, rowWhere(csv, row));
            const label = parseClassIndex(row.values.target, 2, rowWhere(csv, row, "target"));
            const tfrecord = parseInteger(row.values.tfrecord, rowWhere(csv, row, "tfrecord"), "a fold number >= 0, or -1 for rows outside every fold");
            const files = [`melanoma-${year}/train/${row.values.image_name}.jpg`];
            if (await check.present(id, files, rowWhere(csv, row))) samples.push({ id, files, label, group: `${year}/${tfrecord}` });
          }
        }
        checkClasses(samples, MELANOMA_CLASSES, options.years.map((y) => `melanoma-${y}/train.csv`).join(" + "), options.allowEmptyClasses);
        return { samples, skipped: check.skipped };
      },
    };
  },
});
