// pairPredictions and mcnemarRuns: two runs' predictions paired by sample id, and what they refuse.
import { describe, expect, it } from "vitest";
import type { RunPredictions } from "../../core/contracts.ts";
import { StatisticsError } from "../../core/errors.ts";
import { mcnemar, mcnemarRuns, pairPredictions } from "../../core/stats/index.ts";

const a: RunPredictions = { split: "test", ids: ["x", "y", "z", "w"], labels: [0, 1, 1, 0], scores: [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]] };
// The same samples in another order. A is right on x and y, B on x and z; both are wrong on w.
const b: RunPredictions = { split: "test", ids: ["z", "w", "x", "y"], labels: [1, 0, 0, 1], scores: [[0.1, 0.9], [0.3, 0.7], [0.8, 0.2], [0.7, 0.3]] };

describe("pairPredictions", () => {
  it("puts B's rows in A's sample order", () => {
    expect(pairPredictions(a, b).b).toEqual({ split: "test", ids: a.ids, labels: a.labels, scores: [[0.8, 0.2], [0.7, 0.3], [0.1, 0.9], [0.3, 0.7]] });
  });

  it("names the first sample id that is not in the other run, either way", () => {
    expect(() => pairPredictions(a, { ...b, ids: ["z", "w", "x", "v"] })).toThrow('pairPredictions: sample "y" of A is not among B\'s 4 samples');
    const longer = { ...b, ids: [...b.ids, "v"], labels: [...(b.labels as number[]), 0], scores: [...b.scores, [1, 0]] };
    expect(() => pairPredictions(a, longer)).toThrow('sample "v" of B is not among A\'s 4 samples');
    expect(() => pairPredictions(a, b, ["run 1", "run 2"])).not.toThrow();
  });

  it("refuses another split or another label for the same sample", () => {
    expect(() => pairPredictions(a, { ...b, split: "val" })).toThrow(StatisticsError);
    expect(() => pairPredictions(a, { ...b, split: "val" })).toThrow("A holds predictions on the test split, B on the val split");
    expect(() => pairPredictions(a, { ...b, labels: [1, 0, 1, 1] })).toThrow('sample "x" has label 0 in A but 1 in B; the two runs did not score the same test set');
  });
});

describe("mcnemarRuns", () => {
  it("counts b (A right, B wrong) and c by sample id and tests them as mcnemar", () => {
    const r = mcnemarRuns(a, b);
    expect([r.b, r.c, r.n, r.table]).toEqual([1, 1, 4, [[1, 1], [1, 1]]]);
    expect(r.p).toBe(mcnemar({ b: 1, c: 1 }).p);
    expect(mcnemarRuns(a, b, { exact: false }).statistic).toBe(mcnemar({ b: 1, c: 1 }, { exact: false }).statistic);
  });

  it("refuses multilabel predictions", () => {
    const multi: RunPredictions = { split: "test", ids: ["x"], labels: [[1, 0]], scores: [[0.9, 0.1]] };
    expect(() => mcnemarRuns(multi, multi)).toThrow("mcnemarRuns: the predictions are multilabel");
  });
});
