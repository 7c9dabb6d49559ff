/** Splits shipped with the data (HPA split file, CCT-20 annotation files), mapped to train/val/test. */
import { z } from "zod";
import { predefinedSplit } from "../../../core/splits/index.ts";
import { defineSplitter } from "../common.ts";

const names = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const predefinedSplitter = defineSplitter(
  { name: "predefined", version: "1.0.0", description: "the dataset's own splits (HPA split file, CCT-20 annotation files), renamed to train/val/test" },
  z.strictObject({ train: names.default("train"), val: names.default("val"), test: names.optional() }),
  (index, _seed, o) => predefinedSplit(index, o),
);
