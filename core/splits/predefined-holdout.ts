/**
 * A selection split carved from a dataset's predefined training split, keeping its predefined
 * test split as the test set (Fashion-MNIST, CIFAR-10: the distribution fixes train/test but no
 * validation set). The holdout is class-stratified and seeded like `stratified-holdout`.
 */
import type { DatasetIndex, SplitResult } from "../contracts.ts";
import { predefinedCollector } from "./reference.ts";
import { stratumHoldout } from "./stratified.ts";
import { singleLabel } from "./common.ts";

export interface PredefinedHoldoutOptions {
  /** Predefined split(s) the train and val sets are drawn from. */
  readonly train: string | readonly string[];
  /** Predefined split(s) used unchanged as the test set; absent: no test split. */
  readonly test?: string | readonly string[];
  /** Share of each class of the train pool held out for selection. */
  readonly valFraction: number;
}

/**
 * Each class of the pool is shuffled by `SeedTree(seed).stream("split", "predefined-holdout",
 * <class>)` and its `valFraction` share (within one sample) becomes val; train and val keep the
 * index order, test keeps the predefined order.
 */
export function predefinedHoldout(index: DatasetIndex, seed: number, options: PredefinedHoldoutOptions): SplitResult {
  const collect = predefinedCollector(index);
  const pool = new Set(collect("train", options.train));
  const test = options.test === undefined ? undefined : collect("test", options.test);
  const poolIndex: DatasetIndex = { samples: index.samples.filter((s) => pool.has(s.id)) };
  const { train, val } = stratumHoldout(
    poolIndex, seed, "predefined-holdout", (s) => String(singleLabel(s, "predefined-holdout")), { valFraction: options.valFraction },
  );
  return test === undefined ? { train, val } : { train, val, test };
}
