/** imagenet-val in both layouts on its fixture, and the errors of broken copies. */
import { appendFile, mkdir, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../core/index.ts";
import { IMAGENET_VAL_FIXTURE } from "../../fixtures/generators/dataset-fixtures/fid.ts";
import { classColor, expectedPixels } from "../../fixtures/generators/datasets.ts";
import { GROUND_TRUTH, META } from "../../plugins/datasets/imagenet-val/index.ts";
import { copyFixture, meanAbsDiff, open } from "./helpers.ts";

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function broken(edit: (root: string) => Promise<void>): Promise<string> {
  const root = await copyFixture("imagenet-val");
  roots.push(root);
  await edit(root);
  return root;
}

async function indexError(root: string, options = {}): Promise<string> {
  const { dataset, ctx } = await open("imagenet-val", "imagenet-val", { allowEmptyClasses: true, ...options }, root);
  const error = await dataset.index(ctx).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return (error as InputError).message;
}

describe("imagenet-val", () => {
  it("reads the distributed layout: image k labelled by line k of the devkit's ground truth (ILSVRC2012_ID - 1)", async () => {
    const { dataset, ctx } = await open("imagenet-val", "imagenet-val", { allowEmptyClasses: true });
    const index = await dataset.index(ctx);
    const { groundTruth } = IMAGENET_VAL_FIXTURE;
    expect(index.samples.map((s) => s.id)).toEqual(groundTruth.map((_, i) => `ILSVRC2012_val_0000000${i + 1}`));
    expect(index.samples.map((s) => s.label)).toEqual(groundTruth.map((id) => id - 1));
    // classes: the WNIDs of meta.mat's synsets, by ILSVRC2012_ID (its inner nodes left out)
    expect(index.classNames).toHaveLength(1000);
    expect(index.classNames!.slice(0, 3)).toEqual(IMAGENET_VAL_FIXTURE.wnids);
    expect(index.classNames![999]).toBe(IMAGENET_VAL_FIXTURE.madeUpWnid(1000));
    const image = await dataset.load(index.samples[2], ctx);
    expect([image.width, image.height, image.channels]).toEqual([28, 16, 3]);
    // JPEG at quality 92: close to the pixels written, not equal
    expect(meanAbsDiff(image.data, expectedPixels("imagenet-val", "ILSVRC2012_val_00000003", 28, 16, classColor(2)))).toBeLessThan(3);
  });

  it("names the classes by ILSVRC2012_ID when the devkit has no meta.mat", async () => {
    const root = await broken((r) => unlink(join(r, META)));
    const { dataset, ctx } = await open("imagenet-val", "imagenet-val", { allowEmptyClasses: true }, root);
    const index = await dataset.index(ctx);
    expect(index.classNames).toEqual(Array.from({ length: 1000 }, (_, k) => String(k + 1)));
    expect(index.samples.map((s) => s.label)).toEqual(IMAGENET_VAL_FIXTURE.groundTruth.map((id) => id - 1));
  });

  it("reads the class-folder layout val/<wnid>/<file>.JPEG (chosen by auto when there is no ground truth)", async () => {
    const root = await broken((r) => rm(join(r, "ILSVRC2012_devkit_t12"), { recursive: true }));
    for (const options of [{ layout: "folders" }, { layout: "auto" }]) {
      const { dataset, ctx } = await open("imagenet-val", "imagenet-val", options, root);
      const index = await dataset.index(ctx);
      expect(index.classNames).toEqual(Object.keys(IMAGENET_VAL_FIXTURE.folders));
      expect(index.samples.map((s) => [s.id, s.label])).toEqual(Object.entries(IMAGENET_VAL_FIXTURE.folders).flatMap(([wnid, files], k) => files.map((f) => [`${wnid}/${f}`, k])));
    }
  });

  it("needs allowEmptyClasses for a subset of the 1000 classes, and says so", async () => {
    const { dataset, ctx } = await open("imagenet-val", "imagenet-val");
    await expect(dataset.index(ctx)).rejects.toThrow(/class 3 \(n90000003\), 4 \(n90000004\).*has no samples.*allowEmptyClasses/);
  });

  it("names the problem of a broken copy", async () => {
    const noLayout = await broken(async (r) => {
      await rm(join(r, "ILSVRC2012_devkit_t12"), { recursive: true });
      await rm(join(r, "val"), { recursive: true });
    });
    expect(await indexError(noLayout)).toMatch(/neither ILSVRC2012_devkit_t12\/data\/ILSVRC2012_validation_ground_truth\.txt .* nor a class-folder directory "val"/);
    expect(await indexError(noLayout, { layout: "distributed" })).toMatch(/ILSVRC2012_validation_ground_truth\.txt: ground-truth file not found; expected the devkit's/);

    const badLine = await broken((r) => writeFile(join(r, GROUND_TRUTH), "2\n1\n1001\n1\n3\n2\n"));
    expect(await indexError(badLine)).toMatch(/ground_truth\.txt line 3: "1001" is not an ILSVRC2012_ID; expected an integer from 1 to 1000/);

    const missing = await broken((r) => unlink(join(r, "ILSVRC2012_val_00000004.JPEG")));
    expect(await indexError(missing)).toMatch(/5 ILSVRC2012_val_\*\.JPEG file\(s\) but 6 ground-truth labels/);
    const { dataset, ctx } = await open("imagenet-val", "imagenet-val", { allowEmptyClasses: true, skipMissing: true }, missing);
    const index = await dataset.index(ctx);
    expect(index.samples).toHaveLength(5);
    expect(index.skipped).toEqual([{ id: "ILSVRC2012_val_00000004", reason: expect.stringMatching(/line 4: image file ILSVRC2012_val_00000004\.JPEG not found/) }]);

    const extra = await broken((r) => rename(join(r, "ILSVRC2012_val_00000006.JPEG"), join(r, "ILSVRC2012_val_00000007.JPEG")));
    expect(await indexError(extra)).toMatch(/ILSVRC2012_val_00000007\.JPEG: image number 7 has no line in .*ground_truth\.txt \(6 lines\)/);

    const stray = await broken((r) => writeFile(join(r, "photo.jpg"), "x"));
    expect(await indexError(stray)).toMatch(/photo\.jpg: unknown file name; expected ILSVRC2012_val_<8 digits>\.JPEG/);

    const shortTruth = await broken((r) => appendFile(join(r, GROUND_TRUTH), "1\n"));
    expect(await indexError(shortTruth)).toMatch(/6 ILSVRC2012_val_\*\.JPEG file\(s\) but 7 ground-truth labels/);

    const badMeta = await broken(async (r) => writeFile(join(r, META), (await readFile(join(r, META))).subarray(0, 300)));
    expect(await indexError(badMeta)).toMatch(/data\/meta\.mat element at byte 128: miCOMPRESSED declares \d+ bytes .* \(truncated or corrupt file\)/);

    const notWnid = await broken((r) => mkdir(join(r, "val", "fish")).then(() => writeFile(join(r, "val", "fish", "a.JPEG"), "x")));
    expect(await indexError(notWnid, { layout: "folders" })).toMatch(/val\/fish: unknown class folder "fish"; expected WNID folders/);
  });
});
