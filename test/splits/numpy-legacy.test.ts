// NumpyRandomState against vectors written by Debian's python3-numpy
// (fixtures/generators/numpy-split-vectors.py -> fixtures/parity/numpy/numpy-legacy-vectors.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../core/hash.ts";
import { NumpyRandomState } from "../../core/splits/index.ts";

interface Vectors {
  scalars: { seed: number; uint32: number[]; random_sample: number[]; randint: { low: number; high: number; value: number }[] }[];
  permutations: { seed: number; sequence: { n: number; sha256: string; values?: number[] }[] }[];
  class_holdouts: { seed: number; fraction: number; classes: { class_size: number; k: number; first10: number[]; sha256_draw_order: string; sha256_sorted: string }[] }[];
  fold_draws: { seed: number; fraction: number; groups: { folds: number; train_draw_order: number[] }[] }[];
}
const vectors: Vectors = JSON.parse(readFileSync(new URL("../../fixtures/parity/numpy/numpy-legacy-vectors.json", import.meta.url), "utf8"));
const joinedSha = (values: readonly number[]) => sha256Hex(values.join(","));

describe("NumpyRandomState matches numpy's legacy RandomState", () => {
  it.each(vectors.scalars)("raw outputs, random_sample and randint for seed $seed", (v) => {
    const rs = new NumpyRandomState(v.seed);
    expect(Array.from({ length: v.uint32.length }, () => rs.nextUint32())).toEqual(v.uint32);
    expect(Array.from({ length: v.random_sample.length }, () => rs.randomSample())).toEqual(v.random_sample);
    expect(v.randint.map(({ low, high }) => rs.randint(low, high))).toEqual(v.randint.map((r) => r.value));
  });

  it.each(vectors.permutations)("consecutive permutations for seed $seed", (v) => {
    const rs = new NumpyRandomState(v.seed);
    for (const { n, sha256, values } of v.sequence) {
      const p = rs.permutation(n);
      if (values) expect(p).toEqual(values);
      expect(joinedSha(p)).toBe(sha256);
    }
  });

  it.each(vectors.class_holdouts)("per-class choice without replacement, seed $seed, fraction $fraction", (v) => {
    const rs = new NumpyRandomState(v.seed);
    for (const c of v.classes) {
      const k = Math.trunc(v.fraction * c.class_size);
      expect(k).toBe(c.k);
      const drawn = rs.choice(c.class_size, k, { replace: false });
      expect(drawn.slice(0, 10)).toEqual(c.first10);
      expect(joinedSha(drawn)).toBe(c.sha256_draw_order);
      expect(joinedSha([...drawn].sort((a, b) => a - b))).toBe(c.sha256_sorted);
    }
  });

  it.each(vectors.fold_draws)("fold draws from a list, seed $seed", (v) => {
    const rs = new NumpyRandomState(v.seed);
    for (const g of v.groups) {
      const folds = Array.from({ length: g.folds }, (_, i) => i);
      expect(rs.choice(folds, Math.trunc(v.fraction * g.folds), { replace: false })).toEqual(g.train_draw_order);
    }
  });
});

describe("NumpyRandomState arguments", () => {
  it("reseeding restarts the stream", () => {
    const rs = new NumpyRandomState(9);
    const first = rs.permutation(50);
    expect(rs.seed(9).permutation(50)).toEqual(first);
  });
  it("choice of items maps the drawn positions", () => {
    const items = ["a", "b", "c", "d", "e"];
    const positions = new NumpyRandomState(3).choice(items.length, 3, { replace: false });
    expect(new NumpyRandomState(3).choice(items, 3, { replace: false })).toEqual(positions.map((i) => items[i]));
  });
  it("rejects seeds and sizes numpy rejects", () => {
    expect(() => new NumpyRandomState(-1)).toThrow(RangeError);
    expect(() => new NumpyRandomState(2 ** 32)).toThrow(RangeError);
    expect(() => new NumpyRandomState(1.5)).toThrow(RangeError);
    expect(() => new NumpyRandomState(0).choice(3, 4, { replace: false })).toThrow(/sample of 4 from 3/);
    expect(() => new NumpyRandomState(0).randint(5, 5)).toThrow(RangeError);
  });
});
