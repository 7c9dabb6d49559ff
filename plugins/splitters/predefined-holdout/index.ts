/**
 * A seeded class-stratified val holdout from the predefined train split; the predefined test split
 * stays the test set. Per-class counts make few-shot and budget variants (docs/splits.md).
 */
import { z } from "zod";
import { predefinedHoldout } from "../../../core/splits/index.ts";
import { defineSplitter } from "../common.ts";

const names = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const count = z.number().int().min(1);

export const predefinedHoldoutSplitter = defineSplitter(
  {
    name: "predefined-holdout",
    version: "1.1.0",
    description: "val = seeded class-balanced share (or count) of the predefined train split, train = the rest or k per class; test = the predefined test split, optionally capped per class (Fashion-MNIST, CIFAR-10)",
  },
  z.strictObject({
    train: names.default("train"),
    test: names.optional(),
    valFraction: z.number().gt(0).lt(1).optional(),
    valPerClass: count.optional(),
    trainPerClass: count.optional(),
    testPerClass: count.optional(),
  })
    .refine((o) => o.valFraction === undefined || o.valPerClass === undefined, { message: "valFraction and valPerClass both given; expected one of them", path: ["valPerClass"] })
    .refine((o) => o.testPerClass === undefined || o.test !== undefined, { message: "given without test; expected test to name the predefined test split", path: ["testPerClass"] })
    // valFraction 0.1 unless val is given as a count.
    .transform((o) => (o.valPerClass === undefined ? { ...o, valFraction: o.valFraction ?? 0.1 } : o)),
  (index, seed, o) => predefinedHoldout(index, seed, o),
);
