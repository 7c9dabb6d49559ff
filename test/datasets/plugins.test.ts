/**
 * Every dataset plugin indexes its committed fixture in native order and yields images that decode
 * to the pixels the generator wrote (exactly for PNG / raw formats, closely for JPEG), at the
 * configured size and channel count, with labels that match the image content.
 */
import { describe, expect, it } from "vitest";
import type { Dataset, DatasetContext, DatasetIndex, Sample } from "../../core/index.ts";
import { CCT_CATEGORIES, classColor, expectedPixels } from "../../fixtures/generators/datasets.ts";
import { APTOS_CLASSES, CCT20_CATEGORY_IDS, EUROSAT_CLASSES, HPA_CLASSES } from "../../plugins/datasets/index.ts";
import { channelMeans, meanAbsDiff, open, plane } from "./helpers.ts";

const single = (s: Sample) => s.label as number;

async function indexOf(fixture: string, plugin: string, options = {}): Promise<{ dataset: Dataset; ctx: DatasetContext; index: DatasetIndex }> {
  const { dataset, ctx } = await open(fixture, plugin, options);
  return { dataset, ctx, index: await dataset.index(ctx) };
}

function expectUniqueIds(index: DatasetIndex): void {
  expect(new Set(index.samples.map((s) => s.id)).size).toBe(index.samples.length);
}

/** Every sample's image, at its native size, equals (PNG) or is close to (JPEG) what was written. */
async function expectPixels(dataset: Dataset, ctx: DatasetContext, index: DatasetIndex, fixture: string, size: (s: Sample) => [number, number], tolerance: number, colorOf = (s: Sample) => classColor(single(s))): Promise<void> {
  for (const sample of index.samples) {
    const image = await dataset.load(sample, ctx);
    const [w, h] = size(sample);
    expect([image.width, image.height, image.channels], sample.id).toEqual([w, h, 3]);
    const written = expectedPixels(fixture, sample.id, w, h, colorOf(sample));
    if (tolerance === 0) expect(image.data, sample.id).toEqual(written);
    else expect(meanAbsDiff(image.data, written), sample.id).toBeLessThan(tolerance);
  }
}

describe("aptos2019", () => {
  it("indexes train.csv in file order and decodes every PNG exactly", async () => {
    const { dataset, ctx, index } = await indexOf("aptos2019", "aptos2019");
    expect(dataset.meta).toMatchObject({ task: "ordinal", selectionMetric: "qwk", classNames: APTOS_CLASSES });
    expect(index.samples).toHaveLength(25);
    expect(index.skipped).toEqual([]);
    expectUniqueIds(index);
    const csvIds = (await ctx.io.readText("train.csv")).trim().split("\n").slice(1).map((l) => l.split(",")[0]);
    expect(index.samples.map((s) => s.id)).toEqual(csvIds);
    expect(index.samples[0].files).toEqual([`train_images/${csvIds[0]}.png`]);
    await expectPixels(dataset, ctx, index, "aptos2019", () => [32, 24], 0);
  });

  it("resizes to the configured size and swaps channels for channelOrder bgr", async () => {
    const rgb = await indexOf("aptos2019", "aptos2019");
    const bgr = await open("aptos2019", "aptos2019", { channelOrder: "bgr" });
    const sample = rgb.index.samples[3];
    const a = await rgb.dataset.load(sample, rgb.ctx, { resize: [16, 16] });
    const b = await bgr.dataset.load(sample, bgr.ctx, { resize: [16, 16] });
    expect([a.width, a.height, a.channels]).toEqual([16, 16, 3]);
    expect([plane(b, 0), plane(b, 1), plane(b, 2)]).toEqual([plane(a, 2), plane(a, 1), plane(a, 0)]);
    const short = await rgb.dataset.load(sample, rgb.ctx, { resize: 12 });
    expect([short.width, short.height]).toEqual([16, 12]);
  });
});

describe("cassava", () => {
  it("indexes train.csv and decodes the JPEGs close to what was written", async () => {
    const { dataset, ctx, index } = await indexOf("cassava", "cassava");
    expect(dataset.meta.selectionMetric).toBe("accuracy");
    expect(index.samples).toHaveLength(25);
    expect(index.samples.every((s) => s.files[0] === `train_images/${s.id}` && s.id.endsWith(".jpg"))).toBe(true);
    await expectPixels(dataset, ctx, index, "cassava", () => [32, 24], 4);
  });
});

describe("cct20", () => {
  it("builds one sample per annotation, drops category 30, labels by position in the 15 ids", async () => {
    const { dataset, ctx, index } = await indexOf("cct20", "cct20");
    const splits = index.predefinedSplits!;
    expect(Object.keys(splits)).toEqual(["train", "cis_val", "cis_test", "trans_val", "trans_test"]);
    // Fixture plan: train has 15 classes + empty + coyote + a second annotation; cis_val has an empty.
    expect(Object.values(splits).map((ids) => ids.length)).toEqual([17, 2, 3, 2, 2]);
    expect(index.samples).toHaveLength(26);
    expectUniqueIds(index);
    expect(new Set(index.samples.map(single)).size).toBe(15);
    // Labels agree with the annotation files' category ids.
    for (const [split, ids] of Object.entries(splits)) {
      const json = JSON.parse(await ctx.io.readText(`eccv_18_annotation_files/${split}_annotations.json`)) as {
        annotations: { id: string; image_id: string; category_id: number }[]; images: { id: string; location: number }[];
      };
      const kept = json.annotations.filter((a) => a.category_id !== 30);
      expect(ids).toEqual(kept.map((a) => a.id));
      for (const a of kept) {
        const sample = index.samples.find((s) => s.id === a.id)!;
        expect(sample.label).toBe(CCT20_CATEGORY_IDS.indexOf(a.category_id as never));
        expect(sample.files).toEqual([`eccv_18_all_images_sm/${a.image_id}.jpg`]);
        expect(sample.group).toBe(String(json.images.find((i) => i.id === a.image_id)!.location));
      }
    }
    // The image with two annotations yields two samples sharing one file.
    const files = splits.train.map((id) => index.samples.find((s) => s.id === id)!.files[0]);
    expect(files.length - new Set(files).size).toBe(1);
    expect(CCT_CATEGORIES.filter(([id]) => id !== 30).map(([id]) => id).sort((a, b) => a - b)).toEqual([...CCT20_CATEGORY_IDS]);
    const image = await dataset.load(index.samples[1], ctx, { resize: 8 });
    expect([image.width, image.height, image.channels]).toEqual([10, 8, 3]);
  });
});

describe("hpa", () => {
  it("reads the Kaggle layout: four stains per sample, multilabel targets, the split file", async () => {
    const { dataset, ctx, index } = await indexOf("hpa", "hpa");
    expect(dataset.meta).toMatchObject({ task: "multilabel", selectionMetric: "macro-f1" });
    expect(dataset.meta.classNames).toHaveLength(28);
    expect(index.samples).toHaveLength(14);
    expect(new Set(index.samples.flatMap((s) => s.label as number[])).size).toBe(HPA_CLASSES.length);
    expect(index.samples[0].files.map((f) => f.slice(f.lastIndexOf("_")))).toEqual(["_red.png", "_green.png", "_blue.png", "_yellow.png"]);
    const splits = index.predefinedSplits!;
    expect(Object.fromEntries(Object.entries(splits).map(([k, v]) => [k, v.length]))).toEqual({ train: 8, val: 4, test_val: 2 });
    for (const sample of index.samples) {
      const labels = sample.label as number[];
      const image = await dataset.load(sample, ctx, { channels: 4 });
      expect(image.data).toEqual(expectedPixels("hpa", sample.id, 16, 16, [...classColor(labels[0]), 200 - classColor(labels[0])[0]]));
    }
  });

  it("reads the RGBY-PNG layout with the same ids, labels and pixels; OpenCV order drops yellow", async () => {
    const kaggle = await indexOf("hpa", "hpa");
    const rgby = await indexOf("hpa-rgby", "hpa");
    expect(rgby.index.samples.map((s) => [s.id, s.label])).toEqual(kaggle.index.samples.map((s) => [s.id, s.label]));
    expect(rgby.index.samples[0].files).toEqual([`rgby/train/${rgby.index.samples[0].id}.png`]);
    expect(rgby.index.predefinedSplits).toEqual(kaggle.index.predefinedSplits);
    const cv = await open("hpa-rgby", "hpa", { channelOrder: "bgr" });
    for (const [i, sample] of rgby.index.samples.slice(0, 4).entries()) {
      for (const options of [{ channels: 4 as const }, { resize: 10 }, { channels: 4 as const, resize: [7, 9] as const }]) {
        const stacked = await kaggle.dataset.load(kaggle.index.samples[i], kaggle.ctx, options);
        expect((await rgby.dataset.load(sample, rgby.ctx, options)).data).toEqual(stacked.data);
      }
      const rgb = await rgby.dataset.load(sample, rgby.ctx);
      const bgr = await cv.dataset.load(sample, cv.ctx);
      expect(bgr.channels).toBe(3);
      expect([plane(bgr, 0), plane(bgr, 2)]).toEqual([plane(rgb, 2), plane(rgb, 0)]);
    }
  });
});

describe("melanoma", () => {
  it("reads 2020 then 2019 in file order with group <year>/<tfrecord>", async () => {
    const { dataset, ctx, index } = await indexOf("melanoma", "melanoma");
    expect(dataset.meta).toMatchObject({ task: "binary", selectionMetric: "roc-auc" });
    expect(index.samples).toHaveLength(24);
    expect(index.samples.slice(0, 16).every((s) => s.id.startsWith("2020/"))).toBe(true);
    expect(index.samples.slice(16).every((s) => s.id.startsWith("2019/"))).toBe(true);
    expect(index.samples.slice(0, 15).map((s) => s.group)).toEqual(Array.from({ length: 15 }, (_, f) => `2020/${f}`));
    expect(index.samples.filter((s) => s.group === "2019/-1")).toHaveLength(2);
    for (const year of [2020, 2019]) {
      const rows = (await ctx.io.readText(`melanoma-${year}/train.csv`)).trim().split("\n").slice(1).map((l) => l.split(","));
      const ofYear = index.samples.filter((s) => s.id.startsWith(`${year}/`));
      expect(ofYear.map((s) => [s.id, s.label, s.group])).toEqual(rows.map((r) => [`${year}/${r[0]}`, Number(r[7]), `${year}/${r[8]}`]));
    }
    await expectPixels(dataset, ctx, index, "melanoma", () => [24, 24], 4);
    const only2020 = await indexOf("melanoma", "melanoma", { years: [2020] });
    expect(only2020.index.samples).toHaveLength(16);
  });
});

describe("eurosat", () => {
  it("indexes in torchvision ImageFolder order (class folders sorted, file names sorted as strings)", async () => {
    const { dataset, ctx, index } = await indexOf("eurosat", "eurosat");
    expect(index.samples.slice(0, 5).map((s) => s.id)).toEqual(["_1", "_10", "_100", "_11", "_2"].map((k) => `AnnualCrop/AnnualCrop${k}.jpg`));
    expect(index.samples.map(single)).toEqual(EUROSAT_CLASSES.flatMap((_, k) => [k, k, k, k, k]));
    expect(index.samples[0].files).toEqual(["2750/AnnualCrop/AnnualCrop_1.jpg"]);
    await expectPixels(dataset, ctx, index, "eurosat", () => [16, 16], 4);
  });
});

describe("cifar10", () => {
  it("reads the binary batches (planar RGB records) into HWC images", async () => {
    const { dataset, ctx, index } = await indexOf("cifar10", "cifar10");
    expect(index.predefinedSplits!.train).toHaveLength(15);
    expect(index.predefinedSplits!.test).toEqual(["test_batch/0", "test_batch/1", "test_batch/2", "test_batch/3"]);
    expect(index.samples.map(single)).toEqual(Array.from({ length: 19 }, (_, i) => i % 10));
    await expectPixels(dataset, ctx, index, "cifar10", () => [32, 32], 0);
  });
});

describe("fashion-mnist", () => {
  it("reads gzipped IDX files: 20 + 10 images, labels, grayscale replicated to RGB", async () => {
    const { dataset, ctx, index } = await indexOf("fashion-mnist", "fashion-mnist");
    expect(dataset.meta.defaultRoot).toBe("/usr/share/datasets/fashion-mnist");
    expect(index.predefinedSplits!.train).toHaveLength(20);
    expect(index.predefinedSplits!.test).toHaveLength(10);
    expect(index.samples.map(single)).toEqual([...Array.from({ length: 20 }, (_, i) => i % 10), ...Array.from({ length: 10 }, (_, i) => i)]);
    for (const sample of index.samples) {
      const image = await dataset.load(sample, ctx);
      const written = expectedPixels("fashion-mnist", sample.id, 28, 28, [classColor(single(sample))[0]]);
      expect([image.width, image.height, image.channels]).toEqual([28, 28, 3]);
      for (let c = 0; c < 3; c++) expect(plane(image, c)).toEqual(written);
    }
    const gray = await open("fashion-mnist", "fashion-mnist", { channels: 1 });
    const small = await gray.dataset.load(index.samples[0], gray.ctx, { resize: 14 });
    expect([small.width, small.height, small.channels]).toEqual([14, 14, 1]);
  });
});

describe("image-folder", () => {
  it("finds classes, walks nested folders in sorted order and skips non-image files", async () => {
    const { dataset, ctx, index } = await indexOf("image-folder", "image-folder");
    expect(index.classNames).toEqual(["cat", "dog"]);
    expect(index.samples.map((s) => [s.id, s.label])).toEqual([
      ["cat/cat_1.png", 0], ["cat/gray.png", 0], ["cat/nested/rgba.png", 0],
      ["dog/dog_1.jpg", 1], ["dog/exif6.jpg", 1], ["dog/rgb16.png", 1],
    ]);
    for (const sample of index.samples) {
      const image = await dataset.load(sample, ctx, { resize: [8, 8] });
      expect([image.width, image.height, image.channels]).toEqual([8, 8, 3]);
      const means = channelMeans(image);
      const color = sample.id === "cat/gray.png" ? [classColor(0)[1], classColor(0)[1], classColor(0)[1]] : classColor(single(sample));
      means.forEach((m, c) => expect(Math.abs(m - color[c]), `${sample.id} channel ${c}`).toBeLessThan(4));
    }
    // ImageFolder reads with PIL, which ignores EXIF orientation: stored size by default.
    const exif = await dataset.load(index.samples[4], ctx);
    expect([exif.width, exif.height]).toEqual([20, 12]);
  });
});

describe("csv", () => {
  it("reads ids, named labels, a path column, groups and a split column", async () => {
    const { dataset, ctx, index } = await indexOf("csv", "csv", {
      csv: "labels.csv", idColumn: "sample", labelColumn: "species", pathColumn: "path", imageDir: "images", groupColumn: "site", splitColumn: "fold",
    });
    expect(index.classNames).toEqual(["heron", "ibis", "stork"]);
    expect(index.samples.map((s) => [s.id, s.label, s.group])).toEqual(
      Array.from({ length: 9 }, (_, i) => [`s${i}`, i % 3, `site${i % 2}`]),
    );
    expect(index.predefinedSplits).toEqual({ train: ["s0", "s1", "s2", "s3", "s4", "s5"], val: ["s6", "s7", "s8"] });
    await expectPixels(dataset, ctx, index, "csv", () => [16, 12], 0);
  });
});
