/** Broken copies of the fixtures: every error names the file (and row) and what was expected. */
import { readFile, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../core/index.ts";
import { EUROSAT_K } from "../../fixtures/generators/datasets.ts";
import { copyFixture, open } from "./helpers.ts";

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function broken(fixture: string, edit: (root: string) => Promise<void>): Promise<string> {
  const root = await copyFixture(fixture);
  roots.push(root);
  await edit(root);
  return root;
}

async function editText(path: string, change: (text: string) => string): Promise<void> {
  await writeFile(path, change(await readFile(path, "utf8")));
}

/** Replaces data line `n` (1-based after the header) of a CSV. */
function editLine(text: string, n: number, change: (line: string) => string): string {
  const lines = text.split("\n");
  lines[n] = change(lines[n]);
  return lines.join("\n");
}

async function indexError(fixture: string, plugin: string, root: string, options = {}): Promise<InputError> {
  const { dataset, ctx } = await open(fixture, plugin, options, root);
  const error = await dataset.index(ctx).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe("bad input", () => {
  it("a missing image names the CSV line and the file; skipMissing reports it instead", async () => {
    const text = await readFile(join(import.meta.dirname, "../../fixtures/datasets/aptos2019/train.csv"), "utf8");
    const id = text.split("\n")[3].split(",")[0];
    const root = await broken("aptos2019", (r) => unlink(join(r, "train_images", `${id}.png`)));
    const error = await indexError("aptos2019", "aptos2019", root);
    expect(error.message).toContain("train.csv line 4");
    expect(error.message).toContain(`train_images/${id}.png not found`);
    const { dataset, ctx } = await open("aptos2019", "aptos2019", { skipMissing: true }, root);
    const index = await dataset.index(ctx);
    expect(index.samples).toHaveLength(24);
    expect(index.skipped).toEqual([{ id, reason: `train.csv line 4: image file train_images/${id}.png not found` }]);
  });

  it("a corrupt image fails on load, naming the file", async () => {
    const text = await readFile(join(import.meta.dirname, "../../fixtures/datasets/cassava/train.csv"), "utf8");
    const id = text.split("\n")[1].split(",")[0];
    const root = await broken("cassava", (r) => writeFile(join(r, "train_images", id), "not a jpeg"));
    const { dataset, ctx } = await open("cassava", "cassava", {}, root);
    const index = await dataset.index(ctx);
    await expect(dataset.load(index.samples[0], ctx)).rejects.toThrow(new RegExp(`^train_images/${id.replace(".", "\\.")}: cannot decode image`));
  });

  it("a missing or misnamed CSV column lists what was expected and found", async () => {
    const root = await broken("aptos2019", (r) => editText(join(r, "train.csv"), (t) => t.replace("diagnosis", "diagnosys")));
    const error = await indexError("aptos2019", "aptos2019", root);
    expect(error.message).toBe('train.csv: missing column "diagnosis"; expected columns id_code, diagnosis, found id_code, diagnosys');
    const noCsv = await broken("aptos2019", (r) => unlink(join(r, "train.csv")));
    expect((await indexError("aptos2019", "aptos2019", noCsv)).message).toMatch(/^train\.csv: file not found; expected a CSV with columns id_code, diagnosis/);
  });

  it("a label outside the class range names the line, column and range", async () => {
    const root = await broken("aptos2019", (r) => editText(join(r, "train.csv"), (t) => editLine(t, 2, (l) => l.replace(/,\d$/, ",7"))));
    const error = await indexError("aptos2019", "aptos2019", root);
    expect(error.message).toBe('train.csv line 3 column "diagnosis": label "7" is not a class index; expected an integer from 0 to 4');
    const melanoma = await broken("melanoma", (r) => editText(join(r, "melanoma-2019/train.csv"), (t) => editLine(t, 1, (l) => l.replace(/,(\d|-1),24,24$/, ",x,24,24"))));
    expect((await indexError("melanoma", "melanoma", melanoma)).message).toMatch(/^melanoma-2019\/train\.csv line 2 column "tfrecord": "x" is not an integer/);
  });

  it("an empty class is an error unless allowEmptyClasses is set", async () => {
    const root = await broken("aptos2019", (r) => editText(join(r, "train.csv"), (t) => t.split("\n").filter((l) => !l.endsWith(",4")).join("\n")));
    const error = await indexError("aptos2019", "aptos2019", root, { skipMissing: false });
    expect(error.message).toBe("train.csv: class 4 (Proliferative DR) has no samples; expected every class to occur (set allowEmptyClasses to accept a subset)");
    const { dataset, ctx } = await open("aptos2019", "aptos2019", { allowEmptyClasses: true }, root);
    expect((await dataset.index(ctx)).samples).toHaveLength(20);
    const folder = await broken("eurosat", async (r) => {
      for (const k of EUROSAT_K) await unlink(join(r, "2750/River", `River_${k}.jpg`));
    });
    expect((await indexError("eurosat", "eurosat", folder)).message).toMatch(/^2750\/River: class "River" has no image files/);
  });

  it("a duplicate id names both lines", async () => {
    const root = await broken("aptos2019", (r) => editText(join(r, "train.csv"), (t) => {
      const lines = t.split("\n");
      lines[5] = lines[2];
      return lines.join("\n");
    }));
    const error = await indexError("aptos2019", "aptos2019", root);
    expect(error.message).toMatch(/^train\.csv line 6: duplicate id "[0-9a-f]{12}" \(first at train\.csv line 3\); expected each id once$/);
  });

  it("an annotation pointing at an image that is not listed, or not on disk, names the annotation", async () => {
    const file = "eccv_18_annotation_files/cis_test_annotations.json";
    const unlisted = await broken("cct20", (r) => editText(join(r, file), (t) => {
      const json = JSON.parse(t);
      json.annotations[1].image_id = "no-such-image";
      return JSON.stringify(json);
    }));
    expect((await indexError("cct20", "cct20", unlisted)).message).toBe(`${file} annotations[1]: image_id "no-such-image" is not in this file's images; expected an annotation of a listed image`);
    const json = JSON.parse(await readFile(join(import.meta.dirname, "../../fixtures/datasets/cct20", file), "utf8"));
    const gone = await broken("cct20", (r) => unlink(join(r, "eccv_18_all_images_sm", `${json.annotations[2].image_id}.jpg`)));
    expect((await indexError("cct20", "cct20", gone)).message).toContain(`${file} annotations[2]: image file eccv_18_all_images_sm/${json.annotations[2].image_id}.jpg not found`);
    const badCategory = await broken("cct20", (r) => editText(join(r, file), (t) => {
      const doc = JSON.parse(t);
      doc.annotations[0].category_id = 2;
      return JSON.stringify(doc);
    }));
    expect((await indexError("cct20", "cct20", badCategory)).message).toMatch(/annotations\[0\]: category_id 2; expected one of 1, 3, 5/);
  });

  it("malformed JSON, IDX and CIFAR files name the file and the expected format", async () => {
    const json = await broken("cct20", (r) => writeFile(join(r, "eccv_18_annotation_files/train_annotations.json"), "{"));
    expect((await indexError("cct20", "cct20", json)).message).toMatch(/^eccv_18_annotation_files\/train_annotations\.json: not valid JSON/);
    const idx = await broken("fashion-mnist", (r) => writeFile(join(r, "t10k-labels-idx1-ubyte.gz"), gzipSync(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 0]))));
    expect((await indexError("fashion-mnist", "fashion-mnist", idx)).message).toBe("t10k-labels-idx1-ubyte.gz: magic number 2051; expected 2049 (IDX, unsigned bytes, 1 dimension)");
    const cifar = await broken("cifar10", async (r) => {
      const path = join(r, "cifar-10-batches-bin/data_batch_2.bin");
      const bytes = await readFile(path);
      bytes[3073] = 12;
      await writeFile(path, bytes);
    });
    expect((await indexError("cifar10", "cifar10", cifar)).message).toBe("cifar-10-batches-bin/data_batch_2.bin record 1: label 12; expected 0 to 9");
  });

  it("an HPA split file listing an unknown id or other labels names its line", async () => {
    const unknown = await broken("hpa", (r) => editText(join(r, "split.stratified.small.0.csv"), (t) => editLine(t, 3, (l) => `0000${l.slice(4)}`)));
    expect((await indexError("hpa", "hpa", unknown)).message).toMatch(/^split\.stratified\.small\.0\.csv line 4: Id "0000[^"]+" is not in train\.csv/);
    const relabelled = await broken("hpa", (r) => editText(join(r, "split.stratified.small.0.csv"), (t) => editLine(t, 1, (l) => l.replace(/,[\d ]+,/, ",27,"))));
    expect((await indexError("hpa", "hpa", relabelled)).message).toMatch(/^split\.stratified\.small\.0\.csv line 2: Target "27" differs from train\.csv line 2/);
    const badTarget = await broken("hpa", (r) => editText(join(r, "train.csv"), (t) => editLine(t, 1, (l) => l.replace(/,[\d ]+$/, ",3 28"))));
    expect((await indexError("hpa", "hpa", badTarget)).message).toBe('train.csv line 2 column "Target": target "3 28": "28" is not a class index; expected space-separated integers from 0 to 27');
  });

  it("one dataset instance reads each root's own files (no cross-root memo)", async () => {
    const root = await broken("cifar10", async (r) => {
      const path = join(r, "cifar-10-batches-bin/test_batch.bin");
      const bytes = await readFile(path);
      bytes.fill(7, 1, 3073);
      await writeFile(path, bytes);
    });
    const { dataset, ctx } = await open("cifar10", "cifar10");
    const other = (await open("cifar10", "cifar10", {}, root)).ctx;
    const sample = (await dataset.index(ctx)).samples.find((s) => s.id === "test_batch/0")!;
    const original = await dataset.load(sample, ctx);
    const changed = await dataset.load({ ...sample, files: ["cifar-10-batches-bin/test_batch.bin"] }, other);
    expect(changed.data.every((v) => v === 7)).toBe(true);
    expect(original.data.every((v) => v === 7)).toBe(false);
  });

  it("unknown plugin options are rejected, naming the plugin and option", async () => {
    await expect(open("aptos2019", "aptos2019", { chanelOrder: "bgr" })).rejects.toThrow(/dataset plugin "aptos2019"/);
  });
});
