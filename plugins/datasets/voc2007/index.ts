/**
 * PASCAL VOC 2007 classification: `VOCdevkit/VOC2007/JPEGImages/<id>.jpg` with labels from
 * `ImageSets/Main/<class>_<split>.txt` (`<id> <flag>`, flag 1 present, -1 absent, 0 only difficult
 * objects) or from `Annotations/<id>.xml` (the objects' names and difficult flags, which the class
 * files are made from). Splits `train`, `val` (the provided validation set) and `test` (when the
 * test archive is unpacked), listed by `ImageSets/Main/<split>.txt`. Multilabel, 20 classes.
 */
import { z } from "zod";
import type { DataIO, Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset, FileCheck, IdSet } from "../common/index.ts";
import { findDatasetDir, readLines, under } from "../common/text-lists.ts";

export const VOC2007_CLASSES = [
  "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
  "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
] as const;
export const VOC2007_SPLITS = ["train", "val", "test"] as const;
const OPTIONAL_SPLIT = "test";
const IMAGE_ID = /^[\w.-]+$/;

/** Per image: 1 present, 0 only difficult objects, -1 absent, per class (the class files' flags). */
type Flags = Int8Array;

export const voc2007 = defineDataset({
  name: "voc2007",
  version: "1.1.0",
  description: "PASCAL VOC 2007 classification: 20 object classes, multilabel, train/val/test",
  orientation: "stored",
  options: {
    /** Where labels come from: the class files, the XML annotations, or the class files when present. */
    labels: z.enum(["auto", "imagesets", "xml"]).default("auto"),
    /**
     * A class whose objects in an image are all marked difficult (flag 0): left out of that class's
     * scoring ("ignore", the sample's `ignore` list: the devkit leaves such images out of the
     * class's ranking, and voc-map does), or counted present ("positive") or absent ("negative")
     * for metrics that cannot leave pairs out. Training targets count an ignored class absent.
     */
    difficult: z.enum(["ignore", "positive", "negative"]).default("ignore"),
  },
  build(options) {
    return {
      meta: {
        task: "multilabel",
        classNames: VOC2007_CLASSES,
        nativeFormat: "VOCdevkit/VOC2007/{JPEGImages/<id>.jpg, ImageSets/Main/{<split>,<class>_<split>}.txt, Annotations/<id>.xml} (VOCtrainval_06-Nov-2007.tar + VOCtest_06-Nov-2007.tar)",
        selectionMetric: "voc-map",
      },
      async index(ctx) {
        const { io } = ctx;
        const base = await findDatasetDir(io, ["VOCdevkit/VOC2007", "VOC2007", "."], "JPEGImages", "the VOC 2007 devkit folder VOCdevkit/VOC2007 (JPEGImages, ImageSets/Main, Annotations) in the root, or the root to be VOC2007 itself");
        const main = under(base, "ImageSets/Main");
        const fromXml = options.labels === "xml" || (options.labels === "auto" && !(await io.exists(`${main}/${VOC2007_CLASSES[0]}_train.txt`)));
        const ids = new IdSet();
        const check = new FileCheck(io, options.skipMissing);
        const samples: Sample[] = [];
        const predefinedSplits: Record<string, string[]> = {};
        for (const split of VOC2007_SPLITS) {
          const listPath = `${main}/${split}.txt`;
          if (split === OPTIONAL_SPLIT && !(await io.exists(listPath))) continue;
          const listed = await readLines(io, listPath, `the image ids of the ${split} split, one per line`);
          const where = new Map<string, string>();
          for (const { line, text } of listed) {
            if (!IMAGE_ID.test(text)) throw new InputError(`${listPath} line ${line}`, `${JSON.stringify(text)} is not an image id; expected one id such as 000005 per line`);
            ids.add(text, `${listPath} line ${line}`);
            where.set(text, `${listPath} line ${line}`);
          }
          const flags = fromXml ? await xmlFlags(io, base, [...where.keys()]) : await classFileFlags(io, main, split, where);
          const inSplit: string[] = [];
          for (const [id, at] of where) {
            const row = flags.get(id)!;
            const classesFlagged = (flag: number) => VOC2007_CLASSES.flatMap((_, c) => (row[c] === flag ? [c] : []));
            const difficultOnly = classesFlagged(0);
            const label = options.difficult === "positive" ? [...classesFlagged(1), ...difficultOnly].sort((a, b) => a - b) : classesFlagged(1);
            const files = [under(base, `JPEGImages/${id}.jpg`)];
            if (!(await check.present(id, files, at))) continue;
            samples.push({ id, files, label, ...(options.difficult === "ignore" && difficultOnly.length > 0 ? { ignore: difficultOnly } : {}) });
            inSplit.push(id);
          }
          predefinedSplits[split] = inSplit;
        }
        const train = new Set(predefinedSplits.train);
        checkClasses(samples.filter((s) => train.has(s.id)), VOC2007_CLASSES, `${main}/train.txt`, options.allowEmptyClasses);
        return { samples, predefinedSplits, skipped: check.skipped };
      },
    };
  },
});

/** Flags from `<class>_<split>.txt`: every id of the split exactly once in each class file, no other id. */
async function classFileFlags(io: DataIO, main: string, split: string, listed: ReadonlyMap<string, string>): Promise<Map<string, Flags>> {
  const flags = new Map([...listed.keys()].map((id) => [id, new Int8Array(VOC2007_CLASSES.length).fill(2)]));
  for (const [c, name] of VOC2007_CLASSES.entries()) {
    const path = `${main}/${name}_${split}.txt`;
    for (const { line, text } of await readLines(io, path, `"<image id> <flag>" lines for class ${name} (flag 1, -1 or 0)`)) {
      const where = `${path} line ${line}`;
      const match = /^(\S+)\s+(-1|0|1)$/.exec(text);
      if (!match) throw new InputError(where, `${JSON.stringify(text)}; expected "<image id> <flag>" with flag 1 (present), -1 (absent) or 0 (difficult)`);
      const row = flags.get(match[1]);
      if (!row) throw new InputError(where, `image id ${match[1]} is not in ${main}/${split}.txt; expected the ids of the ${split} split`);
      if (row[c] !== 2) throw new InputError(where, `image id ${match[1]} appears twice; expected each id once`);
      row[c] = Number(match[2]);
    }
    const absent = [...flags].find(([, row]) => row[c] === 2);
    if (absent) throw new InputError(path, `no line for image id ${absent[0]} (${listed.get(absent[0])}); expected a flag for every image of the ${split} split`);
  }
  return flags;
}

/** Flags as the devkit derives them from `Annotations/<id>.xml`: 1 for a non-difficult object of the class, 0 for difficult ones only. */
async function xmlFlags(io: DataIO, base: string, ids: readonly string[]): Promise<Map<string, Flags>> {
  const flags = new Map<string, Flags>();
  for (const id of ids) {
    const path = under(base, `Annotations/${id}.xml`);
    if (!(await io.exists(path))) throw new InputError(path, `file not found; expected the annotation of image ${id} (or use labels: "imagesets" with the class files)`);
    const row = new Int8Array(VOC2007_CLASSES.length).fill(-1);
    const objects = [...(await io.readText(path)).matchAll(/<object>([\s\S]*?)<\/object>/g)];
    if (objects.length === 0) throw new InputError(path, "no <object> element; expected at least one annotated object");
    for (const [k, [, body]] of objects.entries()) {
      const where = `${path} object ${k + 1}`;
      const name = /<name>\s*([^<]*?)\s*<\/name>/.exec(body)?.[1];
      const c = VOC2007_CLASSES.indexOf(name as (typeof VOC2007_CLASSES)[number]);
      if (c < 0) throw new InputError(where, `<name> ${JSON.stringify(name ?? null)}; expected one of the 20 VOC classes (${VOC2007_CLASSES.join(", ")})`);
      const difficult = /<difficult>\s*([^<]*?)\s*<\/difficult>/.exec(body)?.[1] ?? "0";
      if (difficult !== "0" && difficult !== "1") throw new InputError(where, `<difficult> ${JSON.stringify(difficult)}; expected 0 or 1`);
      row[c] = Math.max(row[c], difficult === "1" ? 0 : 1);
    }
    flags.set(id, row);
  }
  return flags;
}
