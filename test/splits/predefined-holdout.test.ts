// Properties of the predefined-holdout splitter (val carved from the predefined train split, the
// predefined test split kept). fast-check runs with a fixed seed so a failure replays exactly.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DatasetIndex } from "../../core/contracts.ts";
import { SeedTree } from "../../core/rng.ts";
import { predefinedHoldout, stratumHoldout } from "../../core/splits/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { countBy, indexWithClassSizes } from "./helpers.ts";

const FC_SEED = 20261122;
const runs = { seed: FC_SEED, numRuns: 60 };

const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const valFraction = fc.double({ min: 0.05, max: 0.6, noNaN: true });
/** Class sizes plus which samples the distribution puts in its test split. */
const indexArb = fc
  .array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 5 })
  .chain((sizes) => {
    const n = sizes.reduce((a, b) => a + b, 0);
    return fc.tuple(fc.constant(sizes), fc.array(fc.boolean(), { minLength: n, maxLength: n }));
  })
  .filter(([, inTest]) => inTest.includes(true) && inTest.includes(false))
  .map(([sizes, inTest]): DatasetIndex => {
    const { samples } = indexWithClassSizes(sizes);
    return {
      samples,
      predefinedSplits: {
        train: samples.filter((_, i) => !inTest[i]).map((s) => s.id),
        // Reversed, to see that the test split keeps the distribution's order.
        test: samples.filter((_, i) => inTest[i]).map((s) => s.id).reverse(),
      },
    };
  });

/** An index whose every class has at least two pool samples, with val and train counts that fit the smallest class. */
const countsArb = indexArb
  .map((index) => {
    const labelOf = new Map(index.samples.map((x) => [x.id, x.label as number]));
    return { index, smallest: Math.min(...countBy(index.predefinedSplits!.train.map((id) => labelOf.get(id)!)).values()) };
  })
  .filter(({ smallest }) => smallest >= 2)
  .chain(({ index, smallest }) => fc.integer({ min: 1, max: smallest - 1 }).chain((valPerClass) =>
    fc.integer({ min: 1, max: smallest - valPerClass }).chain((k) => fc.record({
      index: fc.constant(index), valPerClass: fc.constant(valPerClass), k: fc.constant(k), smallerK: fc.integer({ min: 1, max: k }),
      testPerClass: fc.integer({ min: 1, max: 12 }), smallerTest: fc.integer({ min: 1, max: 12 }),
    }))));

/** Class label of every id, and the per-class counts of a list. */
function classCounts(index: DatasetIndex, ids: readonly string[]): Map<number, number> {
  const labelOf = new Map(index.samples.map((x) => [x.id, x.label as number]));
  return countBy(ids.map((id) => labelOf.get(id)!));
}

const isSubsequence = (inner: readonly string[], outer: readonly string[]) => {
  let i = 0;
  for (const id of outer) if (id === inner[i]) i++;
  return i === inner.length;
};

describe("predefined-holdout", () => {
  it("splits the predefined train pool into train and val, keeps test, holds each class's share within one sample", () => {
    fc.assert(fc.property(indexArb, seed, valFraction, (index, s, vf) => {
      const split = predefinedHoldout(index, s, { train: "train", test: "test", valFraction: vf });
      const pool = index.predefinedSplits!.train;
      expect(split.test).toEqual(index.predefinedSplits!.test);
      expect(new Set([...split.train, ...split.val]).size).toBe(split.train.length + split.val.length);
      expect(new Set([...split.train, ...split.val])).toEqual(new Set(pool));
      const labelOf = new Map(index.samples.map((x) => [x.id, x.label as number]));
      const sizes = countBy(pool.map((id) => labelOf.get(id)!));
      const got = countBy(split.val.map((id) => labelOf.get(id)!));
      for (const [label, n] of sizes) expect(Math.abs((got.get(label) ?? 0) - vf * n)).toBeLessThanOrEqual(1 + 1e-9);
      expect(predefinedHoldout(index, s, { train: "train", test: "test", valFraction: vf })).toEqual(split);
    }), runs);
  });

  it("without per-class counts, is the stratified holdout of the pool (the splits runs already made are unchanged)", () => {
    fc.assert(fc.property(indexArb, seed, valFraction, (index, s, vf) => {
      const pool = new Set(index.predefinedSplits!.train);
      const poolIndex = { samples: index.samples.filter((x) => pool.has(x.id)) };
      const expected = stratumHoldout(poolIndex, s, "predefined-holdout", (x) => String(x.label), { valFraction: vf });
      expect(predefinedHoldout(index, s, { train: "train", valFraction: vf })).toEqual(expected);
    }), runs);
  });

  it("per-class counts: val and k-shot train of exact sizes, test capped per class, disjoint, in order, deterministic", () => {
    fc.assert(fc.property(countsArb, seed, ({ index, valPerClass, k, testPerClass }, s) => {
      const options = { train: "train", test: "test", valPerClass, trainPerClass: k, testPerClass };
      const split = predefinedHoldout(index, s, options);
      const { train: pool, test: fullTest } = index.predefinedSplits!;
      const poolSizes = classCounts(index, pool);
      expect(classCounts(index, split.val)).toEqual(new Map([...poolSizes.keys()].map((c) => [c, valPerClass])));
      expect(classCounts(index, split.train)).toEqual(new Map([...poolSizes.keys()].map((c) => [c, k])));
      const testSizes = classCounts(index, fullTest);
      expect(classCounts(index, split.test!)).toEqual(new Map([...testSizes].map(([c, n]) => [c, Math.min(n, testPerClass)])));
      expect(new Set([...split.train, ...split.val]).size).toBe(split.train.length + split.val.length);
      expect(isSubsequence(split.train, pool) && isSubsequence(split.val, pool) && isSubsequence(split.test!, fullTest)).toBe(true);
      expect(predefinedHoldout(index, s, options)).toEqual(split);
    }), runs);
  });

  it("nests: a smaller k's train set is in a larger k's, val is that of the full-data split, a smaller test cap's set is in a larger one's", () => {
    fc.assert(fc.property(countsArb, seed, ({ index, valPerClass, k, smallerK, testPerClass, smallerTest }, s) => {
      const base = { train: "train", test: "test", valPerClass };
      const full = predefinedHoldout(index, s, base);
      const large = predefinedHoldout(index, s, { ...base, trainPerClass: k, testPerClass: Math.max(testPerClass, smallerTest) });
      const small = predefinedHoldout(index, s, { ...base, trainPerClass: smallerK, testPerClass: Math.min(testPerClass, smallerTest) });
      expect(large.val).toEqual(full.val);
      expect(small.val).toEqual(full.val);
      expect(isSubsequence(small.train, large.train) && isSubsequence(large.train, full.train)).toBe(true);
      expect(isSubsequence(small.test!, large.test!)).toBe(true);
      expect(full.test).toEqual(index.predefinedSplits!.test);
    }), runs);
  });

  it("k-shot train subsets under a valFraction keep that fraction's val", () => {
    const { samples } = indexWithClassSizes([30, 25, 40]);
    const index: DatasetIndex = { samples, predefinedSplits: { train: samples.map((x) => x.id) } };
    const full = predefinedHoldout(index, 7, { train: "train", valFraction: 0.2 });
    const fewShot = predefinedHoldout(index, 7, { train: "train", valFraction: 0.2, trainPerClass: 5 });
    expect(fewShot.val).toEqual(full.val);
    expect(classCounts(index, fewShot.train)).toEqual(new Map([[0, 5], [1, 5], [2, 5]]));
    expect(isSubsequence(fewShot.train, full.train)).toBe(true);
  });

  it("names a class too small for its val and train counts, and a val given both ways or not at all", () => {
    const { samples } = indexWithClassSizes([10, 6]);
    const index: DatasetIndex = { samples, predefinedSplits: { train: samples.map((x) => x.id) } };
    expect(() => predefinedHoldout(index, 0, { train: "train", valPerClass: 2, trainPerClass: 5 }))
      .toThrow("predefined-holdout splitter: class 1 has 6 samples in the train pool; expected at least 7 (2 val + 5 train)");
    expect(() => predefinedHoldout(index, 0, { train: "train", valFraction: 0.5, trainPerClass: 4 }))
      .toThrow("class 1 has 6 samples in the train pool; expected at least 7 (3 val + 4 train)");
    expect(() => predefinedHoldout(index, 0, { train: "train", valFraction: 0.1, valPerClass: 2 })).toThrow("both valFraction and valPerClass given; expected exactly one of them");
    expect(() => predefinedHoldout(index, 0, { train: "train" })).toThrow("neither valFraction nor valPerClass given");
    expect(() => predefinedHoldout(index, 0, { train: "train", valPerClass: 1.5 })).toThrow("valPerClass 1.5; expected a positive integer");
    expect(() => predefinedHoldout(index, 0, { train: "train", valPerClass: 1, testPerClass: 3 })).toThrow("testPerClass given without a test split");
  });

  it("changes with the seed and leaves test out when none is named", () => {
    const { samples } = indexWithClassSizes([30, 25, 40]);
    const index: DatasetIndex = { samples, predefinedSplits: { train: samples.slice(10).map((x) => x.id), test: samples.slice(0, 10).map((x) => x.id) } };
    fc.assert(fc.property(fc.tuple(seed, seed).filter(([a, b]) => a !== b), ([a, b]) => {
      expect(predefinedHoldout(index, a, { train: "train", valFraction: 0.2 }).val)
        .not.toEqual(predefinedHoldout(index, b, { train: "train", valFraction: 0.2 }).val);
    }), runs);
    expect(predefinedHoldout(index, 0, { train: "train", valFraction: 0.2 }).test).toBeUndefined();
  });

  it("names a missing split and a sample in both train and test", () => {
    const { samples } = indexWithClassSizes([4, 4]);
    const ids = samples.map((x) => x.id);
    expect(() => predefinedHoldout({ samples, predefinedSplits: { train: ids } }, 0, { train: "train", test: "t10k", valFraction: 0.5 }))
      .toThrow(/no predefined split "t10k"; it has: train/);
    expect(() => predefinedHoldout({ samples, predefinedSplits: { train: ids, test: [ids[0]] } }, 0, { train: "train", test: "test", valFraction: 0.5 }))
      .toThrow(/id "s0" is also in "train"/);
  });

  it("is the predefined-holdout plugin: defaults train=train, valFraction 0.1; rejects a fraction of 0 or 1", async () => {
    const registry = builtinRegistry();
    const ctx = { seeds: new SeedTree(0) };
    const { samples } = indexWithClassSizes([50, 50]);
    const index: DatasetIndex = { samples, predefinedSplits: { train: samples.map((x) => x.id) } };
    const splitter = await registry.create("splitter", { name: "predefined-holdout" }, ctx);
    expect(splitter.split(index, 3).val).toHaveLength(10);
    for (const valFraction of [0, 1]) {
      await expect(Promise.resolve().then(() => registry.create("splitter", { name: "predefined-holdout", options: { valFraction } }, ctx)))
        .rejects.toThrow(/valFraction/);
    }
    const create = (options: object) => Promise.resolve().then(() => registry.create("splitter", { name: "predefined-holdout", options: { ...options } }, ctx));
    await expect(create({ valFraction: 0.2, valPerClass: 3 })).rejects.toThrow('option "valPerClass": valFraction and valPerClass both given; expected one of them');
    await expect(create({ testPerClass: 3 })).rejects.toThrow('option "testPerClass": given without test');
    await expect(create({ trainPerClass: 0 })).rejects.toThrow('option "trainPerClass"');
    const fewShot = await create({ valPerClass: 4, trainPerClass: 6 });
    const split = fewShot.split(index, 3);
    expect([split.train.length, split.val.length]).toEqual([12, 8]);
  });
});
