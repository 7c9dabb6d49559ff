/**
 * Describable Textures Dataset (DTD): `dtd/images/<class>/<class>_<n>.jpg` and the ten provided
 * splits `dtd/labels/{train,val,test}<k>.txt` (lines `<class>/<file>`). `partition` picks k (1, the
 * first, by default, as Kornblith et al. 2019); splits `train`, `val` (the provided validation
 * set) and `test`. Classes: the sorted class folders of `images/` (47 in the distribution).
 */
import { z } from "zod";
import type { Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset, FileCheck, IdSet } from "../common/index.ts";
import { findDatasetDir, readLines, under } from "../common/text-lists.ts";

export const DTD_SPLITS = ["train", "val", "test"] as const;

export const dtd = defineDataset({
  name: "dtd",
  description: "Describable Textures Dataset: 47 texture classes, provided train/val/test splits",
  orientation: "stored",
  options: {
    /** Which of the ten provided splits (labels/{train,val,test}<partition>.txt). */
    partition: z.number().int().min(1).max(10).default(1),
  },
  build(options) {
    return {
      meta: {
        task: "multiclass",
        classNames: [],
        nativeFormat: "dtd/images/<class>/<class>_<n>.jpg + dtd/labels/{train,val,test}<1..10>.txt (dtd-r1.0.1.tar.gz)",
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        const { io } = ctx;
        const base = await findDatasetDir(io, ["dtd", "."], "images", "the DTD folder dtd/ (images/<class>/, labels/) in the root, or the root to be dtd/ itself");
        const images = under(base, "images");
        const classNames: string[] = [];
        for (const name of await io.list(images)) if (await io.isDirectory(`${images}/${name}`)) classNames.push(name);
        if (classNames.length === 0) throw new InputError(images, "no class folders; expected one folder per texture class");
        const labelOf = new Map(classNames.map((name, k) => [name, k]));
        const ids = new IdSet();
        const check = new FileCheck(io, options.skipMissing);
        const samples: Sample[] = [];
        const predefinedSplits: Record<string, string[]> = {};
        for (const split of DTD_SPLITS) {
          const path = under(base, `labels/${split}${options.partition}.txt`);
          const inSplit: string[] = [];
          for (const { line, text } of await readLines(io, path, `the ${split} images of partition ${options.partition}, one "<class>/<file>" per line`)) {
            const where = `${path} line ${line}`;
            const parts = text.split("/");
            if (parts.length !== 2 || parts[1] === "" || parts[1].startsWith(".")) throw new InputError(where, `${JSON.stringify(text)}; expected "<class>/<file>", e.g. banded/banded_0002.jpg`);
            const label = labelOf.get(parts[0]);
            if (label === undefined) throw new InputError(where, `class "${parts[0]}" is not a folder of ${images}; expected one of ${classNames.join(", ")}`);
            ids.add(text, where);
            const files = [`${images}/${text}`];
            if (!(await check.present(text, files, where))) continue;
            samples.push({ id: text, files, label });
            inSplit.push(text);
          }
          predefinedSplits[split] = inSplit;
        }
        const train = new Set(predefinedSplits.train);
        checkClasses(samples.filter((s) => train.has(s.id)), classNames, under(base, `labels/train${options.partition}.txt`), options.allowEmptyClasses);
        return { samples, predefinedSplits, classNames, skipped: check.skipped };
      },
    };
  },
});
