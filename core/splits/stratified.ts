/**
 * Seeded holdout splits that keep every stratum's (class's, group's) share: each stratum is
 * shuffled by its own stream `SeedTree(seed).stream("split", <name>, <stratum>)`, so adding a
 * class never moves the samples of another, and its counts are apportioned so that each split
 * gets its target share within one sample.
 */
import type { DatasetIndex, Sample, SplitResult } from "../contracts.ts";
import { InputError } from "../errors.ts";
import { SeedTree } from "../rng.ts";
import { apportion, fromAssignment, groupPositions, holdoutShares, singleLabel } from "./common.ts";

export interface HoldoutOptions {
  /** Share of each stratum for validation (default 0.2). */
  readonly valFraction?: number;
  /** Share of each stratum for a test split (default 0: no test split). */
  readonly testFraction?: number;
}

/** Holdout within strata given by `strataOf`; `name` keys the streams. */
export function stratumHoldout(
  index: DatasetIndex, seed: number, name: string, strataOf: (sample: Sample) => string, options: HoldoutOptions = {},
): SplitResult {
  const testFraction = options.testFraction ?? 0;
  const shares = holdoutShares(options.valFraction ?? 0.2, testFraction, `${name} splitter`);
  const seeds = new SeedTree(seed);
  const assignment = new Int8Array(index.samples.length);
  for (const [stratum, positions] of groupPositions(index, strataOf)) {
    const [, nVal, nTest] = apportion(positions.length, shares);
    const shuffled = seeds.stream("split", name, stratum).shuffle(positions);
    for (let i = 0; i < nVal + nTest; i++) assignment[shuffled[i]] = i < nVal ? 1 : 2;
  }
  return fromAssignment(index, assignment, testFraction > 0);
}

/** Class-balanced holdout (single-label datasets). */
export function stratifiedHoldout(index: DatasetIndex, seed: number, options: HoldoutOptions = {}): SplitResult {
  return stratumHoldout(index, seed, "stratified-holdout", (s) => String(singleLabel(s, "stratified-holdout")), options);
}

/**
 * Group-balanced holdout: every group (year, site, camera) gives its share to each split; with
 * `byClass`, every (group, class) pair does, so classes stay balanced within each group too.
 */
export function groupHoldout(index: DatasetIndex, seed: number, options: HoldoutOptions & { byClass?: boolean } = {}): SplitResult {
  const byClass = options.byClass ?? false;
  return stratumHoldout(index, seed, "group-holdout", (s) => {
    if (s.group === undefined) throw new InputError(`sample "${s.id}"`, `splitter "group-holdout" needs a group on every sample`);
    // JSON keeps the stratum key unambiguous whatever characters a group name contains.
    return byClass ? JSON.stringify([s.group, singleLabel(s, "group-holdout")]) : JSON.stringify([s.group]);
  }, options);
}
