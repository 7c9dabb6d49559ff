/**
 * EuroSAT RGB: `2750/<Class>/<Class>_<k>.jpg`, 64x64 Sentinel-2 patches, 10 classes, indexed in
 * torchvision ImageFolder order (the reference split depends on it).
 */
import { z } from "zod";
import { defineDataset, IMG_EXTENSIONS, imageFolderIndex } from "../common/index.ts";

export const EUROSAT_CLASSES = [
  "AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial",
  "Pasture", "PermanentCrop", "Residential", "River", "SeaLake",
] as const;

export const eurosat = defineDataset({
  name: "eurosat",
  description: "EuroSAT RGB: Sentinel-2 land-use patches, 10 classes",
  orientation: "stored",
  options: { dir: z.string().default("2750") },
  build(options) {
    return {
      meta: {
        task: "multiclass",
        classNames: EUROSAT_CLASSES,
        nativeFormat: "2750/<Class>/<Class>_<k>.jpg (EuroSAT RGB zip)",
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        const { classNames: _found, ...index } = await imageFolderIndex(ctx.io, { dir: options.dir, extensions: IMG_EXTENSIONS, classes: EUROSAT_CLASSES });
        return index;
      },
    };
  },
});
