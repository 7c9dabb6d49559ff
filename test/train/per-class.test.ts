import { describe, expect, it } from "vitest";
import { confusionMatrix, perClassFromConfusion, perClassMultilabel } from "../../core/index.ts";

describe("per-class metrics", () => {
  it("counts true classes by row and predictions by column, and scores each class from them", () => {
    const matrix = confusionMatrix([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 1], 3);
    expect(matrix).toEqual([[1, 1, 0], [1, 2, 0], [0, 1, 0]]);
    const [a, b, c] = perClassFromConfusion(matrix);
    expect(a).toEqual({ support: 2, precision: 0.5, recall: 0.5, f1: 0.5 });
    expect(b).toEqual({ support: 3, precision: 0.5, recall: 2 / 3, f1: 4 / 7 });
    // Never predicted: precision undefined (NaN), not 0.
    expect(c.precision).toBeNaN();
    expect(c.recall).toBe(0);
  });

  it("refuses a label outside the classes", () => {
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(/row 1 has true 3/);
  });

  it("scores multi-hot predictions class by class", () => {
    const scores = perClassMultilabel([[1, 0], [1, 1], [0, 1]], [[1, 1], [0, 1], [0, 0]]);
    expect(scores[0]).toEqual({ support: 2, precision: 1, recall: 0.5, f1: 2 / 3 });
    expect(scores[1]).toEqual({ support: 2, precision: 0.5, recall: 0.5, f1: 0.5 });
  });
});
