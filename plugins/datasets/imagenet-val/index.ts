/**
 * The ILSVRC2012 (ImageNet-1k) validation set, the reference set of FID's Table 11, in two layouts:
 * - "distributed": the 50,000 `ILSVRC2012_val_000xxxxx.JPEG` of ILSVRC2012_img_val.tar in one
 *   folder, labelled by the devkit's `ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt`
 *   (one ILSVRC2012_ID, 1..1000, per line, line k for image k). The WNIDs and names behind the IDs
 *   sit in the devkit's meta.mat (MATLAB), which xfer does not read: classes are named by their
 *   ILSVRC2012_ID ("1" .. "1000"), label = ID - 1.
 * - "folders": the common class-folder layout `val/<wnid>/<file>.JPEG` (torchvision ImageFolder
 *   order; classes are the WNID folders found).
 * "auto" takes the distributed layout when its ground-truth file exists, else the folders.
 */
import { z } from "zod";
import type { DataIO, DatasetIndex, Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset, FileCheck, IMG_EXTENSIONS, imageFolderIndex, type BaseOptions } from "../common/index.ts";

export const ILSVRC2012_CLASSES = 1000;
/** Classes of the distributed layout: the ILSVRC2012_IDs as text, in label order. */
export const ILSVRC2012_IDS: readonly string[] = Array.from({ length: ILSVRC2012_CLASSES }, (_, k) => String(k + 1));
export const GROUND_TRUTH = "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt";
const VAL_FILE = /^ILSVRC2012_val_(\d{8})\.JPEG$/;
const WNID = /^n\d{8}$/;

const valFileName = (k: number) => `ILSVRC2012_val_${String(k).padStart(8, "0")}.JPEG`;

/** The devkit's ground truth: one ILSVRC2012_ID per line, a trailing newline allowed. */
async function readGroundTruth(io: DataIO, path: string): Promise<number[]> {
  if (!(await io.exists(path))) {
    throw new InputError(path, `ground-truth file not found; expected the devkit's ILSVRC2012_validation_ground_truth.txt (one ILSVRC2012_ID, 1 to ${ILSVRC2012_CLASSES}, per image) for the distributed layout`);
  }
  const lines = (await io.readText(path)).split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0) throw new InputError(path, "empty file; expected one ILSVRC2012_ID per validation image");
  return lines.map((line, i) => {
    const id = /^\d+$/.test(line.trim()) ? Number(line.trim()) : Number.NaN;
    if (!(id >= 1 && id <= ILSVRC2012_CLASSES)) {
      throw new InputError(`${path} line ${i + 1}`, `${JSON.stringify(line)} is not an ILSVRC2012_ID; expected an integer from 1 to ${ILSVRC2012_CLASSES}`);
    }
    return id;
  });
}

async function distributedIndex(io: DataIO, images: string, groundTruth: string, options: BaseOptions): Promise<DatasetIndex> {
  const ids = await readGroundTruth(io, groundTruth);
  if (!(await io.isDirectory(images))) throw new InputError(images, `not a directory; expected the folder holding the ${ids.length} ILSVRC2012_val_*.JPEG files`);
  const prefix = images === "." ? "" : `${images.replace(/\/+$/, "")}/`;
  // Every JPEG there must be one of the ground truth's images: a stray file means another layout or a mixed folder.
  let found = 0;
  for (const name of await io.list(images)) {
    if (!/\.jpe?g$/i.test(name)) continue;
    const match = VAL_FILE.exec(name);
    if (!match) throw new InputError(`${prefix}${name}`, `unknown file name; expected ILSVRC2012_val_<8 digits>.JPEG, as in ILSVRC2012_img_val.tar`);
    const k = Number(match[1]);
    if (k < 1 || k > ids.length) {
      throw new InputError(`${prefix}${name}`, `image number ${k} has no line in ${groundTruth} (${ids.length} lines); expected images 1 to ${ids.length}`);
    }
    found++;
  }
  if (found !== ids.length && !options.skipMissing) {
    throw new InputError(images, `${found} ILSVRC2012_val_*.JPEG file(s) but ${ids.length} ground-truth labels in ${groundTruth}; expected one image per line (set skipMissing to leave out images that are not there)`);
  }
  const check = new FileCheck(io, options.skipMissing);
  const samples: Sample[] = [];
  for (const [i, id] of ids.entries()) {
    const file = valFileName(i + 1);
    if (await check.present(file.slice(0, -5), [`${prefix}${file}`], `${groundTruth} line ${i + 1}`)) {
      samples.push({ id: file.slice(0, -5), files: [`${prefix}${file}`], label: id - 1 });
    }
  }
  checkClasses(samples, ILSVRC2012_IDS, groundTruth, options.allowEmptyClasses);
  return { samples, skipped: check.skipped };
}

async function foldersIndex(io: DataIO, dir: string): Promise<DatasetIndex> {
  const index = await imageFolderIndex(io, { dir, extensions: IMG_EXTENSIONS });
  const stray = index.classNames.find((name) => !WNID.test(name));
  if (stray !== undefined) throw new InputError(`${dir}/${stray}`, `unknown class folder "${stray}"; expected WNID folders such as n01440764 (val/<wnid>/<file>.JPEG)`);
  return index;
}

export const imagenetVal = defineDataset({
  name: "imagenet-val",
  description: "ILSVRC2012 validation set: 50,000 JPEGs + devkit ground truth, or val/<wnid>/ class folders",
  orientation: "stored",
  options: {
    layout: z.enum(["auto", "distributed", "folders"]).default("auto"),
    /** Distributed layout: the folder of the ILSVRC2012_val_*.JPEG files. */
    images: z.string().default("."),
    groundTruth: z.string().default(GROUND_TRUTH),
    /** Folders layout: the folder holding the WNID folders. */
    dir: z.string().default("val"),
  },
  build(options) {
    return {
      meta: {
        task: "multiclass",
        classNames: ILSVRC2012_IDS,
        nativeFormat: `ILSVRC2012_val_<8 digits>.JPEG + ${GROUND_TRUTH} (classes named by ILSVRC2012_ID), or val/<wnid>/<file>.JPEG`,
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        const layout = options.layout !== "auto" ? options.layout
          : (await ctx.io.exists(options.groundTruth)) ? "distributed"
            : (await ctx.io.isDirectory(options.dir)) ? "folders" : undefined;
        if (layout === undefined) {
          throw new InputError(ctx.io.root ?? ".", `neither ${options.groundTruth} (the distributed layout, with the ILSVRC2012_val_*.JPEG files in "${options.images}") nor a class-folder directory "${options.dir}" (val/<wnid>/<file>.JPEG) is there`);
        }
        return layout === "distributed" ? await distributedIndex(ctx.io, options.images, options.groundTruth, options) : await foldersIndex(ctx.io, options.dir);
      },
    };
  },
});
