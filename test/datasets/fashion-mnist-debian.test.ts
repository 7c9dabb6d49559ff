/**
 * The real Fashion-MNIST files from Debian's `dataset-fashion-mnist` package. Skipped where the
 * package is not installed; CI installs it.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FASHION_MNIST_DEFAULT_ROOT } from "../../plugins/datasets/index.ts";
import { open } from "./helpers.ts";

const present = existsSync(FASHION_MNIST_DEFAULT_ROOT);

describe.skipIf(!present)(`fashion-mnist at ${FASHION_MNIST_DEFAULT_ROOT}`, () => {
  it("has 60,000 + 10,000 images with the published labels", async () => {
    const { dataset, ctx } = await open("fashion-mnist", "fashion-mnist", {}, FASHION_MNIST_DEFAULT_ROOT);
    const index = await dataset.index(ctx);
    expect(index.predefinedSplits!.train).toHaveLength(60_000);
    expect(index.predefinedSplits!.test).toHaveLength(10_000);
    const byId = new Map(index.samples.map((s) => [s.id, s.label as number]));
    const counts = (split: string) => {
      const c = new Array<number>(10).fill(0);
      for (const id of index.predefinedSplits![split]) c[byId.get(id)!]++;
      return c;
    };
    // Fashion-MNIST is balanced: 6,000 train and 1,000 test images per class.
    expect(counts("train")).toEqual(new Array(10).fill(6000));
    expect(counts("test")).toEqual(new Array(10).fill(1000));
    // The first labels of each file as published (train: ankle boot, T-shirt, T-shirt, dress, ...).
    expect(index.predefinedSplits!.train.slice(0, 10).map((id) => byId.get(id))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(index.predefinedSplits!.test.slice(0, 10).map((id) => byId.get(id))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    const last = await dataset.load(index.samples[index.samples.length - 1], ctx, { resize: 32 });
    expect([last.width, last.height, last.channels]).toEqual([32, 32, 3]);
    const first = await dataset.load(index.samples[0], ctx, { channels: 1 });
    expect([first.width, first.height, first.channels]).toEqual([28, 28, 1]);
    // A real garment, not an empty frame: background is 0 and some pixels are bright.
    expect(first.data[0]).toBe(0);
    expect(Math.max(...first.data)).toBeGreaterThan(200);
  });

  it("a class subset keeps 6,000 + 1,000 images per kept class, relabelled in the given order", async () => {
    const { dataset, ctx } = await open("fashion-mnist", "fashion-mnist", { classes: ["Bag", 6] }, FASHION_MNIST_DEFAULT_ROOT);
    const index = await dataset.index(ctx);
    expect(index.predefinedSplits!.train).toHaveLength(12_000);
    expect(index.predefinedSplits!.test).toHaveLength(2_000);
    // train/0..9 are labelled 9, 0, 0, 3, 0, 2, 7, 2, 5, 5 and t10k/0..9 9, 2, 1, 1, 6, 1, 4, 6, 5, 7: no bag (8) among them.
    expect(index.samples.filter((s) => /^t10k\/[0-9]$/.test(s.id)).map((s) => [s.id, s.label])).toEqual([["t10k/4", 1], ["t10k/7", 1]]);
    expect(new Set(index.samples.map((s) => s.label))).toEqual(new Set([0, 1]));
  });
});
