// Property tests of the seeded splitters. fast-check runs with a fixed seed (FC_SEED) so a failure
// replays exactly; the failing seed and path are also printed by fast-check itself.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DatasetIndex, Sample, SplitResult } from "../../core/contracts.ts";
import { groupDisjointHoldout, groupHoldout, kShotSplit, multilabelStratified, stratifiedHoldout } from "../../core/splits/index.ts";
import { countBy, indexWithClassSizes } from "./helpers.ts";

const FC_SEED = 20261122;
const runs = { seed: FC_SEED, numRuns: 60 };

const classSizes = fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 6 });
const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const valFraction = fc.double({ min: 0, max: 0.6, noNaN: true });
const testFraction = fc.double({ min: 0, max: 0.3, noNaN: true });

function expectPartition(index: DatasetIndex, split: SplitResult) {
  const all = [...split.train, ...split.val, ...(split.test ?? [])];
  expect(new Set(all).size).toBe(all.length);
  expect(new Set(all)).toEqual(new Set(index.samples.map((s) => s.id)));
  const order = new Map(index.samples.map((s, i) => [s.id, i]));
  for (const list of [split.train, split.val, split.test ?? []]) {
    const positions = list.map((id) => order.get(id)!);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  }
}

/** Per stratum: |count in split - fraction * stratum size| <= 1. */
function expectShares(index: DatasetIndex, ids: readonly string[], fraction: number, keyOf: (s: Sample) => string) {
  const sizes = countBy(index.samples.map(keyOf));
  const byId = new Map(index.samples.map((s) => [s.id, s]));
  const got = countBy(ids.map((id) => keyOf(byId.get(id)!)));
  for (const [key, n] of sizes) expect(Math.abs((got.get(key) ?? 0) - fraction * n)).toBeLessThanOrEqual(1 + 1e-9);
}

/** Changing the seed changes the split (for indexes big enough that a repeat is negligible). */
const distinctSeeds = fc.tuple(seed, seed).filter(([a, b]) => a !== b);

describe("stratified holdout", () => {
  it("partitions the index, keeps each class's share within one sample, is a pure function of the seed", () => {
    fc.assert(fc.property(classSizes, seed, valFraction, testFraction, (sizes, s, vf, tf) => {
      const index = indexWithClassSizes(sizes);
      const split = stratifiedHoldout(index, s, { valFraction: vf, testFraction: tf });
      expectPartition(index, split);
      const byClass = (x: Sample) => String(x.label);
      expectShares(index, split.val, vf, byClass);
      expectShares(index, split.test ?? [], tf, byClass);
      expect(split.test === undefined).toBe(tf === 0);
      expect(stratifiedHoldout(index, s, { valFraction: vf, testFraction: tf })).toEqual(split);
    }), runs);
  });

  it("changes with the seed", () => {
    const index = indexWithClassSizes([30, 25, 40]);
    fc.assert(fc.property(distinctSeeds, ([a, b]) => {
      expect(stratifiedHoldout(index, a).val).not.toEqual(stratifiedHoldout(index, b).val);
    }), runs);
  });

  it("keeps other classes' samples in place when a class is added", () => {
    const base = indexWithClassSizes([20, 15]);
    const extra: DatasetIndex = { samples: [...base.samples, ...Array.from({ length: 9 }, (_, i) => ({ id: `x${i}`, files: [], label: 2 }))] };
    const without = stratifiedHoldout(base, 5).val;
    expect(stratifiedHoldout(extra, 5).val.filter((id) => !id.startsWith("x"))).toEqual(without);
  });
});

describe("group holdout", () => {
  const groups = ["2018", "2019", "2020"];
  it("keeps each group's (and with byClass each group-class pair's) share within one sample", () => {
    fc.assert(fc.property(classSizes, seed, valFraction, fc.boolean(), (sizes, s, vf, byClass) => {
      const index = indexWithClassSizes(sizes, (p) => groups[(p * 7) % 3]);
      const split = groupHoldout(index, s, { valFraction: vf, byClass });
      expectPartition(index, split);
      expectShares(index, split.val, vf, (x) => x.group!);
      if (byClass) expectShares(index, split.val, vf, (x) => `${x.group}|${x.label}`);
      expect(groupHoldout(index, s, { valFraction: vf, byClass })).toEqual(split);
    }), runs);
  });
  it("changes with the seed and names a sample without a group", () => {
    const index = indexWithClassSizes([30, 30], (p) => groups[p % 3]);
    fc.assert(fc.property(distinctSeeds, ([a, b]) => {
      expect(groupHoldout(index, a).val).not.toEqual(groupHoldout(index, b).val);
    }), runs);
    expect(() => groupHoldout(indexWithClassSizes([3]), 1)).toThrow(/sample "s0".*needs a group/);
  });
});

describe("group-disjoint holdout", () => {
  // Groups of the given sizes, rows round-robin over the groups so that membership, not position, decides.
  const groupedIndex = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 25 }).map((groupSizes): DatasetIndex => {
    const samples: Sample[] = [];
    for (let k = 0; k < Math.max(...groupSizes); k++) {
      groupSizes.forEach((size, g) => {
        if (k < size) samples.push({ id: `g${g}-${k}`, files: [], label: k % 2, group: `patient-${g}` });
      });
    }
    return { samples };
  });

  it("keeps each group in one split, split sizes within half the largest group of the target", () => {
    fc.assert(fc.property(groupedIndex, seed, valFraction, testFraction, (index, s, vf, tf) => {
      const split = groupDisjointHoldout(index, s, { valFraction: vf, testFraction: tf });
      expectPartition(index, split);
      const groupOf = new Map(index.samples.map((x) => [x.id, x.group!]));
      const lists = [split.train, split.val, split.test ?? []];
      const groupsIn = lists.map((ids) => new Set(ids.map((id) => groupOf.get(id)!)));
      for (const g of groupsIn[1]) expect(groupsIn[0].has(g) || groupsIn[2].has(g)).toBe(false);
      for (const g of groupsIn[2]) expect(groupsIn[0].has(g)).toBe(false);
      const largest = Math.max(...countBy(index.samples.map((x) => x.group!)).values());
      const n = index.samples.length;
      expect(Math.abs(split.val.length - vf * n)).toBeLessThanOrEqual(largest / 2);
      if (split.train.length > 0) expect(Math.abs((split.test ?? []).length - tf * n)).toBeLessThanOrEqual(largest / 2);
      expect(groupDisjointHoldout(index, s, { valFraction: vf, testFraction: tf })).toEqual(split);
    }), runs);
  });

  it("changes with the seed", () => {
    const index = indexWithClassSizes([40, 40], (p) => `patient-${p % 20}`);
    fc.assert(fc.property(distinctSeeds, ([a, b]) => {
      expect(groupDisjointHoldout(index, a).val).not.toEqual(groupDisjointHoldout(index, b).val);
    }), runs);
  });
});

describe("iterative multilabel stratification", () => {
  const multilabelIndex = fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 7 }), { maxLength: 4 }), { minLength: 1, maxLength: 150 })
    .map((rows): DatasetIndex => ({ samples: rows.map((labels, i) => ({ id: `m${i}`, files: [], label: [...labels].sort((a, b) => a - b) })) }));

  it("partitions the index as a pure function of the seed, split sizes following the targets", () => {
    fc.assert(fc.property(multilabelIndex, seed, valFraction, testFraction, (index, s, vf, tf) => {
      const split = multilabelStratified(index, s, { valFraction: vf, testFraction: tf });
      expectPartition(index, split);
      // Sizes are not apportioned exactly (labels come first); this guards against drift: in
      // 300 random cases the worst deviation was half this bound.
      const bound = new Set(index.samples.flatMap((x) => x.label as number[])).size + 1;
      const n = index.samples.length;
      expect(Math.abs(split.val.length - vf * n)).toBeLessThanOrEqual(bound);
      expect(Math.abs((split.test ?? []).length - tf * n)).toBeLessThanOrEqual(bound);
      expect(multilabelStratified(index, s, { valFraction: vf, testFraction: tf })).toEqual(split);
    }), runs);
  });

  it("keeps every class's share within one sample on single-label rows", () => {
    fc.assert(fc.property(classSizes, seed, valFraction, testFraction, (sizes, s, vf, tf) => {
      const base = indexWithClassSizes(sizes);
      const index: DatasetIndex = { samples: base.samples.map((x) => ({ ...x, label: [x.label as number] })) };
      const split = multilabelStratified(index, s, { valFraction: vf, testFraction: tf });
      expectShares(index, split.val, vf, (x) => String(x.label));
      expectShares(index, split.test ?? [], tf, (x) => String(x.label));
    }), runs);
  });

  it("changes with the seed", () => {
    const index: DatasetIndex = { samples: Array.from({ length: 80 }, (_, i) => ({ id: `m${i}`, files: [], label: [i % 3, 3 + (i % 5)] })) };
    fc.assert(fc.property(distinctSeeds, ([a, b]) => {
      expect(multilabelStratified(index, a).val).not.toEqual(multilabelStratified(index, b).val);
    }), runs);
  });
});

describe("k-shot subsets", () => {
  it("have exactly k per class when available, nest across k, and share the stratified holdout's val", () => {
    fc.assert(fc.property(classSizes, seed, fc.integer({ min: 1, max: 20 }), (sizes, s, k) => {
      const index = indexWithClassSizes(sizes);
      const small = kShotSplit(index, s, { k });
      const large = kShotSplit(index, s, { k: k + 3 });
      const holdout = stratifiedHoldout(index, s);
      expect(small.val).toEqual(holdout.val);
      const labelOf = new Map(index.samples.map((x) => [x.id, x.label as number]));
      const pool = countBy(holdout.train.map((id) => labelOf.get(id)!));
      const got = countBy(small.train.map((id) => labelOf.get(id)!));
      for (const [label, available] of pool) expect(got.get(label) ?? 0).toBe(Math.min(k, available));
      expect(small.train.every((id) => large.train.includes(id))).toBe(true);
      expect(small.train.some((id) => small.val.includes(id))).toBe(false);
      expect(kShotSplit(index, s, { k })).toEqual(small);
    }), runs);
  });
  it("changes with the seed", () => {
    const index = indexWithClassSizes([30, 30, 30]);
    fc.assert(fc.property(distinctSeeds, ([a, b]) => {
      expect(kShotSplit(index, a, { k: 4, valFraction: 0 }).train).not.toEqual(kShotSplit(index, b, { k: 4, valFraction: 0 }).train);
    }), runs);
  });
});
