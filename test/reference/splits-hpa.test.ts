// The HPA split file of the reference code (../shared/reference/hpa-split.stratified.small.0.csv)
// through the `predefined` splitter with HPA's reference mapping, and iterative multilabel
// stratification on HPA's real label sets.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { DatasetIndex, Sample } from "../../core/contracts.ts";
import { REFERENCE_SPLITS, multilabelStratified } from "../../core/splits/index.ts";
import { predefinedSplitter } from "../../plugins/splitters/index.ts";
import { SeedTree } from "../../core/rng.ts";

const rows = readFileSync(new URL("../../../shared/reference/hpa-split.stratified.small.0.csv", import.meta.url), "utf8")
  .trim().split("\n").slice(1).map((line) => line.split(","));
const samples: Sample[] = rows.map(([id, target]) => ({ id, files: [], label: target.split(" ").map(Number).sort((a, b) => a - b) }));
const predefinedSplits: Record<string, string[]> = {};
for (const [id, , split] of rows) (predefinedSplits[split] ??= []).push(id);
const index: DatasetIndex = { samples, predefinedSplits };

describe("HPA", () => {
  it("the reference mapping gives 22,582 train / 5,664 val / 2,826 test_val in file order", async () => {
    const ref = REFERENCE_SPLITS.hpa;
    const splitter = await predefinedSplitter.create(ref.options, { seeds: new SeedTree(ref.seed) });
    const split = splitter.split(index, ref.seed);
    expect([split.train.length, split.val.length, split.test?.length]).toEqual([22582, 5664, 2826]);
    const order = new Map(rows.map(([id], i) => [id, i]));
    const positions = split.val.map((id) => order.get(id)!);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it("iterative stratification keeps every label's val share within one sample on HPA's label sets", () => {
    const split = multilabelStratified(index, 0, { valFraction: 0.2 });
    const val = new Set(split.val);
    for (let label = 0; label < 28; label++) {
      const carriers = samples.filter((s) => (s.label as number[]).includes(label));
      const inVal = carriers.filter((s) => val.has(s.id)).length;
      // Not guaranteed for co-occurring labels, but it holds on HPA (a random draw misses by tens).
      expect(Math.abs(inVal - 0.2 * carriers.length)).toBeLessThanOrEqual(1);
    }
    // The size follows the labels: within the number of labels of 20% (21.6 off at seed 0).
    expect(Math.abs(split.val.length - 0.2 * samples.length)).toBeLessThanOrEqual(28);
  });
});
