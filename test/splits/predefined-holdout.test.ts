// Properties of the predefined-holdout splitter (val carved from the predefined train split, the
// predefined test split kept). fast-check runs with a fixed seed so a failure replays exactly.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DatasetIndex } from "../../core/contracts.ts";
import { SeedTree } from "../../core/rng.ts";
import { predefinedHoldout } from "../../core/splits/index.ts";
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
  });
});
