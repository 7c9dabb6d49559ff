/**
 * Two runs' stored predictions on the same samples, paired by sample id: McNemar's test of which
 * samples each run gets right (Kornblith et al. 2019 compare models this way on one test set).
 */
import type { RunPredictions } from "../contracts.ts";
import { StatisticsError } from "../errors.ts";
import { argmaxRows } from "../metrics/index.ts";
import { mcnemarFromPredictions, type McNemarOptions, type McNemarResult } from "./mcnemar.ts";

const WHERE = "pairPredictions";

/** Run B's predictions reordered to run A's sample order, after checking both scored the same samples with the same labels. */
export function pairPredictions(a: RunPredictions, b: RunPredictions, names: readonly [string, string] = ["A", "B"]): { a: RunPredictions; b: RunPredictions } {
  if (a.split !== b.split) throw new StatisticsError(WHERE, `${names[0]} holds predictions on the ${a.split} split, ${names[1]} on the ${b.split} split; pairing needs the same samples`);
  const rowOfB = new Map(b.ids.map((id, i) => [id, i]));
  const missingInB = a.ids.find((id) => !rowOfB.has(id));
  if (missingInB !== undefined) throw new StatisticsError(WHERE, `sample "${missingInB}" of ${names[0]} is not among ${names[1]}'s ${b.ids.length} samples; pairing needs the same sample ids`);
  if (b.ids.length !== a.ids.length) {
    const inA = new Set(a.ids);
    const missingInA = b.ids.find((id) => !inA.has(id));
    throw new StatisticsError(WHERE, `sample "${missingInA}" of ${names[1]} is not among ${names[0]}'s ${a.ids.length} samples; pairing needs the same sample ids`);
  }
  const rows = a.ids.map((id) => rowOfB.get(id)!);
  const labelsB = rows.map((row) => b.labels[row]);
  a.ids.forEach((id, i) => {
    if (JSON.stringify(a.labels[i]) !== JSON.stringify(labelsB[i])) {
      throw new StatisticsError(WHERE, `sample "${id}" has label ${JSON.stringify(a.labels[i])} in ${names[0]} but ${JSON.stringify(labelsB[i])} in ${names[1]}; the two runs did not score the same test set`);
    }
  });
  return { a, b: { split: b.split, ids: a.ids, labels: labelsB as RunPredictions["labels"], scores: rows.map((row) => b.scores[row]) } };
}

/**
 * McNemar's test of two runs on the same samples, paired by id: a sample is right when the argmax
 * of its scores is its label. b counts samples A gets right and B wrong, c the reverse. Single-label
 * predictions only (for multilabel runs, "right" has no one meaning).
 */
export function mcnemarRuns(
  a: RunPredictions,
  b: RunPredictions,
  opts: McNemarOptions & { readonly names?: readonly [string, string] } = {},
): McNemarResult & { table: [[number, number], [number, number]]; n: number } {
  const paired = pairPredictions(a, b, opts.names);
  if (paired.a.labels.some((label) => typeof label !== "number")) {
    throw new StatisticsError("mcnemarRuns", "the predictions are multilabel (multi-hot labels); McNemar's test needs one class per sample");
  }
  const labels = paired.a.labels as readonly number[];
  const result = mcnemarFromPredictions(labels, argmaxRows(paired.a.scores), argmaxRows(paired.b.scores), opts);
  return { ...result, n: labels.length };
}
