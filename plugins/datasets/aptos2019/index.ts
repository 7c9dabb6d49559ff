/**
 * APTOS 2019 Blindness Detection (Kaggle): `train.csv` (id_code,diagnosis) and
 * `train_images/<id_code>.png`; diabetic retinopathy grade 0-4, ordinal, selected by QWK.
 */
import { csvImageIndex, defineDataset } from "../common/index.ts";
import { APTOS_CLASSES } from "../common/retinopathy.ts";

export { APTOS_CLASSES };

export const aptos2019 = defineDataset({
  name: "aptos2019",
  description: "APTOS 2019 Blindness Detection: retina photographs, DR grade 0-4 (ordinal)",
  orientation: "exif",
  options: {},
  build: (options) => ({
    meta: {
      task: "ordinal",
      classNames: APTOS_CLASSES,
      nativeFormat: "train.csv (id_code,diagnosis) + train_images/<id_code>.png (Kaggle aptos2019-blindness-detection)",
      selectionMetric: "qwk",
    },
    index: (ctx) =>
      csvImageIndex(ctx.io, {
        csv: "train.csv",
        idColumn: "id_code",
        labelColumn: "diagnosis",
        file: (id) => `train_images/${id}.png`,
        classNames: APTOS_CLASSES,
        options,
      }),
  }),
});
