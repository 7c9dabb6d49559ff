/** Dataset plugins feeding the reference splitters on the fixtures: the chain a recipe runs. */
import { describe, expect, it } from "vitest";
import { REFERENCE_SPLITS } from "../../core/splits/index.ts";
import { SeedTree, type SplitResult } from "../../core/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { open } from "./helpers.ts";

async function referenceSplit(name: string, fixture = name): Promise<{ split: SplitResult; labelOf: Map<string, unknown>; groupOf: Map<string, string | undefined>; ids: string[] }> {
  const { dataset, ctx } = await open(fixture, name);
  const index = await dataset.index(ctx);
  const ref = REFERENCE_SPLITS[name];
  const splitter = await builtinRegistry().create("splitter", { name: ref.splitter, options: ref.options }, { seeds: new SeedTree(ref.seed) });
  return {
    split: splitter.split(index, ref.seed),
    labelOf: new Map(index.samples.map((s) => [s.id, s.label])),
    groupOf: new Map(index.samples.map((s) => [s.id, s.group])),
    ids: index.samples.map((s) => s.id),
  };
}

describe("reference splits on the dataset fixtures", () => {
  it.each(["aptos2019", "cassava", "eurosat"])("%s: int(0.2 * 5) = 1 per class in val, the rest train, file order kept", async (name) => {
    const { split, labelOf, ids } = await referenceSplit(name);
    expect(split.val.map((id) => labelOf.get(id)).sort()).toEqual([...new Set(labelOf.values())].sort());
    expect([...split.train, ...split.val].sort()).toEqual([...ids].sort());
    expect(split.train).toEqual(ids.filter((id) => !split.val.includes(id)));
  });

  it("melanoma: 2020 folds 0..14 give validation folds {3, 6, 8}; tfrecord -1 is in neither split", async () => {
    const { split, groupOf } = await referenceSplit("melanoma");
    const folds = (ids: readonly string[], year: string) => [...new Set(ids.map((id) => groupOf.get(id)!).filter((g) => g.startsWith(year)))].sort();
    expect(folds(split.val, "2020/")).toEqual(["2020/3", "2020/6", "2020/8"]);
    expect(folds(split.val, "2019/")).toHaveLength(1);
    expect(folds(split.train, "2019/")).toHaveLength(3);
    expect([...split.train, ...split.val].some((id) => groupOf.get(id)!.endsWith("/-1"))).toBe(false);
  });

  it("hpa and cct20: the predefined splits map to train / val / test", async () => {
    const hpa = await referenceSplit("hpa");
    expect([hpa.split.train.length, hpa.split.val.length, hpa.split.test?.length]).toEqual([8, 4, 2]);
    const cct = await referenceSplit("cct20");
    expect([cct.split.train.length, cct.split.val.length, cct.split.test?.length]).toEqual([17, 2, 3]);
  });
});
