/** A seeded class-stratified val holdout from the predefined train split; the predefined test split stays the test set. */
import { z } from "zod";
import { predefinedHoldout } from "../../../core/splits/index.ts";
import { defineSplitter } from "../common.ts";

const names = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const predefinedHoldoutSplitter = defineSplitter(
  {
    name: "predefined-holdout",
    version: "1.0.0",
    description: "val = seeded class-balanced share of the predefined train split; test = the predefined test split (Fashion-MNIST, CIFAR-10)",
  },
  z.strictObject({ train: names.default("train"), test: names.optional(), valFraction: z.number().gt(0).lt(1).default(0.1) }),
  (index, seed, o) => predefinedHoldout(index, seed, o),
);
