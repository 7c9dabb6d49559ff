/**
 * The HPA plugin on the reference code's split file (../shared/reference/hpa-split.stratified.small.0.csv)
 * in the RGBY layout the reference read (`rgby/train/<Id>.png`, labels from the split file). The
 * image directory is simulated by a listing; no pixels are read.
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { DataIO } from "../../core/contracts.ts";
import { SeedTree } from "../../core/rng.ts";
import { REFERENCE_SPLITS } from "../../core/splits/index.ts";
import { HPA_CLASSES, hpa, readHpaSplitFile } from "../../plugins/datasets/index.ts";
import { NodeIO, SharpDecoder } from "../../plugins/platform/node/index.ts";
import { predefinedSplitter } from "../../plugins/splitters/index.ts";

const SPLIT_FILE = fileURLToPath(new URL("../../../shared/reference/hpa-split.stratified.small.0.csv", import.meta.url));

/** A dataset root holding only `rgby/train/<Id>.png` for the given ids. */
async function rgbyRoot(ids: readonly string[]): Promise<DataIO> {
  // The split file lies outside this root: allowed explicitly, as config allowedDataDirs would.
  const real = new NodeIO("/nonexistent-hpa-root", { allowedDirs: [dirname(SPLIT_FILE)] });
  const names = new Set(ids.map((id) => `${id}.png`));
  return {
    readText: (path) => real.readText(path),
    readBytes: (path) => real.readBytes(path),
    exists: async (path) => path === SPLIT_FILE || path === "rgby/train" || (path.startsWith("rgby/train/") && names.has(path.slice(11))),
    list: async (path) => (path === "rgby/train" ? [...names].sort() : []),
    isDirectory: async (path) => path === "rgby/train" || path === "rgby",
    join: (...parts) => real.join(...parts),
  };
}

describe("hpa plugin on the reference split file", () => {
  it("indexes 31,072 samples with 28 classes and the 22,582 / 5,664 / 2,826 split", async () => {
    const file = await readHpaSplitFile(new NodeIO("/"), SPLIT_FILE);
    const ids = file.rows.map((r) => r.id);
    const dataset = await hpa.create({ splitFile: SPLIT_FILE }, { seeds: new SeedTree(0) });
    const ctx = { io: await rgbyRoot(ids), decoder: new SharpDecoder() };
    const index = await dataset.index(ctx);
    expect(index.samples).toHaveLength(31_072);
    expect(index.samples.map((s) => s.id)).toEqual(ids);
    expect(index.samples[0].files).toEqual([`rgby/train/${ids[0]}.png`]);
    const splits = index.predefinedSplits!;
    expect(Object.fromEntries(Object.entries(splits).map(([k, v]) => [k, v.length]))).toEqual({ val: 5664, train: 22_582, test_val: 2826 });
    expect(new Set(Object.values(splits).flat()).size).toBe(31_072);
    // Label counts of the Kaggle training set (Nucleoplasm 12,885 ... Rods & rings 11).
    const counts = new Array<number>(HPA_CLASSES.length).fill(0);
    for (const sample of index.samples) for (const k of sample.label as number[]) counts[k]++;
    expect([counts[0], counts[25], counts[15], counts[27]]).toEqual([12_885, 8228, 21, 11]);
    expect(counts.every((c) => c > 0)).toBe(true);

    // Through the predefined splitter with the reference mapping: the same sizes, in file order.
    const ref = REFERENCE_SPLITS.hpa;
    const split = (await predefinedSplitter.create(ref.options, { seeds: new SeedTree(ref.seed) })).split(index, ref.seed);
    expect([split.train.length, split.val.length, split.test?.length]).toEqual([22_582, 5664, 2826]);
  });

  it("reports missing images under skipMissing and leaves them out of the splits", async () => {
    const file = await readHpaSplitFile(new NodeIO("/"), SPLIT_FILE);
    const ids = file.rows.map((r) => r.id);
    const dataset = await hpa.create({ splitFile: SPLIT_FILE, skipMissing: true }, { seeds: new SeedTree(0) });
    const index = await dataset.index({ io: await rgbyRoot(ids.slice(3)), decoder: new SharpDecoder() });
    expect(index.skipped!.map((s) => s.id)).toEqual(ids.slice(0, 3));
    expect(Object.values(index.predefinedSplits!).flat()).toHaveLength(31_069);
  });
});
