/**
 * Iterative stratification for multilabel data (Sechidis, Tsoumakas & Vlahavas, "On the
 * stratification of multi-label data", ECML PKDD 2011, Algorithm 1), seeded.
 *
 * Labels are handled rarest first; each sample carrying the current label goes to the split that
 * most lacks that label, ties broken by the split that most lacks samples, then at random; samples
 * without labels go last to the split that most lacks samples. On single-label data this keeps
 * every class's share within one sample of its target (the greedy largest-deficit rule never
 * leaves a deficit outside (-1, 1)); with co-occurring labels shares are close but, as in the
 * paper, not guaranteed, and split sizes follow the labels rather than an exact total.
 */
import type { DatasetIndex, SplitResult } from "../contracts.ts";
import { SeedTree } from "../rng.ts";
import { fromAssignment, holdoutShares, labelList } from "./common.ts";
import type { HoldoutOptions } from "./stratified.ts";

export function multilabelStratified(index: DatasetIndex, seed: number, options: HoldoutOptions = {}): SplitResult {
  const testFraction = options.testFraction ?? 0;
  const shares = holdoutShares(options.valFraction ?? 0.2, testFraction, "multilabel-stratified splitter");
  const rng = new SeedTree(seed).stream("split", "multilabel-stratified");
  const n = index.samples.length;
  // Visit samples in a seeded order so that equal candidates do not always favour file order.
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const labels = index.samples.map(labelList);

  const missing = shares.map((r) => r * n); // per-split desired sample count still missing
  const wanted = new Map<number, number[]>(); // label -> per-split desired count still missing
  const carriers = new Map<number, number[]>(); // label -> unassigned samples carrying it, in visit order
  const remainingOf = new Map<number, number>();
  for (const p of order) {
    for (const l of labels[p]) {
      const list = carriers.get(l);
      if (list) list.push(p);
      else carriers.set(l, [p]);
    }
  }
  for (const [l, list] of carriers) {
    wanted.set(l, shares.map((r) => r * list.length));
    remainingOf.set(l, list.length);
  }

  const assignment = new Int8Array(n).fill(-1);
  const pick = (candidates: number[]): number => candidates[candidates.length === 1 ? 0 : rng.int(candidates.length)];
  const best = (candidates: number[], score: (j: number) => number): number[] => {
    const top = Math.max(...candidates.map(score));
    return candidates.filter((j) => score(j) === top);
  };
  const assign = (p: number, j: number) => {
    assignment[p] = j;
    missing[j]--;
    for (const l of labels[p]) {
      wanted.get(l)![j]--;
      remainingOf.set(l, remainingOf.get(l)! - 1);
    }
  };
  // A split with no share (no test split) never takes samples.
  const splits = [0, 1, 2].filter((j) => shares[j] > 0);

  for (;;) {
    const live = [...remainingOf].filter(([, count]) => count > 0);
    if (live.length === 0) break;
    const fewest = Math.min(...live.map(([, count]) => count));
    const label = pick(live.filter(([, count]) => count === fewest).map(([l]) => l).sort((a, b) => a - b));
    for (const p of carriers.get(label)!) {
      if (assignment[p] >= 0) continue;
      const byLabel = best(splits, (j) => wanted.get(label)![j]);
      assign(p, pick(best(byLabel, (j) => missing[j])));
    }
  }
  for (const p of order) {
    if (assignment[p] < 0) assign(p, pick(best(splits, (j) => missing[j])));
  }
  return fromAssignment(index, assignment, testFraction > 0);
}
