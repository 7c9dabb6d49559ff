/**
 * Kornblith et al. (2019)'s VOC 2007, DTD, Caltech-101, 102 Flowers and Stanford Cars loaders on
 * their native-format fixtures: labels, predefined splits, pixels lining up with labels, and broken
 * copies whose errors name the file, row or element and what was expected.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import type { Dataset, DatasetContext, DatasetIndex, JsonObject } from "../../core/index.ts";
import { DATASET_FACTS, InputError, predefinedSplit } from "../../core/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { CALTECH101_FIXTURE, DTD_FIXTURE, FLOWERS102_FIXTURE, STANFORD_CARS_FIXTURE, VOC2007_FIXTURE, vocFlags } from "../../fixtures/generators/dataset-fixtures/kornblith-b.ts";
import { classColor } from "../../fixtures/generators/datasets.ts";
import { channelMeans, copyFixture, FIXTURES, open } from "./helpers.ts";

/** A copy of the fixture changed by `edit`, removed when the test ends. */
async function broken(fixture: string, edit: (root: string) => Promise<void>): Promise<string> {
  const root = await copyFixture(fixture);
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  await edit(root);
  return root;
}

async function indexed(fixture: string, options: JsonObject = {}, root?: string): Promise<{ dataset: Dataset; ctx: DatasetContext; index: DatasetIndex }> {
  const { dataset, ctx } = await open(fixture, fixture, options, root);
  return { dataset, ctx, index: await dataset.index(ctx) };
}

async function indexError(fixture: string, root: string, options: JsonObject = {}): Promise<string> {
  const { dataset, ctx } = await open(fixture, fixture, options, root);
  const error = await dataset.index(ctx).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return (error as InputError).message;
}

/** Each image's mean colour is its class colour (JPEG noise and the ramp average out within a few levels). */
async function expectColours(dataset: Dataset, ctx: DatasetContext, index: DatasetIndex, colourLabel: (id: string) => number): Promise<void> {
  for (const sample of index.samples) {
    const means = channelMeans(await dataset.load(sample, ctx));
    classColor(colourLabel(sample.id)).forEach((c, i) => expect(Math.abs(means[i] - c), `${sample.id} channel ${i}`).toBeLessThan(4));
  }
}

describe("Kornblith et al.'s datasets, second half", () => {
  // The facts table's metric (as reports print it) and the plugin's selection metric (a registered metric) agree.
  const METRIC = { accuracy: "accuracy", "mean per-class accuracy": "mean-per-class-accuracy", "11-point mAP": "voc-map" } as const;
  it.each(["voc2007", "dtd", "caltech101", "flowers102", "stanford-cars"])("%s selects by the metric of the dataset facts table", async (name) => {
    const { dataset } = await open(name, name);
    const facts = DATASET_FACTS.find((f) => f.plugin === name)!;
    expect(dataset.meta.selectionMetric).toBe(METRIC[facts.metric as keyof typeof METRIC]);
    expect(builtinRegistry().has("metric", dataset.meta.selectionMetric)).toBe(true);
  });
});

describe("xfer splits make", () => {
  it("splits VOC 2007 into its provided train, val and test with the predefined splitter", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-voc2007-splits-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const manifest = join(dir, "voc2007.json");
    const xfer = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
    const run = spawnSync(process.execPath, [xfer, "splits", "make", "voc2007", "--root", join(FIXTURES, "voc2007"), "--out", manifest,
      "--splitter", "predefined", "--splitter-options", JSON.stringify({ train: "train", val: "val", test: "test" })], { encoding: "utf8", timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(`${manifest}: voc2007 split by predefined (seed 0): train 3, val 2, test 2`);
  }, 60_000);
});

const editText = async (path: string, change: (text: string) => string) => writeFile(path, change(await readFile(path, "utf8")));

describe("voc2007", () => {
  const expectedLabels = (difficult: boolean) =>
    Object.fromEntries(Object.values(VOC2007_FIXTURE).flatMap((images) => Object.entries(images).map(([id, objects]) => {
      const flags = vocFlags(objects);
      return [id, flags.flatMap((f, c) => (f === 1 || (f === 0 && difficult) ? [c] : []))];
    })));

  it("reads the class files and the XML annotations to the same labels, difficult-only classes ignored by default", async () => {
    const { dataset, ctx, index } = await indexed("voc2007");
    expect(dataset.meta.selectionMetric).toBe("voc-map");
    expect(Object.fromEntries(index.samples.map((s) => [s.id, s.label]))).toEqual(expectedLabels(false));
    // An image whose objects of a class are all difficult: that class is ignored (devkit flag 0), not present or absent.
    expect(Object.fromEntries(index.samples.flatMap((s) => (s.ignore ? [[s.id, s.ignore]] : [])))).toEqual({ "000005": [10], "000017": [12], "000012": [3], "000004": [7] });
    expect(index.predefinedSplits).toEqual(Object.fromEntries(Object.entries(VOC2007_FIXTURE).map(([split, images]) => [split, Object.keys(images)])));
    const xml = await indexed("voc2007", { labels: "xml" });
    expect(xml.index).toEqual(index);
    const positive = await indexed("voc2007", { difficult: "positive" });
    expect(Object.fromEntries(positive.index.samples.map((s) => [s.id, s.label]))).toEqual(expectedLabels(true));
    const negative = await indexed("voc2007", { difficult: "negative" });
    expect(Object.fromEntries(negative.index.samples.map((s) => [s.id, s.label]))).toEqual(expectedLabels(false));
    expect([...positive.index.samples, ...negative.index.samples].some((s) => s.ignore)).toBe(false);
    await expectColours(dataset, ctx, index, (id) => Object.values(VOC2007_FIXTURE).find((images) => id in images)![id][0][0]);
    // The provided validation set is the selection split; no test archive: train and val only.
    expect(predefinedSplit(index, { train: "train", val: "val", test: "test" }).val).toEqual(["000009", "000012"]);
    const noTest = await broken("voc2007", (r) => unlink(join(r, "VOCdevkit/VOC2007/ImageSets/Main/test.txt")));
    expect(Object.keys((await indexed("voc2007", {}, noTest)).index.predefinedSplits!)).toEqual(["train", "val"]);
  });

  it("names the class file line, the missing flag and the XML object", async () => {
    const main = "VOCdevkit/VOC2007/ImageSets/Main";
    const flag = await broken("voc2007", (r) => editText(join(r, main, "cat_val.txt"), (t) => t.replace("000012 -1", "000012 2")));
    expect(await indexError("voc2007", flag)).toBe(`${main}/cat_val.txt line 2: "000012 2"; expected "<image id> <flag>" with flag 1 (present), -1 (absent) or 0 (difficult)`);
    const missing = await broken("voc2007", (r) => editText(join(r, main, "dog_train.txt"), (t) => t.split("\n").slice(1).join("\n")));
    expect(await indexError("voc2007", missing)).toBe(`${main}/dog_train.txt: no line for image id 000005 (${main}/train.txt line 1); expected a flag for every image of the train split`);
    const stranger = await broken("voc2007", (r) => editText(join(r, main, "dog_test.txt"), (t) => `${t}000099 -1\n`));
    expect(await indexError("voc2007", stranger)).toBe(`${main}/dog_test.txt line 3: image id 000099 is not in ${main}/test.txt; expected the ids of the test split`);
    const xml = await broken("voc2007", (r) => editText(join(r, "VOCdevkit/VOC2007/Annotations/000009.xml"), (t) => t.replace("<name>person</name>", "<name>human</name>")));
    expect(await indexError("voc2007", xml, { labels: "xml" })).toBe(`VOCdevkit/VOC2007/Annotations/000009.xml object 3: <name> "human"; expected one of the 20 VOC classes (${["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"].join(", ")})`);
    const image = await broken("voc2007", (r) => unlink(join(r, "VOCdevkit/VOC2007/JPEGImages/000007.jpg")));
    expect(await indexError("voc2007", image)).toContain(`${main}/train.txt line 2: image file VOCdevkit/VOC2007/JPEGImages/000007.jpg not found`);
  });
});

describe("dtd", () => {
  it("reads the first partition's train/val/test by default and another on request", async () => {
    const { dataset, ctx, index } = await indexed("dtd");
    expect(index.classNames).toEqual(DTD_FIXTURE.classes);
    for (const partition of [1, 2] as const) {
      const { index: p } = partition === 1 ? { index } : await indexed("dtd", { partition });
      const splits = DTD_FIXTURE.partitions[partition];
      expect(p.predefinedSplits).toEqual({ train: splits.train.map((i) => DTD_FIXTURE.images[i]), val: splits.val.map((i) => DTD_FIXTURE.images[i]), test: splits.test.map((i) => DTD_FIXTURE.images[i]) });
    }
    expect(index.samples.map((s) => s.label)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    await expectColours(dataset, ctx, index, (id) => DTD_FIXTURE.classes.indexOf(id.split("/")[0] as "banded"));
    expect(dataset.meta.selectionMetric).toBe("accuracy");
  });

  it("names the split file line of a bad entry, an unknown class and a missing partition", async () => {
    const root = await broken("dtd", (r) => editText(join(r, "dtd/labels/val1.txt"), (t) => t.replace("blotchy/blotchy_0010.jpg", "dotted/dotted_0001.jpg")));
    expect(await indexError("dtd", root)).toBe("dtd/labels/val1.txt line 2: class \"dotted\" is not a folder of dtd/images; expected one of banded, blotchy, braided");
    const nested = await broken("dtd", (r) => editText(join(r, "dtd/labels/test1.txt"), (t) => t.replace("banded/banded_0133.jpg", "banded/../../x.jpg")));
    expect(await indexError("dtd", nested)).toBe("dtd/labels/test1.txt line 1: \"banded/../../x.jpg\"; expected \"<class>/<file>\", e.g. banded/banded_0002.jpg");
    expect(await indexError("dtd", join(FIXTURES, "dtd"), { partition: 3 })).toBe("dtd/labels/train3.txt: file not found; expected the train images of partition 3, one \"<class>/<file>\" per line");
  });
});

describe("caltech101", () => {
  it("keeps BACKGROUND_Google as the 102nd class and draws trainPerClass training images per class, the same every time", async () => {
    const { dataset, ctx, index } = await indexed("caltech101", { trainPerClass: 2 });
    expect(index.classNames).toEqual(CALTECH101_FIXTURE.classes);
    expect(dataset.meta.selectionMetric).toBe("mean-per-class-accuracy");
    const { train, test } = index.predefinedSplits!;
    expect(train).toHaveLength(6);
    expect(test).toHaveLength(6);
    for (const name of CALTECH101_FIXTURE.classes) expect(train.filter((id) => id.startsWith(`${name}/`))).toHaveLength(2);
    expect([...train, ...test].sort()).toEqual(index.samples.map((s) => s.id).sort());
    expect((await indexed("caltech101", { trainPerClass: 2 })).index.predefinedSplits).toEqual(index.predefinedSplits);
    const reseeded = await indexed("caltech101", { trainPerClass: 2, splitSeed: 1 });
    expect(reseeded.index.predefinedSplits!.train).not.toEqual(train);
    await expectColours(dataset, ctx, index, (id) => CALTECH101_FIXTURE.classes.indexOf(id.split("/")[0] as "accordion"));
    const without = await indexed("caltech101", { trainPerClass: 2, background: false });
    expect(without.index.classNames).toEqual(["Faces_easy", "accordion"]);
    expect(without.index.samples.map((s) => s.label)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it("refuses a class too small for its training draw, and a missing background folder", async () => {
    expect(await indexError("caltech101", join(FIXTURES, "caltech101"))).toBe("101_ObjectCategories/BACKGROUND_Google: 4 .jpg images; expected more than trainPerClass (30), the rest being the test set");
    const root = await broken("caltech101", (r) => rm(join(r, "101_ObjectCategories/BACKGROUND_Google"), { recursive: true }));
    expect(await indexError("caltech101", root, { trainPerClass: 2 })).toBe("101_ObjectCategories: no BACKGROUND_Google folder; expected it as the 102nd class (set background: false for the 101 categories alone)");
  });
});

describe("flowers102", () => {
  it("reads imagelabels.mat and setid.mat's provided train/val/test", async () => {
    const { dataset, ctx, index } = await indexed("flowers102");
    const name = (n: number) => `image_${String(n).padStart(5, "0")}`;
    expect(index.predefinedSplits).toEqual({ train: FLOWERS102_FIXTURE.train.map(name), val: FLOWERS102_FIXTURE.val.map(name), test: FLOWERS102_FIXTURE.test.map(name) });
    expect(index.samples.map((s) => [s.id, s.label])).toEqual([...FLOWERS102_FIXTURE.train, ...FLOWERS102_FIXTURE.val, ...FLOWERS102_FIXTURE.test].map((n) => [name(n), FLOWERS102_FIXTURE.labels[n - 1] - 1]));
    expect(index.classNames).toEqual(["1", "2", "3"]);
    expect(dataset.meta.selectionMetric).toBe("mean-per-class-accuracy");
    await expectColours(dataset, ctx, index, (id) => FLOWERS102_FIXTURE.labels[Number(id.slice(6)) - 1] - 1);
  });

  it("names the .mat file and element of a bad split and a missing file", async () => {
    const setid = await readFile(join(FIXTURES, "flowers102/setid.mat"));
    const labels = await broken("flowers102", (r) => unlink(join(r, "imagelabels.mat")));
    expect(await indexError("flowers102", labels)).toBe("imagelabels.mat: file not found; expected a MATLAB file with labels: the class (1-102) of every image");
    const truncated = await broken("flowers102", (r) => writeFile(join(r, "setid.mat"), setid.subarray(0, setid.length - 20)));
    expect(await indexError("flowers102", truncated)).toMatch(/^setid\.mat element at byte \d+: miCOMPRESSED declares \d+ bytes at byte \d+; only \d+ remain/);
    const image = await broken("flowers102", (r) => unlink(join(r, "jpg/image_00005.jpg")));
    expect(await indexError("flowers102", image)).toBe("setid.mat valid(2): image file jpg/image_00005.jpg not found; expected the image of sample \"image_00005\" (set skipMissing to leave such samples out)");
  });
});

describe("stanford-cars", () => {
  it("reads the devkit's class names and annotation structs", async () => {
    const { dataset, ctx, index } = await indexed("stanford-cars");
    expect(index.classNames).toEqual(STANFORD_CARS_FIXTURE.classes);
    const expected = (["train", "test"] as const).flatMap((split) => STANFORD_CARS_FIXTURE[split].map(([label, fname]) => [`${split}/${fname}`, label - 1]));
    expect(index.samples.map((s) => [s.id, s.label])).toEqual(expected);
    expect(index.predefinedSplits).toEqual({ train: expected.slice(0, 6).map(([id]) => id), test: expected.slice(6).map(([id]) => id) });
    expect(dataset.meta.selectionMetric).toBe("accuracy");
    await expectColours(dataset, ctx, index, (id) => expected.find(([e]) => e === id)![1] as number);
  });

  it("names the annotation element of a class out of range, and the missing test labels", async () => {
    // 3 classes in the meta file: a meta file of 2 puts train's class 3 out of range.
    const meta = await broken("stanford-cars", async (r) => {
      const bytes = await readFile(join(r, "devkit/cars_meta.mat"));
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      // The class_names cell array's dimensions 1x3 become 1x2 (its third name is then left unread).
      for (let at = 128; at < bytes.length - 16; at += 8) {
        if (view.getUint32(at, true) === 5 && view.getUint32(at + 4, true) === 8 && view.getInt32(at + 12, true) === 3) {
          view.setInt32(at + 12, 2, true);
          break;
        }
      }
      await writeFile(join(r, "devkit/cars_meta.mat"), bytes);
    });
    expect(await indexError("stanford-cars", meta)).toBe("devkit/cars_train_annos.mat annotations(2).class: 3; expected a class from 1 to 2 (the classes of devkit/cars_meta.mat)");
    const test = await broken("stanford-cars", (r) => unlink(join(r, "cars_test_annos_withlabels.mat")));
    expect(await indexError("stanford-cars", test)).toBe("cars_test_annos_withlabels.mat: file not found; expected a MATLAB file with annotations: a struct array with fname and class");
  });
});
