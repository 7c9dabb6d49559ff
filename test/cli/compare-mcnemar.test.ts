/**
 * `xfer compare A B --mcnemar` as a process on stored runs: McNemar's test on the two runs' test
 * predictions paired by sample id, and each run's bootstrap interval of the selection metric,
 * equal to the library's numbers on the stored predictions; runs scored on different test sets
 * are refused naming the first sample id that differs.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunPredictions } from "../../core/contracts.ts";
import { bootstrapMetric, mcnemar, mcnemarFromPredictions, pairPredictions } from "../../core/stats/index.ts";
import { argmaxRows } from "../../core/metrics/index.ts";
import { accuracyMetric } from "../../plugins/metrics/index.ts";
import { FsRunStore } from "../../plugins/platform/node/run-store.ts";
import { xfer } from "../store/helpers.ts";
import { writePredictionsRecipe } from "../store/predictions-recipe.ts";

let out: string;
let pair: { id: string; predictions: RunPredictions }[];
let other: { id: string; predictions: RunPredictions };

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), "xfer-compare-"));
  out = join(root, "runs");
  // Two learning rates on one test set; a third run on another split of more images.
  for (const [name, opts] of [["same-test-set", { perClass: 40, lrs: [0.1, 0.02] }], ["other-test-set", { perClass: 44, lrs: [0.02] }]] as const) {
    const run = await xfer(["run", await writePredictionsRecipe(root, name, opts), "--out", out, "--backend", "cpu"]);
    expect(run.status, run.stderr).toBe(0);
  }
  const store = new FsRunStore(join(out, "same-test-set"));
  pair = await Promise.all((await store.list()).map(async (id) => ({ id, predictions: (await store.predictions(id))! })));
  const otherStore = new FsRunStore(join(out, "other-test-set"));
  const [otherId] = await otherStore.list();
  other = { id: otherId, predictions: (await otherStore.predictions(otherId))! };
}, 300_000);

describe("xfer compare --mcnemar", () => {
  it("prints b, c, the exact p, the corrected chi-square and both runs' bootstrap intervals", async () => {
    const [a, b] = pair;
    const text = await xfer(["compare", a.id.slice(0, 10), b.id.slice(0, 10), "--out", out, "--mcnemar", "--resamples", "500", "--seed", "3"]);
    expect(text.status, text.stderr).toBe(0);
    const bAligned = pairPredictions(a.predictions, b.predictions).b;
    const labels = a.predictions.labels as number[];
    const expected = mcnemarFromPredictions(labels, argmaxRows(a.predictions.scores), argmaxRows(bAligned.scores));
    // The two runs must disagree somewhere, or the test would not see the counts.
    expect(expected.b + expected.c).toBeGreaterThan(0);
    const chi2 = mcnemar({ b: expected.b, c: expected.c }, { exact: false });
    const accuracy = accuracyMetric.build();
    const [ia, ib] = [a.predictions, bAligned].map((p) => bootstrapMetric(p, accuracy, { resamples: 500, seed: 3 }));
    const f = (v: number) => v.toFixed(4);
    expect(text.stdout).toContain([
      `paired on the test split: ${labels.length} samples with the same ids in both runs`,
      `  McNemar: b = ${expected.b} (A right, B wrong), c = ${expected.c} (A wrong, B right)`,
      `  exact: p = ${f(expected.p)}`,
      `  chi-square with continuity correction: ${f(chi2.statistic)}, p = ${f(chi2.p)}`,
      "  accuracy (selection metric), 95% percentile bootstrap interval (500 resamples, seed 3):",
    ].join("\n"));
    expect(text.stdout).toMatch(new RegExp(`\\n {4}A +${f(ia.estimate)} +${f(ia.lower)} +${f(ia.upper)}\\n {4}B +${f(ib.estimate)} +${f(ib.lower)} +${f(ib.upper)}\\n`));
  }, 120_000);

  it("refuses runs scored on different test sets, naming the first sample id that differs", async () => {
    const text = await xfer(["compare", pair[0].id, other.id, "--out", out, "--mcnemar"]);
    expect(text.status).toBe(1);
    const first = pair[0].predictions.ids.find((id) => !other.predictions.ids.includes(id));
    expect(first).toBeDefined();
    expect(text.stderr).toContain(`pairPredictions: sample "${first}" of A is not among B's `);
  }, 120_000);

  it("refuses bad flag values", async () => {
    const text = await xfer(["compare", pair[0].id, pair[1].id, "--out", out, "--mcnemar", "--resamples", "0"]);
    expect(text.status).toBe(1);
    expect(text.stderr).toContain('compare: --resamples: expected an integer >= 1, got "0"');
  }, 120_000);
});
