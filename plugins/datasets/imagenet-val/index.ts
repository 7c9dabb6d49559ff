/**
 * The ILSVRC2012 (ImageNet-1k) validation set, the reference set of FID's Table 11, in two layouts:
 * - "distributed": the 50,000 `ILSVRC2012_val_000xxxxx.JPEG` of ILSVRC2012_img_val.tar in one
 *   folder, labelled by the devkit's `ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt`
 *   (one ILSVRC2012_ID, 1..1000, per line, line k for image k); label = ID - 1. Classes are named
 *   by the WNIDs of the devkit's `data/meta.mat` (its `synsets` with IDs 1..1000, as torchvision's
 *   ImageNet reads it), or by the IDs themselves ("1" .. "1000") when that file is not there.
 * - "folders": the common class-folder layout `val/<wnid>/<file>.JPEG` (torchvision ImageFolder
 *   order; classes are the WNID folders found).
 * "auto" takes the distributed layout when its ground-truth file exists, else the folders.
 */
import { z } from "zod";
import type { DataIO, DatasetIndex, Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset, FileCheck, IMG_EXTENSIONS, imageFolderIndex, type BaseOptions } from "../common/index.ts";
import { matIntegerVector, matString, matStructElements, matVariable, readMatFile } from "../common/matlab.ts";

export const ILSVRC2012_CLASSES = 1000;
/** Classes of the distributed layout: the ILSVRC2012_IDs as text, in label order. */
export const ILSVRC2012_IDS: readonly string[] = Array.from({ length: ILSVRC2012_CLASSES }, (_, k) => String(k + 1));
export const GROUND_TRUTH = "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt";
export const META = "ILSVRC2012_devkit_t12/data/meta.mat";
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

/** WNID of each ILSVRC2012_ID (index ID - 1) from meta.mat's synsets; the inner nodes (IDs above 1000) are left out. */
async function readWnids(io: DataIO, path: string): Promise<string[]> {
  const mat = await readMatFile(io, path, "the ILSVRC2012 synsets");
  const synsets = matStructElements(matVariable(mat, "synsets", path), `${path} synsets`, ["ILSVRC2012_ID", "WNID"]);
  const wnids = new Array<string | undefined>(ILSVRC2012_CLASSES);
  for (const [i, synset] of synsets.entries()) {
    const where = `${path} synsets(${i + 1})`;
    const [id] = matIntegerVector(synset.ILSVRC2012_ID, `${where}.ILSVRC2012_ID`, 1, Number.MAX_SAFE_INTEGER);
    if (id > ILSVRC2012_CLASSES) continue;
    const wnid = matString(synset.WNID, `${where}.WNID`);
    if (!WNID.test(wnid)) throw new InputError(`${where}.WNID`, `${JSON.stringify(wnid)}; expected a WNID such as n01440764`);
    if (wnids[id - 1] !== undefined) throw new InputError(`${where}.ILSVRC2012_ID`, `ILSVRC2012_ID ${id} a second time (also ${wnids[id - 1]}); expected each of 1 to ${ILSVRC2012_CLASSES} once`);
    wnids[id - 1] = wnid;
  }
  const absent = wnids.findIndex((w) => w === undefined);
  if (absent >= 0) throw new InputError(`${path} synsets`, `no synset with ILSVRC2012_ID ${absent + 1}; expected one for each of 1 to ${ILSVRC2012_CLASSES}`);
  return wnids as string[];
}

async function distributedIndex(io: DataIO, images: string, groundTruth: string, meta: string, options: BaseOptions): Promise<DatasetIndex> {
  const ids = await readGroundTruth(io, groundTruth);
  const classNames = (await io.exists(meta)) ? await readWnids(io, meta) : [...ILSVRC2012_IDS];
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
  checkClasses(samples, classNames, groundTruth, options.allowEmptyClasses);
  return { samples, classNames, skipped: check.skipped };
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
    /** Distributed layout: the devkit's meta.mat (WNIDs of the IDs); classes are named by ID without it. */
    meta: z.string().default(META),
    /** Folders layout: the folder holding the WNID folders. */
    dir: z.string().default("val"),
  },
  build(options) {
    return {
      meta: {
        task: "multiclass",
        classNames: ILSVRC2012_IDS,
        nativeFormat: `ILSVRC2012_val_<8 digits>.JPEG + ${GROUND_TRUTH} (+ ${META} for the WNIDs), or val/<wnid>/<file>.JPEG`,
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        const layout = options.layout !== "auto" ? options.layout
          : (await ctx.io.exists(options.groundTruth)) ? "distributed"
            : (await ctx.io.isDirectory(options.dir)) ? "folders" : undefined;
        if (layout === undefined) {
          throw new InputError(ctx.io.root ?? ".", `neither ${options.groundTruth} (the distributed layout, with the ILSVRC2012_val_*.JPEG files in "${options.images}") nor a class-folder directory "${options.dir}" (val/<wnid>/<file>.JPEG) is there`);
        }
        return layout === "distributed" ? await distributedIndex(ctx.io, options.images, options.groundTruth, options.meta, options) : await foldersIndex(ctx.io, options.dir);
      },
    };
  },
});
