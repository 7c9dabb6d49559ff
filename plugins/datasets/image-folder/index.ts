/**
 * Generic `<dir>/<class>/.../<image>` dataset, indexed exactly as torchvision's ImageFolder does:
 * classes are the sorted sub-directory names; inside a class, directories are walked in sorted
 * path order and files sorted by name (as strings: `x_1, x_10, x_100, x_2`); only files with an
 * image extension count. A user's own dataset in this layout needs no code.
 */
import { z } from "zod";
import { defineDataset, IMG_EXTENSIONS, imageFolderIndex } from "../common/index.ts";

export const imageFolder = defineDataset({
  name: "image-folder",
  description: "Any <dir>/<class>/<image> folder, indexed in torchvision ImageFolder order",
  orientation: "stored",
  options: {
    dir: z.string().default("."),
    extensions: z.array(z.string().startsWith(".")).min(1).default([...IMG_EXTENSIONS]),
    /** Class folders in label order; the sorted folders found when absent. */
    classes: z.array(z.string().min(1)).min(1).optional(),
    task: z.enum(["multiclass", "binary", "ordinal"]).default("multiclass"),
    selectionMetric: z.string().default("accuracy"),
  },
  build(options) {
    return {
      meta: {
        task: options.task,
        // Known only after indexing unless fixed by the `classes` option; see DatasetIndex.classNames.
        classNames: options.classes ?? [],
        nativeFormat: "<dir>/<class>/**/<image> (torchvision ImageFolder)",
        selectionMetric: options.selectionMetric,
      },
      index: (ctx) => imageFolderIndex(ctx.io, options),
    };
  },
});
