/** Known reasons why a recomputed cell differs from the published one (see docs/reproducing-the-paper.md). */
import type { DatasetName } from "./datasets.ts";

export const MELANOMA_CASSAVA =
  "involves Melanoma or Cassava: the printed Table 4 values for these datasets do not reproduce the authors' statistics " +
  "(Table 13's ImageNet column shows the authors' values ranked the models differently)";

/**
 * The explanation to attach if a cell computed from `involved` datasets does not match: with the
 * embedded published table, the known Melanoma/Cassava discrepancy; with a user's results, that
 * the inputs differ from the paper's. Undefined means no known reason (reported as unexplained).
 */
export function expectedReason(results: { readonly source: string } | undefined, involved: readonly DatasetName[]): string | undefined {
  if (results !== undefined) return `recomputed from ${results.source}; the published cell comes from the paper's own runs`;
  if (involved.includes("Melanoma") || involved.includes("Cassava")) return MELANOMA_CASSAVA;
  return undefined;
}

/** Joins reasons that both apply (e.g. a doubtful published cell and a known input discrepancy). */
export function joinReasons(...reasons: (string | undefined)[]): string | undefined {
  const present = reasons.filter((r): r is string => r !== undefined && r !== "");
  return present.length === 0 ? undefined : present.join("; ");
}
