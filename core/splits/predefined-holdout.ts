/**
 * A selection split carved from a dataset's predefined training split, keeping its predefined
 * test split as the test set (Fashion-MNIST, CIFAR-10: the distribution fixes train/test but no
 * validation set). The holdout is class-stratified and seeded like `stratified-holdout`; per-class
 * counts give the few-shot and budget variants (k training images per class, a fixed val, a capped
 * test set).
 */
import type { DatasetIndex, Sample, SplitResult } from "../contracts.ts";
import { InputError } from "../errors.ts";
import { SeedTree } from "../rng.ts";
import { apportion, fromAssignment, groupPositions, holdoutShares, singleLabel } from "./common.ts";
import { predefinedCollector } from "./reference.ts";

export interface PredefinedHoldoutOptions {
  /** Predefined split(s) the train and val sets are drawn from. */
  readonly train: string | readonly string[];
  /** Predefined split(s) used as the test set; absent: no test split. */
  readonly test?: string | readonly string[];
  /** Share of each class of the train pool held out for selection; exactly one of this and `valPerClass`. */
  readonly valFraction?: number;
  /** Number of each class's pool samples held out for selection. */
  readonly valPerClass?: number;
  /** Number of each class's samples that train (absent: all that val leaves). */
  readonly trainPerClass?: number;
  /** At most this many test samples of each class (absent: the whole test split). */
  readonly testPerClass?: number;
}

const WHERE = "predefined-holdout splitter";

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1)) throw new InputError(WHERE, `${name} ${value}; expected a positive integer`);
}

/**
 * Each class of the pool is shuffled by `SeedTree(seed).stream("split", "predefined-holdout",
 * <class>)`; its first `valPerClass` (or `valFraction` share, within one sample) become val and the
 * next `trainPerClass` (or all the rest) train, so val does not depend on `trainPerClass` and a
 * smaller k's train set is a subset of a larger k's. A class with too few samples for its val and
 * train counts is an error. With `testPerClass`, each class of the test split is shuffled by the
 * stream ("split", "predefined-holdout", "test", <class>) and its first `testPerClass` kept (all
 * when it has fewer), nested in the same way. Train and val keep the index order, test the
 * predefined order. Without the count options the split is the one `stratumHoldout` gives.
 */
export function predefinedHoldout(index: DatasetIndex, seed: number, options: PredefinedHoldoutOptions): SplitResult {
  const { valFraction, valPerClass, trainPerClass, testPerClass } = options;
  if ((valFraction === undefined) === (valPerClass === undefined)) {
    throw new InputError(WHERE, `${valFraction === undefined ? "neither valFraction nor valPerClass given" : "both valFraction and valPerClass given"}; expected exactly one of them`);
  }
  for (const [name, value] of [["valPerClass", valPerClass], ["trainPerClass", trainPerClass], ["testPerClass", testPerClass]] as const) checkCount(name, value);
  if (testPerClass !== undefined && options.test === undefined) throw new InputError(WHERE, "testPerClass given without a test split; expected test to name the predefined test split");
  const shares = valFraction === undefined ? undefined : holdoutShares(valFraction, 0, WHERE);

  const collect = predefinedCollector(index);
  const pool = new Set(collect("train", options.train));
  const test = options.test === undefined ? undefined : collect("test", options.test);
  const seeds = new SeedTree(seed);
  const classOf = (sample: Sample) => String(singleLabel(sample, "predefined-holdout"));

  const poolIndex: DatasetIndex = { samples: index.samples.filter((s) => pool.has(s.id)) };
  const assignment = new Int8Array(poolIndex.samples.length);
  for (const [label, positions] of groupPositions(poolIndex, classOf)) {
    const nVal = valPerClass ?? apportion(positions.length, shares!)[1];
    const nTrain = trainPerClass ?? positions.length - nVal;
    if (nVal + nTrain > positions.length) {
      throw new InputError(WHERE, `class ${label} has ${positions.length} samples in the train pool; expected at least ${nVal + nTrain} (${nVal} val + ${nTrain} train)`);
    }
    const shuffled = seeds.stream("split", "predefined-holdout", label).shuffle(positions);
    shuffled.forEach((p, i) => (assignment[p] = i < nVal ? 1 : i < nVal + nTrain ? 0 : -1));
  }
  const { train, val } = fromAssignment(poolIndex, assignment, false);
  if (test === undefined) return { train, val };
  if (testPerClass === undefined) return { train, val, test };
  const byId = new Map(index.samples.map((s) => [s.id, s]));
  const testIndex: DatasetIndex = { samples: test.map((id) => byId.get(id)!) };
  const kept = new Int8Array(test.length).fill(-1);
  for (const [label, positions] of groupPositions(testIndex, classOf)) {
    for (const p of seeds.stream("split", "predefined-holdout", "test", label).shuffle(positions).slice(0, testPerClass)) kept[p] = 0;
  }
  return { train, val, test: fromAssignment(testIndex, kept, false).train };
}
