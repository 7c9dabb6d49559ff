/** Score-based metrics: ROC AUC (with a weighted form for the bootstrap) and VOC 2007 mean AP. */
import { InputError } from "../errors.ts";
import { checkMultiHot, checkSameLength, checkScoreRows, checkScores, type Rows, type Vector } from "./validate.ts";

function checkBinary(where: string, yTrue01: Vector): void {
  let pos = 0;
  for (let i = 0; i < yTrue01.length; i++) {
    if (yTrue01[i] !== 0 && yTrue01[i] !== 1) throw new InputError(where, `yTrue[${i}] is ${yTrue01[i]}; binary labels must be 0 or 1`);
    pos += yTrue01[i];
  }
  if (pos === 0 || pos === yTrue01.length) {
    throw new InputError(where, `only one class (${pos === 0 ? 0 : 1}) is present in yTrue; ROC AUC is undefined`);
  }
}

/**
 * Weighted ROC AUC over samples presorted once: weights[i] is the multiplicity of sample i (a
 * bootstrap resample), and each evaluation is one linear pass. AUC = P(score_pos > score_neg)
 * + 0.5 P(tie), which equals sklearn roc_auc_score's trapezoidal area.
 */
export function weightedRocAuc(yTrue01: Vector, scores: Vector): (weights: Float64Array) => number {
  const where = "rocAuc";
  checkSameLength(where, yTrue01, scores, "yTrue and scores");
  checkScores(where, "scores", scores);
  checkBinary(where, yTrue01);
  const n = scores.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const label = Uint8Array.from(order, (i) => yTrue01[i]);
  // groupEnd[j]: true when sorted position j closes a run of equal scores.
  const groupEnd = Uint8Array.from(order, (i, j) => (j === n - 1 || scores[order[j + 1]] !== scores[i] ? 1 : 0));
  return (weights) => {
    let negBelow = 0;
    let num = 0;
    let gPos = 0;
    let gNeg = 0;
    for (let j = 0; j < n; j++) {
      const w = weights[order[j]];
      if (label[j]) gPos += w;
      else gNeg += w;
      if (groupEnd[j]) {
        num += gPos * (negBelow + 0.5 * gNeg);
        negBelow += gNeg;
        gPos = 0;
        gNeg = 0;
      }
    }
    let totalPos = 0;
    for (let j = 0; j < n; j++) if (label[j]) totalPos += weights[order[j]];
    return num / (totalPos * negBelow);
  };
}

/**
 * Binary ROC AUC with ties counted half (sklearn roc_auc_score): the positives' and negatives'
 * scores are sorted separately (native typed-array sorts) and merged, counting for each positive
 * the negatives below it and half those tied with it. Integer counts make the result exact.
 */
export function rocAuc(yTrue01: Vector, scores: Vector): number {
  const where = "rocAuc";
  checkSameLength(where, yTrue01, scores, "yTrue and scores");
  checkScores(where, "scores", scores);
  checkBinary(where, yTrue01);
  let nPos = 0;
  for (let i = 0; i < yTrue01.length; i++) nPos += yTrue01[i];
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(yTrue01.length - nPos);
  for (let i = 0, p = 0, q = 0; i < yTrue01.length; i++) {
    if (yTrue01[i] === 1) pos[p++] = scores[i];
    else neg[q++] = scores[i];
  }
  pos.sort();
  neg.sort();
  // Twice the Mann-Whitney U: 2 * #(neg < pos) + #(neg == pos), summed over positives.
  let twiceU = 0;
  let below = 0;
  let upTo = 0;
  for (let i = 0; i < pos.length; i++) {
    const v = pos[i];
    while (below < neg.length && neg[below] < v) below++;
    if (upTo < below) upTo = below;
    while (upTo < neg.length && neg[upTo] === v) upTo++;
    twiceU += below + upTo;
  }
  return twiceU / (2 * pos.length * neg.length);
}

/**
 * PASCAL VOC 2007 mean average precision: per class, 11-point interpolated AP (mean over
 * t = 0, 0.1, ..., 1 of the best precision at recall >= t, with t computed as i * 0.1 exactly like
 * the devkit's numpy.arange), averaged over classes. Samples with equal scores keep their input
 * order (a stable descending sort).
 */
export function vocMeanAP(yTrueMultiHot: Rows, scores: Rows): number {
  const where = "vocMeanAP";
  checkSameLength(where, yTrueMultiHot, scores, "yTrue and scores");
  const k = checkMultiHot(where, "yTrue", yTrueMultiHot);
  const kScores = checkScoreRows(where, "scores", scores);
  if (kScores !== k) throw new InputError(where, `yTrue has ${k} classes but scores have ${kScores} columns`);
  const n = scores.length;
  let sum = 0;
  for (let c = 0; c < k; c++) {
    let positives = 0;
    for (let i = 0; i < n; i++) positives += yTrueMultiHot[i][c];
    if (positives === 0) throw new InputError(where, `class ${c} has no positive samples; its average precision is undefined`);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b][c] - scores[a][c]);
    const recall = new Float64Array(n);
    const precision = new Float64Array(n);
    let tp = 0;
    order.forEach((i, r) => {
      tp += yTrueMultiHot[i][c];
      recall[r] = tp / positives;
      precision[r] = tp / (r + 1);
    });
    // Summed then divided once, so a perfect ranking scores exactly 1 (eleven additions of 1/11 overshoot it).
    let precisions = 0;
    for (let step = 0; step <= 10; step++) {
      const t = step * 0.1;
      let p = 0;
      for (let r = 0; r < n; r++) if (recall[r] >= t && precision[r] > p) p = precision[r];
      precisions += p;
    }
    sum += precisions / 11;
  }
  return sum / k;
}
