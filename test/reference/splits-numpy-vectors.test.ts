// The reference code's split draws (../shared/reference/numpy-legacy-split-vectors.json) reproduced
// by NumpyRandomState and by the reference splitters on indexes with the same class sizes.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { DatasetIndex, Sample } from "../../core/contracts.ts";
import { sha256Hex } from "../../core/hash.ts";
import { NumpyRandomState, referenceClassHoldout, referenceFolds } from "../../core/splits/index.ts";

interface ClassVector { class_size: number; k: number; first10: number[]; last5: number[]; sha256_of_comma_joined_positions_in_draw_order: string; sha256_sorted: string }
const shared = JSON.parse(readFileSync(new URL("../../../shared/reference/numpy-legacy-split-vectors.json", import.meta.url), "utf8")) as {
  aptos_seed414_sizes_1805_370_999_193_295: ClassVector[];
  cassava_seed414_sizes_1087_2189_2386_13158_2577: ClassVector[];
  eurosat_seed42_imagefolder_class_sizes: ClassVector[];
  melanoma_seed23: {
    train_folds_2020_draw_order: number[]; val_folds_2020: number[];
    train_folds_2019_draw_order: number[]; val_folds_2019: number[];
    val_folds_2019_if_fold_count_were: Record<string, number[]>;
  };
};
const joinedSha = (values: readonly number[]) => sha256Hex(values.join(","));

const cases = [
  { name: "APTOS", seed: 414, classes: shared.aptos_seed414_sizes_1805_370_999_193_295 },
  { name: "Cassava", seed: 414, classes: shared.cassava_seed414_sizes_1087_2189_2386_13158_2577 },
  { name: "EuroSAT", seed: 42, classes: shared.eurosat_seed42_imagefolder_class_sizes },
];

/** Classes interleaved (sample i has class i mod C while that class has samples left), so file
 * positions within a class differ from global positions and the mapping is exercised. */
function interleavedIndex(sizes: readonly number[]): DatasetIndex {
  const left = [...sizes];
  const seen = sizes.map(() => 0);
  const samples: Sample[] = [];
  while (left.some((n) => n > 0)) {
    left.forEach((n, c) => {
      if (n === 0) return;
      samples.push({ id: `c${c}_${seen[c]++}`, files: [], label: c });
      left[c]--;
    });
  }
  return { samples };
}

describe.each(cases)("$name (seed $seed)", ({ seed, classes }) => {
  it("NumpyRandomState draws the shared positions class by class", () => {
    const rs = new NumpyRandomState(seed);
    for (const c of classes) {
      const drawn = rs.choice(c.class_size, Math.trunc(0.2 * c.class_size), { replace: false });
      expect(drawn.length).toBe(c.k);
      expect(drawn.slice(0, 10)).toEqual(c.first10);
      expect(drawn.slice(-5)).toEqual(c.last5);
      expect(joinedSha(drawn)).toBe(c.sha256_of_comma_joined_positions_in_draw_order);
      expect(joinedSha([...drawn].sort((a, b) => a - b))).toBe(c.sha256_sorted);
    }
  });

  it("referenceClassHoldout puts exactly those within-class positions in val, in file order", () => {
    const index = interleavedIndex(classes.map((c) => c.class_size));
    const split = referenceClassHoldout(index, seed);
    const positionOf = (id: string) => Number(id.split("_")[1]);
    classes.forEach((c, label) => {
      const val = split.val.filter((id) => id.startsWith(`c${label}_`)).map(positionOf);
      expect(val).toEqual([...val].sort((a, b) => a - b));
      expect(joinedSha(val)).toBe(c.sha256_sorted);
    });
    const order = new Map(index.samples.map((s, i) => [s.id, i]));
    for (const list of [split.train, split.val]) {
      expect(list.map((id) => order.get(id)!)).toEqual(list.map((id) => order.get(id)!).sort((a, b) => a - b));
    }
    expect(split.train.length + split.val.length).toBe(index.samples.length);
  });
});

describe("Melanoma folds (seed 23)", () => {
  const m = shared.melanoma_seed23;
  const foldIndex = (folds2020: number, folds2019: number): DatasetIndex => {
    const samples: Sample[] = [];
    for (const [year, count] of [["2019", folds2019], ["2020", folds2020]] as const) {
      for (let f = -1; f < count; f++) samples.push({ id: `${year}_${f}`, files: [], label: 0, group: `${year}/${f}` });
    }
    return { samples };
  };
  const foldsOf = (ids: readonly string[], year: string) =>
    ids.filter((id) => id.startsWith(`${year}_`)).map((id) => Number(id.split("_")[1])).sort((a, b) => a - b);

  it("draws the shared train folds, 2020 first", () => {
    const rs = new NumpyRandomState(23);
    expect(rs.choice(Array.from({ length: 15 }, (_, i) => i), 12, { replace: false })).toEqual(m.train_folds_2020_draw_order);
    expect(rs.choice(Array.from({ length: 30 }, (_, i) => i), 24, { replace: false })).toEqual(m.train_folds_2019_draw_order);
  });

  it("referenceFolds gives val folds {3, 6, 8} for 2020 and excludes tfrecord -1", () => {
    const split = referenceFolds(foldIndex(15, 30), 23, { strataOrder: ["2020", "2019"] });
    expect(foldsOf(split.val, "2020")).toEqual([3, 6, 8]);
    expect(foldsOf(split.val, "2020")).toEqual(m.val_folds_2020);
    expect(foldsOf(split.val, "2019")).toEqual(m.val_folds_2019);
    expect(foldsOf(split.train, "2020")).toEqual([...m.train_folds_2020_draw_order].sort((a, b) => a - b));
    expect([...split.train, ...split.val].some((id) => id.endsWith("_-1"))).toBe(false);
  });

  it.each(Object.entries(m.val_folds_2019_if_fold_count_were))("2019 with %s folds", (count, val) => {
    expect(foldsOf(referenceFolds(foldIndex(15, Number(count)), 23, { strataOrder: ["2020", "2019"] }).val, "2019")).toEqual(val);
  });
});
