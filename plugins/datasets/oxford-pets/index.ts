/**
 * Oxford-IIIT Pets (Parkhi et al. 2012) as distributed (`images.tar.gz`, `annotations.tar.gz`):
 * `oxford-iiit-pet/images/<image>.jpg` and the split lists `annotations/trainval.txt`,
 * `annotations/test.txt` (`<image> <class id> <species> <breed id>` per line), as torchvision's
 * OxfordIIITPet reads them. Label = class id - 1 (the 37 breeds, ids 1-37); a class is named by
 * its images' name without the trailing `_<n>` (`Abyssinian`, `american_bulldog`, ...), and every
 * image of an id must carry that name. Predefined splits train (trainval.txt) and test.
 */
import { InputError } from "../../../core/errors.ts";
import { indexSplitLists } from "../common/class-lists.ts";
import { checkClasses, checkClassName, defineDataset, parseInteger } from "../common/index.ts";
import { findDatasetDir, under } from "../common/text-lists.ts";

const LISTS = { train: "trainval.txt", test: "test.txt" } as const;
/** The dataset's 37 breeds: class ids run 1-37 (a fixture may use the first few). */
const BREEDS = 37;
const FIELDS = "<image> <class id> <species 1|2> <breed id>";

export const oxfordPets = defineDataset({
  name: "oxford-pets",
  description: "Oxford-IIIT Pets: 37 cat and dog breeds, provided trainval/test splits",
  orientation: "stored",
  options: {},
  build(options) {
    return {
      meta: {
        task: "multiclass",
        // Named by the images of each class id; see DatasetIndex.classNames.
        classNames: [],
        nativeFormat: "oxford-iiit-pet/{images/<image>.jpg, annotations/trainval.txt, annotations/test.txt} (images.tar.gz, annotations.tar.gz)",
        selectionMetric: "mean-per-class-accuracy",
      },
      async index(ctx) {
        const dir = await findDatasetDir(ctx.io, ["oxford-iiit-pet", "."], "annotations", "Oxford-IIIT Pets' annotations/ folder (annotations.tar.gz, unpacked next to images/)");
        /** Class index -> its name and where it was first seen. */
        const names = new Map<number, { name: string; where: string }>();
        const lists = Object.fromEntries(Object.entries(LISTS).map(([split, list]) => [split, under(dir, `annotations/${list}`)]));
        const { samples, predefinedSplits, skipped } = await indexSplitLists(ctx.io, lists, `one ${FIELDS} per line (an Oxford-IIIT Pets split list)`, (text, where) => {
          if (text.startsWith("#")) return undefined;
          const fields = text.split(/\s+/);
          if (fields.length !== 4) throw new InputError(where, `${fields.length} fields; expected 4: ${FIELDS}`);
          const [image, classId, speciesId] = fields;
          const underscore = image.lastIndexOf("_");
          if (underscore <= 0 || !/^[^/\\]+$/.test(image)) throw new InputError(`${where} field 1`, `image "${image}"; expected <breed>_<n>`);
          const label = parseInteger(classId, `${where} field 2`, `a class id from 1 to ${BREEDS}`) - 1;
          if (label < 0 || label >= BREEDS) throw new InputError(`${where} field 2`, `class id ${classId}; expected a class id from 1 to ${BREEDS}`);
          if (speciesId !== "1" && speciesId !== "2") throw new InputError(`${where} field 3`, `species "${speciesId}"; expected 1 (cat) or 2 (dog)`);
          const name = image.slice(0, underscore);
          checkClassName(name, `${where} field 1`);
          const known = names.get(label);
          if (!known) names.set(label, { name, where });
          else if (known.name !== name) {
            throw new InputError(`${where} field 2`, `class id ${classId} for image ${image}; expected the class of ${name} images, but class ${classId} is ${known.name} (${known.where})`);
          }
          return { id: image, file: under(dir, `images/${image}.jpg`), label };
        }, options.skipMissing);
        // Class ids index the head, so they must run 1..K without a gap; a gap has no name either.
        const count = Math.max(...names.keys()) + 1;
        const classNames = Array.from({ length: count }, (_, k) => {
          const entry = names.get(k);
          if (!entry) throw new InputError(under(dir, `annotations/{${LISTS.train},${LISTS.test}}`), `class id ${k + 1} has no image while ids up to ${count} occur; expected class ids 1 to ${count} without a gap`);
          return entry.name;
        });
        const sameName = classNames.findIndex((name, k) => classNames.indexOf(name) !== k);
        if (sameName >= 0) {
          throw new InputError(names.get(sameName)!.where, `class id ${sameName + 1} is named ${classNames[sameName]} like class id ${classNames.indexOf(classNames[sameName]) + 1}; expected one class id per breed`);
        }
        checkClasses(samples, classNames, under(dir, `annotations/{${LISTS.train},${LISTS.test}}`), options.allowEmptyClasses);
        return { samples, predefinedSplits, classNames, skipped };
      },
    };
  },
});
