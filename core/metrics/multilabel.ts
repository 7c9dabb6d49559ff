/** Multilabel macro F1 and the threshold strategies that turn scores into predictions. */
import { InputError } from "../errors.ts";
import { checkMultiHot, checkSameLength, checkScoreRows, type Rows } from "./validate.ts";

/**
 * Macro-averaged F1 over classes (sklearn f1_score(average="macro") on indicator matrices):
 * a class with no true and no predicted positives scores 0 (sklearn's zero_division default).
 */
export function macroF1(yTrueMultiHot: Rows, yPredMultiHot: Rows): number {
  const where = "macroF1";
  checkSameLength(where, yTrueMultiHot, yPredMultiHot);
  const k = checkMultiHot(where, "yTrue", yTrueMultiHot);
  const kPred = checkMultiHot(where, "yPred", yPredMultiHot);
  if (kPred !== k) throw new InputError(where, `yTrue has ${k} classes but yPred has ${kPred}`);
  let sum = 0;
  for (let c = 0; c < k; c++) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < yTrueMultiHot.length; i++) {
      const t = yTrueMultiHot[i][c];
      const p = yPredMultiHot[i][c];
      if (t && p) tp++;
      else if (p) fp++;
      else if (t) fn++;
    }
    sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return sum / k;
}

/**
 * How per-class thresholds are chosen on the selection split; a sample is predicted positive for
 * class c when its score is >= threshold[c].
 * - `f1-max`: the threshold (among the class's observed scores, or "none positive") with the
 *   highest F1 on the selection split; ties go to the highest threshold.
 * - `fixed`: the same threshold for every class (default 0.5).
 * - `proportion`: the threshold whose predicted-positive rate is closest to the class's true
 *   positive rate; ties go to the highest threshold.
 */
export type ThresholdStrategy =
  | { readonly kind: "f1-max" }
  | { readonly kind: "fixed"; readonly threshold?: number }
  | { readonly kind: "proportion" };

/** Per-class scores in descending order, grouped into runs of equal score. */
function descendingGroups(yTrue: Rows, scores: Rows, c: number): { score: number; pos: number; count: number }[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b][c] - scores[a][c]);
  const groups: { score: number; pos: number; count: number }[] = [];
  for (const i of order) {
    const s = scores[i][c];
    const last = groups[groups.length - 1];
    if (last && last.score === s) {
      last.count++;
      last.pos += yTrue[i][c];
    } else groups.push({ score: s, pos: yTrue[i][c], count: 1 });
  }
  return groups;
}

/** Fits one threshold per class on (yTrue, scores) with the given strategy. */
export function fitThresholds(yTrueMultiHot: Rows, scores: Rows, strategy: ThresholdStrategy): Float64Array {
  const where = `fitThresholds(${strategy.kind})`;
  checkSameLength(where, yTrueMultiHot, scores, "yTrue and scores");
  const k = checkMultiHot(where, "yTrue", yTrueMultiHot);
  const kScores = checkScoreRows(where, "scores", scores);
  if (kScores !== k) throw new InputError(where, `yTrue has ${k} classes but scores have ${kScores} columns`);
  const n = scores.length;
  const out = new Float64Array(k);
  if (strategy.kind === "fixed") {
    const t = strategy.threshold ?? 0.5;
    if (!Number.isFinite(t)) throw new InputError(where, `threshold must be a finite number, got ${t}`);
    return out.fill(t);
  }
  for (let c = 0; c < k; c++) {
    let positives = 0;
    for (let i = 0; i < n; i++) positives += yTrueMultiHot[i][c];
    // Candidate "no sample positive": F1 0, predicted rate 0.
    let best = Infinity;
    let bestValue = strategy.kind === "f1-max" ? 0 : -Math.abs(positives / n);
    let tp = 0;
    let predicted = 0;
    for (const g of descendingGroups(yTrueMultiHot, scores, c)) {
      tp += g.pos;
      predicted += g.count;
      const value = strategy.kind === "f1-max"
        ? (2 * tp) / (predicted + positives)
        : -Math.abs(predicted / n - positives / n);
      if (value > bestValue) {
        bestValue = value;
        best = g.score;
      }
    }
    out[c] = best;
  }
  return out;
}

/** Multi-hot predictions: score >= threshold of its class. */
export function applyThresholds(scores: Rows, thresholds: ArrayLike<number>): number[][] {
  const k = checkScoreRows("applyThresholds", "scores", scores);
  if (thresholds.length !== k) throw new InputError("applyThresholds", `${thresholds.length} thresholds for ${k} classes`);
  return scores.map((row) => Array.from({ length: k }, (_, c) => (row[c] >= thresholds[c] ? 1 : 0)));
}
