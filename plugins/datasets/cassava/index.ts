/**
 * Cassava Leaf Disease Classification (Kaggle 2021): `train.csv` (image_id,label),
 * `train_images/<image_id>` (the id carries the .jpg), `label_num_to_disease_map.json`.
 */
import { InputError } from "../../../core/errors.ts";
import { csvImageIndex, defineDataset, readJson } from "../common/index.ts";

export const CASSAVA_CLASSES = [
  "Cassava Bacterial Blight (CBB)",
  "Cassava Brown Streak Disease (CBSD)",
  "Cassava Green Mottle (CGM)",
  "Cassava Mosaic Disease (CMD)",
  "Healthy",
] as const;

const LABEL_MAP = "label_num_to_disease_map.json";
export const cassava = defineDataset({
  name: "cassava",
  description: "Cassava Leaf Disease Classification: leaf photographs, 5 classes",
  orientation: "exif",
  options: {},
  build(options) {
    return {
      meta: {
        task: "multiclass",
        classNames: CASSAVA_CLASSES,
        nativeFormat: "train.csv (image_id,label) + train_images/<image_id> + label_num_to_disease_map.json (Kaggle cassava-leaf-disease-classification)",
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        // The map is optional (a user may have dropped it); when present it must agree with the classes.
        if (await ctx.io.exists(LABEL_MAP)) {
          const map = await readJson(ctx.io, LABEL_MAP, "an object from label number to disease name");
          const keys = map && typeof map === "object" && !Array.isArray(map) ? Object.keys(map).sort() : [];
          const expected = CASSAVA_CLASSES.map((_, k) => String(k));
          if (keys.join() !== expected.join()) {
            throw new InputError(LABEL_MAP, `keys ${JSON.stringify(keys)}; expected ${JSON.stringify(expected)} (the 5 Cassava classes)`);
          }
        }
        return await csvImageIndex(ctx.io, {
          csv: "train.csv",
          idColumn: "image_id",
          labelColumn: "label",
          file: (id) => `train_images/${id}`,
          classNames: CASSAVA_CLASSES,
          options,
        });
      },
    };
  },
});
