// McNemar's test: parity with statsmodels (fixtures/generators/mcnemar-parity.py), properties
// (fast-check, fixed seed) and input errors.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StatisticsError } from "../../core/errors.ts";
import { mcnemar, mcnemarExact, mcnemarFromPredictions, type McNemarOptions } from "../../core/stats/index.ts";
import { expectClose, readParity } from "./helpers.ts";

type Expected = { statistic: number; p: number } | null;
interface Fixture {
  cases: { table: number[][]; exact: Expected; chi2: Expected; chi2NoCorrection: Expected }[];
}
const fx = readParity<Fixture>("mcnemar.json");

const MODES: [keyof Omit<Fixture["cases"][number], "table">, McNemarOptions][] = [
  ["exact", { exact: true }],
  ["chi2", { exact: false }],
  ["chi2NoCorrection", { exact: false, correction: false }],
];

describe("mcnemar matches statsmodels contingency_tables.mcnemar", () => {
  for (const [mode, opts] of MODES) {
    it(`${mode} on ${fx.cases.length} tables`, () => {
      let checked = 0;
      for (const { table, [mode]: e } of fx.cases) {
        if (e === null) {
          // statsmodels divides by zero (b + c = 0); xfer refuses rather than return inf or NaN.
          expect(() => mcnemar(table, opts)).toThrow(/b \+ c = 0/);
          continue;
        }
        const r = mcnemar(table, opts);
        // Same arithmetic as statsmodels; p from @stdlib's binomial CDF / normal tail agrees with
        // SciPy's binom.cdf / chi2.sf to 5e-13 relative (down to p ~ 1e-301).
        expectClose(r.statistic, e.statistic, 1e-15, 0);
        expectClose(r.p, e.p, 1e-12, 0);
        expect([r.b, r.c]).toEqual([table[0][1], table[1][0]]);
        checked++;
      }
      expect(checked).toBeGreaterThan(50);
    });
  }
  it("defaults to exact, as statsmodels (exact=True, correction=True)", () => {
    const t = [[5, 3], [10, 7]];
    expect(mcnemar(t)).toEqual(mcnemar(t, { exact: true, correction: true }));
    expect(mcnemar({ b: 3, c: 10 }, { exact: false })).toEqual(mcnemar(t, { exact: false, correction: true }));
  });
  it("with no discordant pair, the exact test gives p = 1", () => {
    expect(mcnemar({ b: 0, c: 0 })).toMatchObject({ statistic: 0, p: 1 });
  });
});

const SEED = 17_2026;
const opts = { seed: SEED, numRuns: 200 };
const count = fc.integer({ min: 0, max: 5000 });
const modes = fc.constantFrom(...MODES.map(([, o]) => o));

describe("mcnemar properties", () => {
  it("is symmetric in b and c, and p lies in [0, 1]", () => {
    fc.assert(fc.property(count, count, modes, (b, c, o) => {
      fc.pre(o.exact || b + c > 0);
      const r = mcnemar({ b, c }, o);
      const s = mcnemar({ b: c, c: b }, o);
      expect(s.statistic).toBe(r.statistic);
      expect(s.p).toBe(r.p);
      expect(r.p).toBeGreaterThanOrEqual(0);
      expect(r.p).toBeLessThanOrEqual(1);
    }), opts);
  });

  // At fixed n = b + c, a larger |b - c| is stronger evidence. With the correction this holds from
  // |b - c| = 1 on: statsmodels' unclipped (|b - c| - 1)^2 makes b = c score 1/n, above |b - c| = 1.
  const split = fc.integer({ min: 1, max: 5000 }).chain((n) =>
    fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n })));
  it("p does not increase as |b - c| grows at fixed b + c", () => {
    fc.assert(fc.property(split, modes, ([n, b1, b2], o) => {
      const d1 = Math.abs(2 * b1 - n);
      const d2 = Math.abs(2 * b2 - n);
      fc.pre(d1 < d2 && (o.exact || o.correction === false || d1 >= 1));
      expect(mcnemar({ b: b2, c: n - b2 }, o).p).toBeLessThanOrEqual(mcnemar({ b: b1, c: n - b1 }, o).p);
    }), opts);
  });

  const labels = fc.integer({ min: 1, max: 60 }).chain((n) => {
    const v = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n });
    return fc.tuple(v, v, v);
  });
  it("mcnemarFromPredictions tests the counted table of correct/wrong", () => {
    fc.assert(fc.property(labels, modes, ([y, a, b], o) => {
      const right = (p: number[]) => y.map((v, i) => v === p[i]);
      const ra = right(a);
      const rb = right(b);
      const n = (x: boolean, z: boolean) => y.filter((_, i) => ra[i] === x && rb[i] === z).length;
      const table = [[n(true, true), n(true, false)], [n(false, true), n(false, false)]];
      if (!o.exact && table[0][1] + table[1][0] === 0) {
        expect(() => mcnemarFromPredictions(y, a, b, o)).toThrow(StatisticsError);
        return;
      }
      const r = mcnemarFromPredictions(y, a, b, o);
      expect(r.table).toEqual(table);
      expect(r).toEqual({ ...mcnemar(table, o), table });
      if (o.exact) expect(mcnemarExact(ra, rb)).toEqual({ statistic: r.statistic, p: r.p, b: r.b, c: r.c });
    }), opts);
  });
});

describe("mcnemar input errors", () => {
  it("rejects tables that are not 2 x 2 tables of counts", () => {
    expect(() => mcnemar([[1, 2, 3], [4, 5, 6]])).toThrow(/must be 2 x 2/);
    expect(() => mcnemar([[1, 2]])).toThrow(/must be 2 x 2/);
    expect(() => mcnemar([[1, -2], [3, 4]])).toThrow(/table\[0\]\[1\] must be a non-negative integer count, got -2/);
    expect(() => mcnemar([[1, 2], [3.5, 4]])).toThrow(/table\[1\]\[0\]/);
    expect(() => mcnemar([[Number.NaN, 2], [3, 4]])).toThrow(/table\[0\]\[0\].*got NaN/);
    expect(() => mcnemar({ b: 1, c: Number.POSITIVE_INFINITY })).toThrow(/^mcnemar: c must be/);
  });
  it("refuses the chi-square test without discordant pairs and points to the exact test", () => {
    for (const correction of [true, false]) {
      expect(() => mcnemar([[10, 0], [0, 5]], { exact: false, correction })).toThrow(/b \+ c = 0.*exact: true/);
    }
  });
  it("rejects mismatched, empty or NaN predictions", () => {
    expect(() => mcnemarFromPredictions([0, 1], [0, 1], [0])).toThrow(/lengths 2, 2 and 1/);
    expect(() => mcnemarFromPredictions([], [], [])).toThrow(/at least 1 sample/);
    expect(() => mcnemarFromPredictions([0, 1], [0, Number.NaN], [0, 1])).toThrow(/predA\[1\] is NaN/);
    expect(mcnemarFromPredictions(["cat", "dog"], ["cat", "cat"], ["dog", "dog"]).table).toEqual([[0, 1], [1, 0]]);
  });
});
