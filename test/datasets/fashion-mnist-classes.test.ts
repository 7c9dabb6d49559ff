/**
 * Fashion-MNIST's `classes` option on the committed fixture (train/n and t10k/n have label n mod
 * 10): a class subset keeps only those samples, relabelled in the order given, with their ids and
 * pixels unchanged and the predefined splits filtered.
 */
import { describe, expect, it } from "vitest";
import { InputError } from "../../core/index.ts";
import { FASHION_MNIST_CLASSES } from "../../plugins/datasets/index.ts";
import { open } from "./helpers.ts";

async function createError(options: object): Promise<string> {
  const error = await open("fashion-mnist", "fashion-mnist", { ...options }).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return (error as InputError).message;
}

describe("fashion-mnist classes", () => {
  it("keeps the named classes (indices or names) relabelled in the given order, ids and pixels unchanged", async () => {
    const subset = await open("fashion-mnist", "fashion-mnist", { classes: [9, "Sneaker", 6] });
    const index = await subset.dataset.index(subset.ctx);
    expect(subset.dataset.meta.classNames).toEqual(["Ankle boot", "Sneaker", "Shirt"]);
    expect(index.samples.map((s) => [s.id, s.label])).toEqual([
      ["train/6", 2], ["train/7", 1], ["train/9", 0], ["train/16", 2], ["train/17", 1], ["train/19", 0],
      ["t10k/6", 2], ["t10k/7", 1], ["t10k/9", 0],
    ]);
    expect(index.predefinedSplits).toEqual({ train: ["train/6", "train/7", "train/9", "train/16", "train/17", "train/19"], test: ["t10k/6", "t10k/7", "t10k/9"] });

    const full = await open("fashion-mnist", "fashion-mnist");
    const fullIndex = await full.dataset.index(full.ctx);
    expect(full.dataset.meta.classNames).toEqual(FASHION_MNIST_CLASSES);
    const sample = index.samples[1];
    const same = fullIndex.samples.find((s) => s.id === sample.id)!;
    expect(FASHION_MNIST_CLASSES[same.label as number]).toBe(subset.dataset.meta.classNames[sample.label as number]);
    expect((await subset.dataset.load(sample, subset.ctx)).data).toEqual((await full.dataset.load(same, full.ctx)).data);
  });

  it("rejects a repeated class, an index out of range, an unknown name and fewer than two classes", async () => {
    expect(await createError({ classes: [6, 7, "Shirt"] })).toBe(
      'dataset plugin "fashion-mnist": option "classes.2": names class 6 (Shirt) again (first at position 0); expected each class once',
    );
    expect(await createError({ classes: [6, 10] })).toBe('dataset plugin "fashion-mnist": option "classes.1": class index 10 is out of range; expected 0 to 9');
    expect(await createError({ classes: [-1, 3] })).toContain('option "classes.0": class index -1 is out of range');
    expect(await createError({ classes: ["shirt", 3] })).toContain('option "classes.0": class "shirt" is not a Fashion-MNIST class; expected an index 0 to 9 or one of "T-shirt/top"');
    expect(await createError({ classes: [3] })).toContain('option "classes"');
    expect(await createError({ classes: [2.5, 3] })).toContain('option "classes.0"');
  });
});
