/**
 * FGVC Aircraft (Maji et al. 2013) as distributed (`fgvc-aircraft-2013b.tar.gz`):
 * `fgvc-aircraft-2013b/data/images/<image>.jpg`, the 100 variants in `data/variants.txt` and the
 * split lists `data/images_variant_{train,val,test}.txt` (`<image> <variant>` per line; a variant
 * may contain spaces), as torchvision's FGVCAircraft reads them at annotation level "variant".
 * Label = the variant's line in variants.txt; predefined splits train, val (the provided
 * validation set Kornblith et al. 2019 selected on) and test. Images keep the distribution's
 * 20-pixel copyright banner at the bottom, as torchvision leaves it.
 */
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset } from "../common/index.ts";
import { indexSplitLists, readClassList } from "../common/class-lists.ts";
import { findDatasetDir, under } from "../common/text-lists.ts";

const SPLITS = ["train", "val", "test"] as const;
/** The folder holding images/ and the lists: the archive's layout, its data/ folder, or the root itself. */
const DATA_DIRS = ["fgvc-aircraft-2013b/data", "data", "."] as const;

export const fgvcAircraft = defineDataset({
  name: "fgvc-aircraft",
  description: "FGVC Aircraft 2013b: 100 aircraft variants, provided train/val/test splits",
  orientation: "stored",
  options: {},
  build(options) {
    return {
      meta: {
        task: "multiclass",
        // Read from variants.txt; see DatasetIndex.classNames.
        classNames: [],
        nativeFormat: "fgvc-aircraft-2013b/data/{images/<image>.jpg, variants.txt, images_variant_{train,val,test}.txt} (fgvc-aircraft-2013b.tar.gz)",
        selectionMetric: "mean-per-class-accuracy",
      },
      async index(ctx) {
        const dir = await findDatasetDir(ctx.io, DATA_DIRS, "images", "FGVC Aircraft's data/images/ folder (fgvc-aircraft-2013b.tar.gz)");
        const classNames = await readClassList(ctx.io, under(dir, "variants.txt"), "one variant name per line (FGVC Aircraft's variants.txt)");
        const labelOf = new Map(classNames.map((name, k) => [name, k]));
        const lists = Object.fromEntries(SPLITS.map((split) => [split, under(dir, `images_variant_${split}.txt`)]));
        const { samples, predefinedSplits, skipped } = await indexSplitLists(ctx.io, lists, "one <image> <variant> per line (an FGVC Aircraft split list)", (text, where) => {
          const space = text.indexOf(" ");
          const image = text.slice(0, space);
          const variant = text.slice(space + 1);
          if (space < 0 || !/^[^/\\]+$/.test(image)) throw new InputError(where, `"${text}"; expected <image> <variant>`);
          const label = labelOf.get(variant);
          if (label === undefined) throw new InputError(where, `variant "${variant}" of image ${image}; expected a variant of ${under(dir, "variants.txt")}`);
          return { id: image, file: under(dir, `images/${image}.jpg`), label };
        }, options.skipMissing);
        checkClasses(samples, classNames, under(dir, "images_variant_{train,val,test}.txt"), options.allowEmptyClasses);
        return { samples, predefinedSplits, classNames, skipped };
      },
    };
  },
});
