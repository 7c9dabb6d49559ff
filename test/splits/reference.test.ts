import { describe, expect, it } from "vitest";
import type { DatasetIndex } from "../../core/contracts.ts";
import { InputError } from "../../core/errors.ts";
import { predefinedSplit, referenceClassHoldout, referenceFolds } from "../../core/splits/index.ts";
import { indexWithClassSizes } from "./helpers.ts";

describe("reference class holdout sizes", () => {
  // Class sizes of the real datasets; the reference code's split sizes are in
  // ../shared/reference/README.md (APTOS 2,931/731, Cassava 17,120/4,277, EuroSAT 21,600/5,400).
  it.each([
    { name: "APTOS", sizes: [1805, 370, 999, 193, 295], seed: 414, train: 2931, val: 731 },
    { name: "Cassava", sizes: [1087, 2189, 2386, 13158, 2577], seed: 414, train: 17120, val: 4277 },
    { name: "EuroSAT", sizes: [3000, 3000, 3000, 2500, 2500, 2000, 2500, 3000, 2500, 3000], seed: 42, train: 21600, val: 5400 },
  ])("$name: $train / $val", ({ sizes, seed, train, val }) => {
    const split = referenceClassHoldout(indexWithClassSizes(sizes), seed);
    expect([split.train.length, split.val.length]).toEqual([train, val]);
    expect(new Set([...split.train, ...split.val]).size).toBe(train + val);
  });

  it("is a function of the seed", () => {
    const index = indexWithClassSizes([40, 25, 9]);
    expect(referenceClassHoldout(index, 414)).toEqual(referenceClassHoldout(index, 414));
    expect(referenceClassHoldout(index, 415).val).not.toEqual(referenceClassHoldout(index, 414).val);
  });

  it("rejects multilabel samples", () => {
    expect(() => referenceClassHoldout({ samples: [{ id: "a", files: [], label: [0, 1] }] }, 1)).toThrow(/one class per sample/);
  });
});

describe("reference folds", () => {
  it("names the sample whose group is not <stratum>/<fold>", () => {
    const index: DatasetIndex = { samples: [{ id: "ISIC_1", files: [], label: 0, group: "2020" }] };
    expect(() => referenceFolds(index, 23)).toThrow(/sample "ISIC_1".*<stratum>\/<fold>/);
  });
  it("refuses strata missing from strataOrder", () => {
    const index: DatasetIndex = { samples: [{ id: "a", files: [], label: 0, group: "2018/1" }] };
    expect(() => referenceFolds(index, 23, { strataOrder: ["2020", "2019"] })).toThrow(/2018/);
  });
});

describe("predefined splits", () => {
  const index: DatasetIndex = {
    samples: ["a", "b", "c", "d", "e"].map((id) => ({ id, files: [], label: 0 })),
    predefinedSplits: { train: ["c", "a"], cis_val: ["b"], cis_test: ["d"], trans_test: ["e"] },
  };
  it("maps named splits, keeping the dataset's order", () => {
    expect(predefinedSplit(index, { train: "train", val: "cis_val", test: ["cis_test", "trans_test"] }))
      .toEqual({ train: ["c", "a"], val: ["b"], test: ["d", "e"] });
  });
  it("lists the available names for an unknown one", () => {
    expect(() => predefinedSplit(index, { train: "train", val: "val" })).toThrow(/no predefined split "val"; it has: cis_test, cis_val, train, trans_test/);
  });
  it("rejects ids outside the index and ids in two mapped splits", () => {
    const bad: DatasetIndex = { ...index, predefinedSplits: { train: ["a", "zz"], val: ["b"] } };
    expect(() => predefinedSplit(bad, { train: "train", val: "val" })).toThrow(InputError);
    const twice: DatasetIndex = { ...index, predefinedSplits: { train: ["a"], val: ["a"] } };
    expect(() => predefinedSplit(twice, { train: "train", val: "val" })).toThrow(/"a" is also in "train"/);
  });
});
