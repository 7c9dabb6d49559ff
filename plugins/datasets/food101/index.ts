/**
 * Food-101 as distributed (`food-101.tar.gz`): `food-101/images/<class>/<id>.jpg`, the class list
 * `meta/classes.txt` and the split lists `meta/train.txt`, `meta/test.txt` (`<class>/<id>` per
 * line), as torchvision's Food101 reads them (it takes the same lists from the `.json` twins).
 * Label = the class's line in classes.txt; predefined splits train and test.
 */
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset } from "../common/index.ts";
import { indexSplitLists, readClassList } from "../common/class-lists.ts";
import { findDatasetDir, under } from "../common/text-lists.ts";

const SPLITS = ["train", "test"] as const;

export const food101 = defineDataset({
  name: "food101",
  description: "Food-101: 101 dishes, 750 training and 250 test images each (Bossard et al. 2014)",
  orientation: "stored",
  options: {},
  build(options) {
    return {
      meta: {
        task: "multiclass",
        // Read from meta/classes.txt; see DatasetIndex.classNames.
        classNames: [],
        nativeFormat: "food-101/{images/<class>/<id>.jpg, meta/classes.txt, meta/train.txt, meta/test.txt} (food-101.tar.gz)",
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        const dir = await findDatasetDir(ctx.io, ["food-101", "."], "meta", "Food-101's meta/ folder (food-101.tar.gz unpacks into food-101/)");
        const classesFile = under(dir, "meta/classes.txt");
        const classNames = await readClassList(ctx.io, classesFile, "one class name per line (Food-101's meta/classes.txt)");
        const labelOf = new Map(classNames.map((name, k) => [name, k]));
        const lists = Object.fromEntries(SPLITS.map((split) => [split, under(dir, `meta/${split}.txt`)]));
        const { samples, predefinedSplits, skipped } = await indexSplitLists(ctx.io, lists, "one <class>/<image id> per line (Food-101's split list)", (text, where) => {
          const slash = text.indexOf("/");
          const label = labelOf.get(text.slice(0, slash));
          if (slash < 0 || label === undefined || !/^[^/\\]+$/.test(text.slice(slash + 1))) {
            throw new InputError(where, `"${text}"; expected <class>/<image id> with a class of ${classesFile}`);
          }
          return { id: text, file: under(dir, `images/${text}.jpg`), label };
        }, options.skipMissing);
        checkClasses(samples, classNames, under(dir, "meta/{train,test}.txt"), options.allowEmptyClasses);
        return { samples, predefinedSplits, classNames, skipped };
      },
    };
  },
});
