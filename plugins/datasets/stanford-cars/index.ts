/**
 * Stanford Cars: `cars_train/<fname>`, `cars_test/<fname>`, the devkit's `devkit/cars_meta.mat`
 * (class_names: 1x196 cell of text) and `devkit/cars_train_annos.mat`, and
 * `cars_test_annos_withlabels.mat` (in the root, where torchvision puts it, or in devkit/):
 * `annotations` struct arrays with `fname` and `class` (1-based; the bounding boxes are not used).
 * Splits `train` and `test`; ids `train/<fname>`, `test/<fname>`.
 */
import type { DataIO, Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClassName, checkClasses, defineDataset, FileCheck, IdSet } from "../common/index.ts";
import { matCells, matScalar, matString, matStructElements, matVariable, readMatFile } from "../common/matlab.ts";

const META = "devkit/cars_meta.mat";
const TEST_ANNOS = "cars_test_annos_withlabels.mat";
const SPLITS = [
  { split: "train", images: "cars_train", annos: ["devkit/cars_train_annos.mat"] },
  { split: "test", images: "cars_test", annos: [TEST_ANNOS, `devkit/${TEST_ANNOS}`] },
] as const;

export const stanfordCars = defineDataset({
  name: "stanford-cars",
  description: "Stanford Cars: 196 car models (make, model, year), train/test",
  orientation: "stored",
  options: {},
  build(options) {
    return {
      meta: {
        task: "multiclass",
        classNames: [],
        nativeFormat: "cars_train/, cars_test/, devkit/{cars_meta,cars_train_annos}.mat, cars_test_annos_withlabels.mat (car_devkit.tgz, cars_train.tgz, cars_test.tgz)",
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        const { io } = ctx;
        const names = matVariable(await readMatFile(io, META, "class_names: the car model names"), "class_names", META);
        const classNames = matCells(names, `${META} class_names`).map((cell, k) => {
          const name = matString(cell, `${META} class_names{${k + 1}}`);
          checkClassName(name, `${META} class_names{${k + 1}}`);
          return name;
        });
        if (classNames.length === 0) throw new InputError(`${META} class_names`, "empty; expected the 196 class names");
        const ids = new IdSet();
        const check = new FileCheck(io, options.skipMissing);
        const samples: Sample[] = [];
        const predefinedSplits: Record<string, string[]> = {};
        for (const { split, images, annos } of SPLITS) {
          const path = await firstExisting(io, annos);
          const elements = matStructElements(matVariable(await readMatFile(io, path, "annotations: a struct array with fname and class"), "annotations", path), `${path} annotations`, ["fname", "class"]);
          const inSplit: string[] = [];
          for (const [i, element] of elements.entries()) {
            const where = `${path} annotations(${i + 1})`;
            const fname = matString(element.fname, `${where}.fname`);
            if (!/^[\w.-]+$/.test(fname) || fname.startsWith(".")) throw new InputError(`${where}.fname`, `${JSON.stringify(fname)}; expected an image file name such as 00001.jpg`);
            const label = matScalar(element.class, `${where}.class`);
            if (!Number.isInteger(label) || label < 1 || label > classNames.length) {
              throw new InputError(`${where}.class`, `${label}; expected a class from 1 to ${classNames.length} (the classes of ${META})`);
            }
            const id = `${split}/${fname}`;
            ids.add(id, where);
            const files = [`${images}/${fname}`];
            if (!(await check.present(id, files, where))) continue;
            samples.push({ id, files, label: label - 1 });
            inSplit.push(id);
          }
          predefinedSplits[split] = inSplit;
        }
        const train = new Set(predefinedSplits.train);
        checkClasses(samples.filter((s) => train.has(s.id)), classNames, SPLITS[0].annos[0], options.allowEmptyClasses);
        return { samples, predefinedSplits, classNames, skipped: check.skipped };
      },
    };
  },
});

/** The first of `paths` that exists, else the first (whose read then names it as missing). */
async function firstExisting(io: DataIO, paths: readonly string[]): Promise<string> {
  for (const path of paths) if (await io.exists(path)) return path;
  return paths[0];
}
