/**
 * APTOS 2019 Blindness Detection (Kaggle): `train.csv` (id_code,diagnosis) and
 * `train_images/<id_code>.png`; diabetic retinopathy grade 0-4, ordinal, selected by QWK.
 */
import type { Dataset } from "../../../core/contracts.ts";
import { definePlugin, parseOptions } from "../../../core/plugin.ts";
import { csvImageIndex, datasetOptions, decodeDefaults, loadSingleFile } from "../common/index.ts";

export const APTOS_CLASSES = ["No DR", "Mild", "Moderate", "Severe", "Proliferative DR"] as const;

const Options = datasetOptions("exif", {});

export const aptos2019 = definePlugin({
  meta: {
    kind: "dataset",
    name: "aptos2019",
    version: "1.0.0",
    description: "APTOS 2019 Blindness Detection: retina photographs, DR grade 0-4 (ordinal)",
  },
  create(raw): Dataset {
    const options = parseOptions(aptos2019.meta, Options, raw);
    const defaults = decodeDefaults(options);
    return {
      meta: {
        name: "aptos2019",
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
      load: (sample, ctx, decode) => loadSingleFile(sample, ctx, defaults, decode),
    };
  },
});
