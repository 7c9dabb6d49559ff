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

/**
 * Group-disjoint holdout: whole groups (patients, camera locations) go to one split. Groups are
 * visited in a seeded order; a group joins val (then test) when that brings the split closer to
 * its target size, so each split ends within half the largest group of its target.
 */
export function groupDisjointHoldout(index: DatasetIndex, seed: number, options: HoldoutOptions = {}): SplitResult {
  const testFraction = options.testFraction ?? 0;
  const [, valShare, testShare] = holdoutShares(options.valFraction ?? 0.2, testFraction, "group-disjoint-holdout splitter");
  const groups = groupPositions(index, (s) => {
    if (s.group === undefined) throw new InputError(`sample "${s.id}"`, `splitter "group-disjoint-holdout" needs a group on every sample`);
    return s.group;
  });
  const n = index.samples.length;
  const targets = [0, valShare * n, testShare * n];
  const sizes = [0, 0, 0];
  const assignment = new Int8Array(n);
  // Sorted before shuffling, so the visit order does not depend on the index's row order.
  const keys = [...groups.keys()].sort();
  for (const key of new SeedTree(seed).stream("split", "group-disjoint-holdout").shuffle(keys)) {
    const positions = groups.get(key)!;
    const to = [1, 2].find((j) => Math.abs(sizes[j] + positions.length - targets[j]) < Math.abs(sizes[j] - targets[j])) ?? 0;
    sizes[to] += positions.length;
    for (const p of positions) assignment[p] = to;
  }
  return fromAssignment(index, assignment, testFraction > 0);
}
