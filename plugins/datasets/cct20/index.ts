/**
 * Caltech Camera Traps 20 (ECCV 2018 subset, LILA): COCO Camera Traps JSON in
 * `eccv_18_annotation_files/` and images `eccv_18_all_images_sm/<image_id>.jpg`.
 * One sample per annotation, like the reference code; the empty category (30) is dropped; the label
 * is the position of the category id in CCT20_CATEGORY_IDS. `group` is the camera location.
 */
import type { Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset, FileCheck, IdSet, readJson } from "../common/index.ts";

export const CCT20_CATEGORY_IDS = [1, 3, 5, 6, 7, 8, 9, 10, 11, 16, 21, 33, 34, 51, 99] as const;
export const CCT20_CLASSES = [
  "opossum", "raccoon", "squirrel", "bobcat", "skunk", "dog", "coyote", "rabbit", "bird", "cat",
  "badger", "car", "deer", "fox", "rodent",
] as const;
export const CCT20_EMPTY_CATEGORY = 30;
/** Split name -> annotation file; the first three are required. */
export const CCT20_SPLITS = {
  train: "train_annotations.json",
  cis_val: "cis_val_annotations.json",
  cis_test: "cis_test_annotations.json",
  trans_val: "trans_val_annotations.json",
  trans_test: "trans_test_annotations.json",
} as const;
const REQUIRED = new Set(["train", "cis_val", "cis_test"]);
const ANNOTATIONS = "eccv_18_annotation_files";
const IMAGES = "eccv_18_all_images_sm";

interface CocoImage { id: string; location?: string | number }
interface CocoAnnotation { id: string; image_id: string; category_id: number }

export const cct20 = defineDataset({
  name: "cct20",
  description: "Caltech Camera Traps CCT-20: camera-trap images, 15 classes, cis/trans val and test",
  orientation: "exif",
  options: {},
  build(options) {
    return {
      meta: {
        task: "multiclass",
        classNames: CCT20_CLASSES,
        nativeFormat: `${ANNOTATIONS}/{train,cis_val,cis_test,trans_val,trans_test}_annotations.json + ${IMAGES}/<image_id>.jpg (LILA CCT-20)`,
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        const ids = new IdSet();
        const check = new FileCheck(ctx.io, options.skipMissing);
        const samples: Sample[] = [];
        const predefinedSplits: Record<string, string[]> = {};
        for (const [split, name] of Object.entries(CCT20_SPLITS)) {
          const path = `${ANNOTATIONS}/${name}`;
          if (!REQUIRED.has(split) && !(await ctx.io.exists(path))) continue;
          const { images, annotations } = parseCoco(await readJson(ctx.io, path, "COCO Camera Traps JSON with images, annotations, categories"), path);
          const inSplit: string[] = [];
          for (const [i, annotation] of annotations.entries()) {
            const where = `${path} annotations[${i}]`;
            if (annotation.category_id === CCT20_EMPTY_CATEGORY) continue;
            const label = (CCT20_CATEGORY_IDS as readonly number[]).indexOf(annotation.category_id);
            if (label < 0) {
              throw new InputError(where, `category_id ${annotation.category_id}; expected one of ${CCT20_CATEGORY_IDS.join(", ")} (or ${CCT20_EMPTY_CATEGORY}, dropped)`);
            }
            const image = images.get(annotation.image_id);
            if (!image) throw new InputError(where, `image_id "${annotation.image_id}" is not in this file's images; expected an annotation of a listed image`);
            ids.add(annotation.id, where);
            const files = [`${IMAGES}/${annotation.image_id}.jpg`];
            if (!(await check.present(annotation.id, files, where))) continue;
            const sample: Sample = image.location === undefined
              ? { id: annotation.id, files, label }
              : { id: annotation.id, files, label, group: String(image.location) };
            samples.push(sample);
            inSplit.push(annotation.id);
          }
          predefinedSplits[split] = inSplit;
        }
        const train = new Set(predefinedSplits.train);
        checkClasses(samples.filter((s) => train.has(s.id)), CCT20_CLASSES, `${ANNOTATIONS}/${CCT20_SPLITS.train}`, options.allowEmptyClasses);
        return { samples, predefinedSplits, skipped: check.skipped };
      },
    };
  },
});

function parseCoco(json: unknown, path: string): { images: Map<string, CocoImage>; annotations: CocoAnnotation[] } {
  const doc = json as { images?: unknown; annotations?: unknown };
  if (!doc || !Array.isArray(doc.images) || !Array.isArray(doc.annotations)) {
    throw new InputError(path, "expected an object with arrays \"images\" and \"annotations\" (COCO Camera Traps)");
  }
  const images = new Map<string, CocoImage>();
  for (const [i, image] of (doc.images as CocoImage[]).entries()) {
    if (typeof image?.id !== "string") throw new InputError(`${path} images[${i}]`, "expected a string \"id\"");
    images.set(image.id, image);
  }
  for (const [i, a] of (doc.annotations as CocoAnnotation[]).entries()) {
    if (typeof a?.id !== "string" || typeof a.image_id !== "string" || typeof a.category_id !== "number") {
      throw new InputError(`${path} annotations[${i}]`, "expected string \"id\", string \"image_id\" and number \"category_id\"");
    }
  }
  return { images, annotations: doc.annotations as CocoAnnotation[] };
}
