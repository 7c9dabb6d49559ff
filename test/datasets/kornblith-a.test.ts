/**
 * Six of Kornblith et al. (2019)'s datasets read from their native-format fixtures: classes,
 * predefined splits, labels that match the pixels written for them, the metric each is selected
 * by, Birdsnap's images the download did not get (listed, never dropped silently), and bad input
 * named by file, line and field.
 */
import { spawnSync } from "node:child_process";
import { appendFile, mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError, SeedTree, type Dataset, type DatasetContext, type DatasetIndex } from "../../core/index.ts";
import { datasetFacts } from "../../core/analysis/datasets.ts";
import { predefinedHoldout, predefinedSplit } from "../../core/splits/index.ts";
import {
  AIRCRAFT_FIXTURE, BIRDSNAP_FIXTURE, birdsnapPath, CIFAR100_FIXTURE, FOOD101_FIXTURE, PETS_FIXTURE, SUN397_FIXTURE,
} from "../../fixtures/generators/dataset-fixtures/kornblith-a.ts";
import { classColor, expectedPixels } from "../../fixtures/generators/datasets.ts";
import { CIFAR100_CLASSES } from "../../plugins/datasets/cifar100/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { brokenCopy, editText, FIXTURES, meanAbsDiff, open } from "./helpers.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const CORE = resolve(import.meta.dirname, "../../core/index.ts");
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

const broken = (fixture: string, edit: (root: string) => Promise<void>) => brokenCopy(fixture, edit, roots);

async function indexError(plugin: string, root: string, options = {}): Promise<string> {
  const { dataset, ctx } = await open(plugin, plugin, options, root);
  const error = await dataset.index(ctx).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return (error as InputError).message;
}

/** Every sample decodes close to the pixels written for its id in its class's colour (8x8 JPEGs). */
async function expectLabelsMatchPixels(dataset: Dataset, ctx: DatasetContext, index: DatasetIndex): Promise<void> {
  for (const sample of index.samples) {
    const image = await dataset.load(sample, ctx);
    expect([image.width, image.height, image.channels], sample.id).toEqual([8, 8, 3]);
    const written = expectedPixels(dataset.meta.name, sample.id, 8, 8, classColor(sample.label as number));
    expect(meanAbsDiff(image.data, written), sample.id).toBeLessThan(5);
    // Another class's colour is far off, so the label is the image's own.
    const other = expectedPixels(dataset.meta.name, sample.id, 8, 8, classColor((sample.label as number) + 1));
    expect(meanAbsDiff(image.data, other), sample.id).toBeGreaterThan(10);
  }
}

const splitSizes = (index: DatasetIndex) => Object.fromEntries(Object.entries(index.predefinedSplits ?? {}).map(([name, ids]) => [name, ids.length]));

describe("Kornblith et al. (2019) datasets, part A", () => {
  it("select by the dataset facts' metric: mean per-class accuracy for Aircraft and Pets, accuracy otherwise", async () => {
    const metricPlugin: Record<string, string> = { accuracy: "accuracy", "mean per-class accuracy": "mean-per-class-accuracy" };
    const registry = builtinRegistry();
    for (const name of ["food101", "cifar100", "birdsnap", "sun397", "fgvc-aircraft", "oxford-pets"]) {
      const { dataset } = await open(name, name);
      expect(dataset.meta.selectionMetric, name).toBe(metricPlugin[datasetFacts(name)!.metric]);
      expect(registry.has("metric", dataset.meta.selectionMetric), name).toBe(true);
      await expect(registry.create("dataset", { name, options: { nope: 1 } }, { seeds: new SeedTree(0) })).rejects.toThrow(`dataset plugin "${name}"`);
    }
  });

  it("food101: classes.txt's order, meta/train.txt and test.txt as the train and test splits", async () => {
    const { dataset, ctx } = await open("food101", "food101");
    const index = await dataset.index(ctx);
    expect(index.classNames).toEqual(FOOD101_FIXTURE.classes);
    expect(splitSizes(index)).toEqual({ train: 9, test: 3 });
    expect(index.samples[0].files[0]).toBe(`food-101/images/${index.samples[0].id}.jpg`);
    expect(index.samples.every((s) => s.id.startsWith(`${FOOD101_FIXTURE.classes[s.label as number]}/`))).toBe(true);
    await expectLabelsMatchPixels(dataset, ctx, index);
    // The seeded holdout of train the recipes use: val from train, test untouched.
    const split = predefinedHoldout(index, 0, { train: "train", test: "test", valPerClass: 1 });
    expect([split.train.length, split.val.length, split.test!.length]).toEqual([6, 3, 3]);
  });

  it("cifar100: fine labels of the binary records, pixels exactly as written", async () => {
    const { dataset, ctx } = await open("cifar100", "cifar100", { allowEmptyClasses: true });
    const index = await dataset.index(ctx);
    expect(dataset.meta.classNames).toHaveLength(100);
    expect(index.samples.map((s) => s.label)).toEqual([...CIFAR100_FIXTURE.train, ...CIFAR100_FIXTURE.test]);
    expect(index.predefinedSplits).toEqual({ train: ["train/0", "train/1", "train/2", "train/3"], test: ["test/0", "test/1"] });
    const image = await dataset.load(index.samples[1], ctx);
    expect(image.data).toEqual(expectedPixels("cifar100", "train/1", 32, 32, classColor(99 % 28)));
    // The fixture covers three of the 100 classes: an error without allowEmptyClasses.
    expect(await indexError("cifar100", join(FIXTURES, "cifar100"))).toMatch(/^cifar-100-binary\/\{train,test\}\.bin: class 1 \(aquarium_fish\), 2 \(baby\), .* has no samples/);
  });

  it("birdsnap: species.txt's classes, test_images.txt as test, the images not downloaded listed with their line", async () => {
    const { dataset, ctx } = await open("birdsnap", "birdsnap");
    const index = await dataset.index(ctx);
    expect(index.classNames).toEqual(BIRDSNAP_FIXTURE.species.map((s) => s[0]));
    const got = BIRDSNAP_FIXTURE.images.flatMap((image, i) => (image.got ? [{ ...image, path: birdsnapPath(i) }] : []));
    expect(index.samples.map((s) => [s.id, s.label])).toEqual(got.map((image) => [image.path, image.species]));
    expect(index.predefinedSplits).toEqual({ train: got.filter((i) => !i.test).map((i) => i.path), test: got.filter((i) => i.test).map((i) => i.path) });
    const missing = BIRDSNAP_FIXTURE.images.flatMap((image, i) => (image.got ? [] : [i]));
    expect(index.skipped).toEqual(missing.map((i) => ({ id: birdsnapPath(i), reason: `images.txt line ${i + 2}: image file download/images/${birdsnapPath(i)} not found` })));
    await expectLabelsMatchPixels(dataset, ctx, index);
    // skipMissing false: the first missing image is an error naming its line.
    expect(await indexError("birdsnap", join(FIXTURES, "birdsnap"), { skipMissing: false })).toBe(
      `images.txt line ${missing[0] + 2}: image file download/images/${birdsnapPath(missing[0])} not found; expected the image of sample "${birdsnapPath(missing[0])}" (set skipMissing to leave such samples out)`);
  });

  it("sun397: the first partition only, nested class names, ClassName.txt's order", async () => {
    const { dataset, ctx } = await open("sun397", "sun397");
    const index = await dataset.index(ctx);
    expect(index.classNames).toEqual(SUN397_FIXTURE.classes.map((c) => c.slice(3)));
    expect(splitSizes(index)).toEqual({ train: 6, test: 3 });
    expect(index.samples.find((s) => s.label === 1)!.files[0]).toMatch(/^SUN397\/a\/apartment_building\/outdoor\/sun_[a-z]{16}\.jpg$/);
    await expectLabelsMatchPixels(dataset, ctx, index);
    expect(await indexError("sun397", join(FIXTURES, "sun397"), { partition: 2 })).toBe("Training_02.txt: not found in Partitions/ or the dataset root; expected the partition files of SUN397's Partitions.zip");
  });

  it("fgvc-aircraft: the provided train, val and test; variants with a slash or a space; zero-padded names kept", async () => {
    const { dataset, ctx } = await open("fgvc-aircraft", "fgvc-aircraft");
    const index = await dataset.index(ctx);
    expect(index.classNames).toEqual(AIRCRAFT_FIXTURE.variants);
    expect(splitSizes(index)).toEqual({ train: 6, val: 3, test: 3 });
    expect(index.samples.every((s) => /^0\d{6}$/.test(s.id))).toBe(true);
    await expectLabelsMatchPixels(dataset, ctx, index);
    const split = predefinedSplit(index, { train: "train", val: "val", test: "test" });
    expect(split.val).toEqual(index.predefinedSplits!.val);
  });

  it("oxford-pets: class id column, named by the images; trainval.txt as train", async () => {
    const { dataset, ctx } = await open("oxford-pets", "oxford-pets");
    const index = await dataset.index(ctx);
    expect(index.classNames).toEqual(PETS_FIXTURE.classes.map((c) => c[0]));
    expect(splitSizes(index)).toEqual({ train: 6, test: 3 });
    expect(index.samples[0]).toEqual({ id: "Abyssinian_100", files: ["oxford-iiit-pet/images/Abyssinian_100.jpg"], label: 0 });
    await expectLabelsMatchPixels(dataset, ctx, index);
  });
});

describe("Kornblith et al. (2019) datasets, part A: bad input", () => {
  it("food101: an unknown class or a missing image names the list file and line", async () => {
    const unknown = await broken("food101", (r) => editText(join(r, "food-101/meta/train.txt"), (t) => t.replace(/^baklava\//m, "tiramisu/")));
    expect(await indexError("food101", unknown)).toMatch(/^food-101\/meta\/train\.txt line 7: "tiramisu\/\d+"; expected <class>\/<image id> with a class of food-101\/meta\/classes\.txt$/);
    const noClasses = await broken("food101", (r) => unlink(join(r, "food-101/meta/classes.txt")));
    expect(await indexError("food101", noClasses)).toMatch(/^food-101\/meta\/classes\.txt: file not found; expected one class name per line/);
    const twice = await broken("food101", (r) => appendFile(join(r, "food-101/meta/classes.txt"), "apple_pie\n"));
    expect(await indexError("food101", twice)).toBe('food-101/meta/classes.txt line 4: class "apple_pie" listed twice (first at line 1); expected each class once');
  });

  it("cifar100: a label byte out of range names the record; a truncated file and wrong class names are named", async () => {
    const badLabel = await broken("cifar100", async (r) => {
      const bytes = await readFile(join(r, "cifar-100-binary/train.bin"));
      bytes[3074 + 1] = 100;
      await writeFile(join(r, "cifar-100-binary/train.bin"), bytes);
    });
    expect(await indexError("cifar100", badLabel, { allowEmptyClasses: true })).toBe("cifar-100-binary/train.bin record 1: fine label 100; expected 0 to 99");
    const truncated = await broken("cifar100", async (r) => writeFile(join(r, "cifar-100-binary/test.bin"), (await readFile(join(r, "cifar-100-binary/test.bin"))).subarray(0, 5000)));
    expect(await indexError("cifar100", truncated, { allowEmptyClasses: true })).toMatch(/^cifar-100-binary\/test\.bin: 5000 bytes; expected a multiple of 3074/);
    const names = await broken("cifar100", (r) => editText(join(r, "cifar-100-binary/fine_label_names.txt"), (t) => t.replace("baby\n", "infant\n")));
    expect(await indexError("cifar100", names, { allowEmptyClasses: true })).toBe('cifar-100-binary/fine_label_names.txt: 100 class names, "infant" at position 2; expected the 100 CIFAR-100 fine classes (baby there)');
  });

  it("birdsnap: header, md5, species id and test list errors name the file, line and field", async () => {
    const header = await broken("birdsnap", (r) => editText(join(r, "images.txt"), (t) => t.replace("species_id", "species")));
    expect(await indexError("birdsnap", header)).toMatch(/^images\.txt line 1: missing field "species_id"; expected a tab-separated header with url, md5, path, species_id, found url, md5, path, species, bb_x1/);
    const md5 = await broken("birdsnap", (r) => editText(join(r, "images.txt"), (t) => t.replace(/\t[0-9a-f]{32}\t/, "\tnot-an-md5\t")));
    expect(await indexError("birdsnap", md5)).toBe('images.txt line 2 field "md5": "not-an-md5"; expected 32 hexadecimal digits');
    const species = await broken("birdsnap", (r) => editText(join(r, "images.txt"), (t) => t.replace(/(\.jpg\t)1\t/, "$1501\t")));
    expect(await indexError("birdsnap", species)).toBe('images.txt line 2 field "species_id": species 501; expected a species id from 1 to 3 (species.txt)');
    const fields = await broken("birdsnap", (r) => appendFile(join(r, "images.txt"), "http://x\tabc\n"));
    expect(await indexError("birdsnap", fields)).toMatch(/^images\.txt line 12: 2 tab-separated fields; expected 42 \(url, md5, path, species_id, /);
    const test = await broken("birdsnap", (r) => appendFile(join(r, "test_images.txt"), "Blue_Jay/9999.jpg\n"));
    expect(await indexError("birdsnap", test)).toBe('test_images.txt line 6: image "Blue_Jay/9999.jpg" is not in images.txt; expected a path listed there');
    const noImages = await broken("birdsnap", (r) => rm(join(r, "download"), { recursive: true }));
    expect(await indexError("birdsnap", noImages)).toMatch(/^download\/images: not a directory; expected the images get_birdsnap\.py downloaded/);
    const ids = await broken("birdsnap", (r) => editText(join(r, "species.txt"), (t) => t.replace("\n2\t", "\n7\t")));
    expect(await indexError("birdsnap", ids)).toBe('species.txt line 3 field "id": species id 7; expected 2 (ids run from 1 in order)');
  });

  it("sun397: an image of a class not in ClassName.txt names the partition line", async () => {
    const root = await broken("sun397", (r) => editText(join(r, "Partitions/Testing_01.txt"), (t) => t.replace("/b/bakery/shop/", "/b/bakery/kitchen/")));
    expect(await indexError("sun397", root)).toMatch(/^Partitions\/Testing_01\.txt line 3: "\/b\/bakery\/kitchen\/sun_[a-z]{16}\.jpg"; expected \/<letter>\/<class>\/<file>\.jpg with a class of SUN397\/ClassName\.txt$/);
    const entry = await broken("sun397", (r) => appendFile(join(r, "SUN397/ClassName.txt"), "bakery\n"));
    expect(await indexError("sun397", entry)).toBe('SUN397/ClassName.txt: class "bakery" (line 4); expected /<letter>/<class>');
  });

  it("fgvc-aircraft: an unknown variant and an image listed twice name the lines", async () => {
    const unknown = await broken("fgvc-aircraft", (r) => editText(join(r, "fgvc-aircraft-2013b/data/images_variant_val.txt"), (t) => t.replace(" Cessna 172", " Cessna 182")));
    expect(await indexError("fgvc-aircraft", unknown)).toMatch(/^fgvc-aircraft-2013b\/data\/images_variant_val\.txt line 2: variant "Cessna 182" of image 0\d{6}; expected a variant of fgvc-aircraft-2013b\/data\/variants\.txt$/);
    const twice = await broken("fgvc-aircraft", async (r) => {
      const first = (await readFile(join(r, "fgvc-aircraft-2013b/data/images_variant_train.txt"), "utf8")).split("\n")[0];
      await appendFile(join(r, "fgvc-aircraft-2013b/data/images_variant_test.txt"), `${first}\n`);
    });
    expect(await indexError("fgvc-aircraft", twice)).toMatch(/^fgvc-aircraft-2013b\/data\/images_variant_test\.txt line 4: duplicate id "0\d{6}" \(first at fgvc-aircraft-2013b\/data\/images_variant_train\.txt line 1\)/);
  });

  it("oxford-pets: a class id that disagrees with the image's breed, a gap in the ids, a short line", async () => {
    const wrong = await broken("oxford-pets", (r) => editText(join(r, "oxford-iiit-pet/annotations/test.txt"), (t) => t.replace(/^(american_bulldog_\d+) 2 /m, "$1 3 ")));
    expect(await indexError("oxford-pets", wrong)).toMatch(/^oxford-iiit-pet\/annotations\/test\.txt line 2 field 2: class id 3 for image american_bulldog_\d+; expected the class of american_bulldog images, but class 3 is american_pit_bull_terrier \(oxford-iiit-pet\/annotations\/trainval\.txt line 5\)$/);
    const gap = await broken("oxford-pets", async (r) => {
      for (const list of ["trainval.txt", "test.txt"]) {
        await editText(join(r, "oxford-iiit-pet/annotations", list), (t) => t.split("\n").filter((l) => !l.startsWith("american_bulldog_")).join("\n"));
      }
    });
    expect(await indexError("oxford-pets", gap)).toBe("oxford-iiit-pet/annotations/{trainval.txt,test.txt}: class id 2 has no image while ids up to 3 occur; expected class ids 1 to 3 without a gap");
    const short = await broken("oxford-pets", (r) => appendFile(join(r, "oxford-iiit-pet/annotations/test.txt"), "Abyssinian_999 1\n"));
    expect(await indexError("oxford-pets", short)).toBe("oxford-iiit-pet/annotations/test.txt line 4: 2 fields; expected 4: <image> <class id> <species 1|2> <breed id>");
    const big = await broken("oxford-pets", (r) => appendFile(join(r, "oxford-iiit-pet/annotations/test.txt"), "Abyssinian_999 99999999999 1 1\n"));
    expect(await indexError("oxford-pets", big)).toBe("oxford-iiit-pet/annotations/test.txt line 4 field 2: class id 99999999999; expected a class id from 1 to 37");
  });
});

describe("xfer run on Birdsnap with images the download did not get", () => {
  it("names the count and the first 20 on stderr, and the run's result lists every one", async () => {
    const extra = 22;
    const root = await broken("birdsnap", async (r) => {
      const rows = (await readFile(join(r, "images.txt"), "utf8")).trimEnd().split("\n");
      // Copies of the first row under paths that were never downloaded.
      const lost = Array.from({ length: extra }, (_, i) => rows[1].replace(/\t[^\t]+\.jpg\t/, `\tBlue_Jay/lost_${String(i).padStart(2, "0")}.jpg\t`));
      await writeFile(join(r, "images.txt"), [...rows, ...lost].join("\n") + "\n");
    });
    const dir = await mkdtemp(join(tmpdir(), "xfer-birdsnap-run-"));
    roots.push(dir);
    await writeFile(join(dir, "xfer.config.json"), JSON.stringify({ dataRoots: { birdsnap: root } }));
    await writeFile(join(dir, "package.json"), '{ "type": "module" }\n');
    await writeFile(join(dir, "recipe.ts"), `import { defineRecipe } from ${JSON.stringify(CORE)};\nexport default defineRecipe(${JSON.stringify({
      name: "birdsnap-lost",
      description: "one tiny run on the Birdsnap fixture",
      template: {
        dataset: { name: "birdsnap" },
        splitter: { name: "predefined", options: { train: "train", val: "test" } },
        backbone: { name: "tinycnn.random", options: { inputSize: 8, channels: 3, widths: [4, 4], hidden: 4 } },
        optimizer: { name: "sgd" }, schedule: { name: "constant" }, augment: { train: [], eval: [] },
        metrics: ["accuracy"], training: { epochs: 1, batchSize: 4, lr: 0.1, weightDecay: 0 }, seed: 1,
      },
    })});\n`);
    const run = spawnSync(process.execPath, [XFER, "--config", join(dir, "xfer.config.json"), "run", join(dir, "recipe.ts"), "--out", join(dir, "runs"), "--backend", "wasm"], { cwd: dir, encoding: "utf8", timeout: 120_000 });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const missing = BIRDSNAP_FIXTURE.images.filter((image) => !image.got).length + extra;
    expect(run.stderr).toContain(`xfer: dataset birdsnap left out ${missing} sample(s):\n  ${birdsnapPath(1)}: images.txt line 3: image file download/images/${birdsnapPath(1)} not found\n`);
    expect(run.stderr.match(/^ {2}\S+: images\.txt line \d+: image file /gm)).toHaveLength(20);
    expect(run.stderr).toContain(`  ... and ${missing - 20} more (each run's result.json lists them all under "skipped")\n`);
    const runDir = join(dir, "runs", "birdsnap-lost");
    const [id] = (await readdir(runDir)).filter((e) => /^[0-9a-f]{64}$/.test(e));
    const result = JSON.parse(await readFile(join(runDir, id, "result.json"), "utf8"));
    expect(result.skipped).toHaveLength(missing);
    expect(result.skipped.at(-1)).toEqual({ id: "Blue_Jay/lost_21.jpg", reason: "images.txt line 33: image file download/images/Blue_Jay/lost_21.jpg not found" });
  }, 120_000);
});
