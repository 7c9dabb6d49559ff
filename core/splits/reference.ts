/**
 * Splits that reproduce the reference code (mlfoundations/imagenet-applications-transfer) bit for
 * bit; see ../shared/reference/README.md for the procedures. All draws use numpy's legacy global
 * RNG, so they go through NumpyRandomState and keep the reference code's draw order exactly.
 */
import type { DatasetIndex, JsonObject, SplitResult } from "../contracts.ts";
import { InputError } from "../errors.ts";
import { fromAssignment, groupPositions, singleLabel } from "./common.ts";
import { NumpyRandomState } from "./numpy-legacy.ts";

/**
 * APTOS / Cassava / EuroSAT: `np.random.seed(seed)`, then for each class in ascending label order
 * draw `int(valFraction * n)` of its file-order positions with `choice(..., replace=False)` as
 * validation. Both splits keep the index (file) order.
 */
export function referenceClassHoldout(index: DatasetIndex, seed: number, valFraction = 0.2): SplitResult {
  const rs = new NumpyRandomState(seed);
  const byClass = groupPositions(index, (s) => singleLabel(s, "reference-holdout"));
  const assignment = new Int8Array(index.samples.length);
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const positions = byClass.get(label)!;
    // int(0.2 * n) in Python truncates the double product; Math.trunc does the same.
    for (const p of rs.choice(positions, Math.trunc(valFraction * positions.length), { replace: false })) assignment[p] = 1;
  }
  return fromAssignment(index, assignment, false);
}

/** A sample's `group` for fold splits: `<stratum>/<fold>`, e.g. `2020/7`; fold -1 = in no split. */
export function parseFoldGroup(id: string, group: string | undefined): { stratum: string; fold: number } {
  const match = group === undefined ? null : /^(.+)\/(-?\d+)$/.exec(group);
  if (!match) {
    throw new InputError(`sample "${id}"`, `reference fold splits need group "<stratum>/<fold>" (e.g. "2020/7"), got ${JSON.stringify(group ?? null)}`);
  }
  return { stratum: match[1], fold: Number(match[2]) };
}

/**
 * Melanoma: per stratum (year) in `strataOrder`, take the sorted fold ids >= 0 and draw
 * `int(trainFraction * nfolds)` of them for train with `choice(folds, k, replace=False)`; the
 * other folds are validation; fold -1 is in neither. One RNG seeded once serves all strata.
 * `strataOrder` defaults to the order in which strata first appear in the index.
 */
export function referenceFolds(
  index: DatasetIndex, seed: number, options: { trainFraction?: number; strataOrder?: readonly string[] } = {},
): SplitResult {
  const trainFraction = options.trainFraction ?? 0.8;
  const parsed = index.samples.map((s) => parseFoldGroup(s.id, s.group));
  const folds = new Map<string, Set<number>>();
  for (const { stratum, fold } of parsed) {
    const set = folds.get(stratum) ?? new Set<number>();
    if (fold >= 0) set.add(fold);
    folds.set(stratum, set);
  }
  const order = options.strataOrder ?? [...folds.keys()];
  const unlisted = [...folds.keys()].filter((s) => !order.includes(s));
  if (unlisted.length > 0) {
    throw new InputError("reference-folds splitter", `strata ${unlisted.join(", ")} are in the index but not in strataOrder [${order.join(", ")}]`);
  }
  const rs = new NumpyRandomState(seed);
  const trainFolds = new Map<string, Set<number>>();
  for (const stratum of order) {
    const sorted = [...(folds.get(stratum) ?? [])].sort((a, b) => a - b);
    trainFolds.set(stratum, new Set(rs.choice(sorted, Math.trunc(trainFraction * sorted.length), { replace: false })));
  }
  const assignment = parsed.map(({ stratum, fold }) => (fold < 0 ? -1 : trainFolds.get(stratum)!.has(fold) ? 0 : 1));
  return fromAssignment(index, assignment, false);
}

/** Which predefined split(s) of the index become train, val and test. */
export interface PredefinedMapping {
  readonly train: string | readonly string[];
  readonly val: string | readonly string[];
  readonly test?: string | readonly string[];
}

/**
 * Splits fixed by the distribution (`DatasetIndex.predefinedSplits`: HPA's split file, CCT-20's
 * annotation files), renamed by `mapping`. Ids keep the order the dataset gives them; every id
 * must be in the index and in at most one of the mapped splits.
 */
export function predefinedSplit(index: DatasetIndex, mapping: PredefinedMapping): SplitResult {
  const collect = predefinedCollector(index);
  const train = collect("train", mapping.train);
  const val = collect("val", mapping.val);
  return mapping.test === undefined ? { train, val } : { train, val, test: collect("test", mapping.test) };
}

/**
 * Reads predefined splits by name for one split result: `collect(target, names)` returns the ids
 * of the named split(s), checking that each is known and that no id lands in two targets.
 */
export function predefinedCollector(index: DatasetIndex): (target: string, names: string | readonly string[]) => string[] {
  const available = index.predefinedSplits ?? {};
  const known = new Set(index.samples.map((s) => s.id));
  const seen = new Map<string, string>();
  return (target, names) => {
    const ids: string[] = [];
    for (const name of typeof names === "string" ? [names] : names) {
      const list = available[name];
      if (!list) {
        throw new InputError("predefined splitter", `the dataset has no predefined split "${name}"; it has: ${Object.keys(available).sort().join(", ") || "(none)"}`);
      }
      for (const id of list) {
        if (!known.has(id)) throw new InputError(`predefined split "${name}"`, `id "${id}" is not in the dataset index`);
        const previous = seen.get(id);
        if (previous !== undefined) throw new InputError(`predefined split "${name}"`, `id "${id}" is also in "${previous}"`);
        seen.set(id, name);
        ids.push(id);
      }
    }
    if (ids.length === 0) throw new InputError("predefined splitter", `${target} split (${[names].flat().join(", ")}) is empty`);
    return ids;
  };
}

/** The reference code's split of each paper dataset: the splitter plugin, its options and seed. */
export const REFERENCE_SPLITS: Readonly<Record<string, { splitter: string; options: JsonObject; seed: number }>> = {
  aptos2019: { splitter: "reference-holdout", options: { valFraction: 0.2 }, seed: 414 },
  cassava: { splitter: "reference-holdout", options: { valFraction: 0.2 }, seed: 414 },
  eurosat: { splitter: "reference-holdout", options: { valFraction: 0.2 }, seed: 42 },
  melanoma: { splitter: "reference-folds", options: { trainFraction: 0.8, strataOrder: ["2020", "2019"] }, seed: 23 },
  hpa: { splitter: "predefined", options: { train: "train", val: "val", test: "test_val" }, seed: 0 },
  cct20: { splitter: "predefined", options: { train: "train", val: "cis_val", test: "cis_test" }, seed: 0 },
};
