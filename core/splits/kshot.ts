/**
 * k-shot-per-class training subsets for few-shot studies. The validation split is exactly the
 * class-balanced holdout's (same seed and valFraction), so every k shares it with the full-data
 * run; from the rest, each class is shuffled by its own stream and its first k samples train.
 * Subsets are nested: the k-shot set of a smaller k is a subset of a larger k's.
 */
import type { DatasetIndex, SplitResult } from "../contracts.ts";
import { InputError } from "../errors.ts";
import { SeedTree } from "../rng.ts";
import { groupPositions, singleLabel } from "./common.ts";
import { stratifiedHoldout } from "./stratified.ts";

export function kShotSplit(index: DatasetIndex, seed: number, options: { k: number; valFraction?: number }): SplitResult {
  const { k } = options;
  if (!Number.isInteger(k) || k < 1) throw new InputError("k-shot splitter", `k must be a positive integer, got ${k}`);
  const holdout = stratifiedHoldout(index, seed, { valFraction: options.valFraction ?? 0.2 });
  const pool = new Set(holdout.train);
  const seeds = new SeedTree(seed);
  const chosen = new Set<number>();
  const byClass = groupPositions(index, (s) => singleLabel(s, "k-shot"));
  for (const [label, positions] of byClass) {
    const candidates = positions.filter((p) => pool.has(index.samples[p].id));
    for (const p of seeds.stream("split", "k-shot", label).shuffle(candidates).slice(0, k)) chosen.add(p);
  }
  const train = index.samples.filter((_, i) => chosen.has(i)).map((s) => s.id);
  return { train, val: holdout.val };
}
