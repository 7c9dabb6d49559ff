/** dr2015 (Kaggle 2015 DR layout) and concat (APTOS 2019 + DR 2015) through their plugins, with their bad-input errors. */
import { readFile, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { classColor, expectedPixels } from "../../fixtures/generators/datasets.ts";
import { InputError, SeedTree, type DatasetContext, type DatasetMeta, type JsonObject } from "../../core/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { nodeDatasetContext } from "../../plugins/platform/node/index.ts";
import { copyFixture, FIXTURES, maxAbsDiff, open } from "./helpers.ts";

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function broken(edit: (root: string) => Promise<void>): Promise<string> {
  const root = await copyFixture("dr2015");
  roots.push(root);
  await edit(root);
  return root;
}

const edit = async (path: string, change: (text: string) => string) => writeFile(path, change(await readFile(path, "utf8")));

async function indexError(root: string, options: JsonObject = {}): Promise<string> {
  const { dataset, ctx } = await open("dr2015", "dr2015", options, root);
  const error = await dataset.index(ctx).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return (error as Error).message;
}

describe("dr2015", () => {
  it("reads trainLabels.csv and the solution's test images with Kaggle's Usage as splits, pixels as written", async () => {
    const { dataset, ctx } = await open("dr2015", "dr2015");
    const index = await dataset.index(ctx);
    const splits = index.predefinedSplits!;
    expect([splits.train.length, splits.test.length, splits["test-public"].length, splits["test-private"].length]).toEqual([15, 10, 5, 5]);
    expect(index.samples).toHaveLength(25);
    const rows = (await readFile(join(FIXTURES, "dr2015/trainLabels.csv"), "utf8")).trim().split("\n").slice(1).map((l) => l.split(","));
    expect(index.samples.slice(0, 15).map((s) => [s.id, String(s.label)])).toEqual(rows);
    const sample = index.samples[0];
    expect(sample.files).toEqual([`train/${sample.id}.jpeg`]);
    const image = await dataset.load(sample, ctx);
    expect(maxAbsDiff(image.data, expectedPixels("dr2015", sample.id, 32, 24, classColor(sample.label as number)))).toBeLessThan(24);
    expect((await dataset.index(ctx)).samples).toEqual(index.samples);
  });

  it("reads the training images alone without the solution file, or fails when it is required", async () => {
    const root = await broken((r) => unlink(join(r, "retinopathy_solution.csv")));
    const { dataset, ctx } = await open("dr2015", "dr2015", {}, root);
    expect(Object.keys((await dataset.index(ctx)).predefinedSplits!)).toEqual(["train"]);
    expect(await indexError(root, { testImages: "required" })).toMatch(/^retinopathy_solution\.csv: file not found; expected a CSV with columns image, level, Usage/);
  });

  it("names the file, line and field of bad rows", async () => {
    const level = await broken((r) => edit(join(r, "trainLabels.csv"), (t) => t.replace(/,\d\n/, ",5\n")));
    expect(await indexError(level)).toMatch(/^trainLabels\.csv line 2 column "level": label "5" is not a class index; expected an integer from 0 to 4/);
    const usage = await broken((r) => edit(join(r, "retinopathy_solution.csv"), (t) => t.replace("Public", "Hidden")));
    expect(await indexError(usage)).toMatch(/^retinopathy_solution\.csv line 2 column "Usage": Usage "Hidden"; expected Public or Private/);
    const column = await broken((r) => edit(join(r, "trainLabels.csv"), (t) => t.replace("level", "grade")));
    expect(await indexError(column)).toMatch(/^trainLabels\.csv: missing column "level"; expected columns image, level, found image, grade/);
    const twice = await broken((r) => edit(join(r, "retinopathy_solution.csv"), (t) => t.replace(/^(image,level,Usage\n)[^,]+/, "$110_left")));
    expect(await indexError(twice)).toMatch(/^retinopathy_solution\.csv line 2: duplicate id "10_left" \(first at trainLabels\.csv line 2\)/);
    const image = (await readFile(join(FIXTURES, "dr2015/trainLabels.csv"), "utf8")).split("\n")[3].split(",")[0];
    const missing = await broken((r) => unlink(join(r, "train", `${image}.jpeg`)));
    expect(await indexError(missing)).toMatch(new RegExp(`^trainLabels\\.csv line 4: image file train/${image}\\.jpeg not found; expected the image of sample "${image}"`));
  });
});

/** A host's contexts: each dataset at its own root, as the container gives them. */
function contexts(roots: Record<string, string>): (meta: DatasetMeta) => DatasetContext {
  const made = new Map<string, DatasetContext>();
  const contextOf = (meta: DatasetMeta): DatasetContext => {
    if (!made.has(meta.name)) made.set(meta.name, { ...nodeDatasetContext(roots[meta.name] ?? "/nonexistent"), contextOf });
    return made.get(meta.name)!;
  };
  return contextOf;
}

const concat = (options: JsonObject) => builtinRegistry().create("dataset", { name: "concat", options }, { seeds: new SeedTree(0) });

describe("concat", () => {
  const parts: JsonObject[] = [{ name: "aptos2019" }, { name: "dr2015", options: { testImages: "none" } }];
  const contextOf = contexts({ aptos2019: join(FIXTURES, "aptos2019"), dr2015: join(FIXTURES, "dr2015") });

  it("joins APTOS 2019 and DR 2015: ids <part>/<id>, each part's samples and splits as predefined splits, images from each root", async () => {
    const dataset = await concat({ parts });
    const ctx = contextOf(dataset.meta);
    const index = await dataset.index(ctx);
    expect(index.samples).toHaveLength(25 + 15);
    expect(index.classNames).toEqual(["No DR", "Mild", "Moderate", "Severe", "Proliferative DR"]);
    expect(Object.fromEntries(Object.entries(index.predefinedSplits!).map(([k, v]) => [k, v.length]))).toEqual({ aptos2019: 25, dr2015: 15, "dr2015/train": 15 });
    const dr = index.samples.find((s) => s.id.startsWith("dr2015/"))!;
    expect(dr.files).toEqual([`train/${dr.id.slice(7)}.jpeg`]);
    const [aptosImage, drImage] = await Promise.all([dataset.load(index.samples[0], ctx), dataset.load(dr, ctx)]);
    expect(maxAbsDiff(aptosImage.data, expectedPixels("aptos2019", index.samples[0].id.slice(10), 32, 24, classColor(index.samples[0].label as number)))).toBe(0);
    expect(maxAbsDiff(drImage.data, expectedPixels("dr2015", dr.id.slice(7), 32, 24, classColor(dr.label as number)))).toBeLessThan(24);
  });

  it("refuses parts whose classes differ, naming both, and repeated prefixes, unknown datasets, hosts without contexts", async () => {
    const species = { name: "csv", options: { csv: "labels.csv", idColumn: "sample", labelColumn: "species", pathColumn: "path", imageDir: "images", task: "ordinal" } };
    const mixed = await concat({ parts: [{ name: "aptos2019" }, species] });
    const withCsv = contexts({ aptos2019: join(FIXTURES, "aptos2019"), csv: join(FIXTURES, "csv") });
    await expect(mixed.index(withCsv(mixed.meta))).rejects.toThrow(/^dataset "concat": part "csv" \(dataset "csv"\) has classes \w+, \w+, \w+; part "aptos2019" \(dataset "aptos2019"\) has No DR, Mild, Moderate, Severe, Proliferative DR; expected the same classes in the same order/);
    await expect(concat({ parts: [{ name: "aptos2019" }, { name: "cassava" }] })).rejects.toThrow(/part "cassava" \(dataset "cassava"\) is a multiclass task, part "aptos2019" \(dataset "aptos2019"\) ordinal; expected one task/);
    await expect(concat({ parts: [{ name: "dr2015" }, { name: "dr2015" }] })).rejects.toThrow(/option parts\.1: prefix "dr2015" is taken by an earlier part; expected distinct prefixes/);
    await expect(concat({ parts: [{ name: "aptos2019" }, { name: "retina" }] })).rejects.toThrow(/option parts\.1\.name: no dataset "retina"; expected one of aptos2019, /);
    const dataset = await concat({ parts });
    await expect(dataset.index(nodeDatasetContext(FIXTURES))).rejects.toThrow(/reads each part at its own root/);
  });
});
