// Figure 4's intervals from xfer's own runs: predictionIntervals bootstraps each cell's metric over
// its run's stored predictions (read back from a run store), and transfer-trends draws them for
// every task, keeping Clopper-Pearson only for published accuracies without predictions.
import { describe, expect, it } from "vitest";
import { clopperPearson } from "../../core/stats/index.ts";
import {
  contentHash, MemoryRunStore, type EnvironmentRecord, type JsonObject, type RunPredictions, type RunResult,
} from "../../core/index.ts";
import { parseResultsTable, predictionIntervals, runStoreSource, type AnalysisReport } from "../../core/analysis/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { SeedTree } from "../../core/rng.ts";
import { bootstrapMetric } from "../../core/stats/index.ts";
import { accuracyMetric, macroF1Metric } from "../../plugins/metrics/index.ts";
import transferTrends from "../../recipes/transfer-trends/recipe.ts";

const environment: EnvironmentRecord = { backend: "cpu", backendVersion: "1", threads: 1, runtime: "test", platform: "test", versions: {} };

/** n test predictions, right on the first `right` samples (3 classes). */
function predictionsRight(n: number, right: number): RunPredictions {
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  return {
    split: "test",
    ids: labels.map((_, i) => `sample-${i}`),
    labels,
    scores: labels.map((y, i) => [0, 1, 2].map((c) => (c === (i < right ? y : (y + 1) % 3) ? 0.8 : 0.1))),
  };
}

/** Publishes a run in the store (with predictions unless none) and returns its id. */
async function storedRun(store: MemoryRunStore, name: string, predictions: RunPredictions | undefined): Promise<string> {
  const spec: JsonObject = { recipe: "intervals", seed: 0, point: { name } };
  const id = contentHash(spec);
  const attempt = await store.begin(id, spec, environment);
  await attempt.putCheckpoint([{ name: "w", shape: [1], data: new Float32Array([1]) }]);
  if (predictions) await attempt.putPredictions(predictions);
  await attempt.finish(resultOf(id));
  return id;
}

function resultOf(id: string): RunResult {
  return {
    hash: id, recipe: "intervals", bestEpoch: 1, best: { accuracy: 0.5 }, seconds: 1, seeds: { root: "0" }, environment,
    epochs: [{ epoch: 1, trainLoss: 1, selection: { accuracy: 0.5 }, seconds: 1 }],
  };
}

// Four models x two tasks: Cassava (a paper dataset, in percent) and "stripes" (0-1). Model m4's
// Cassava run predates kept predictions.
const MODELS = [["m1", 72, 60, 40], ["m2", 75, 70, 45], ["m3", 78, 75, 48], ["m4", 81, 80, 50]] as const;
const N = 100;

async function fixture() {
  const store = new MemoryRunStore();
  const rows = [];
  const records: string[][] = [];
  for (const [model, imagenet, cassavaRight, stripesRight] of MODELS) {
    const cassava = await storedRun(store, `${model}/cassava`, model === "m4" ? undefined : predictionsRight(N, cassavaRight));
    const stripes = await storedRun(store, `${model}/stripes`, predictionsRight(N, stripesRight));
    rows.push({ model, runs: { Cassava: cassava, stripes } });
    records.push([model, String(imagenet), String(cassavaRight), String(stripesRight / N)]);
  }
  const table = parseResultsTable({ source: "best runs", header: ["model", "imagenet_top1", "Cassava", "stripes"], records }, { scales: { stripes: "unit" } });
  return { store, rows, table };
}

function tableRows(report: AnalysisReport, key: string) {
  return report.tables.find((t) => t.key === key)!.rows;
}

describe("predictionIntervals", () => {
  it("bootstraps each cell's metric over its run's stored predictions, on 0-100, one named stream per cell", async () => {
    const { store, rows } = await fixture();
    const accuracy = accuracyMetric.build();
    const source = { predictions: (run: string) => store.predictions(run), metric: async () => accuracy };
    const { intervals, without } = await predictionIntervals(rows, source, { seed: 7, resamples: 300 });
    expect(intervals.map((i) => `${i.task}/${i.model}`)).toEqual(["Cassava/m1", "stripes/m1", "Cassava/m2", "stripes/m2", "Cassava/m3", "stripes/m3", "stripes/m4"]);
    expect(without).toEqual([{ task: "Cassava", model: "m4", reason: `run ${rows[3].runs.Cassava} kept no predictions` }]);
    for (const i of intervals) {
      const expected = bootstrapMetric((await store.predictions(i.run!))!, accuracy, { resamples: 300, seed: new SeedTree(7).stream(`bootstrap/${i.task}/${i.model}`) });
      expect([i.value, i.lower, i.upper]).toEqual([100 * expected.estimate, 100 * expected.lower, 100 * expected.upper]);
      expect([i.n, i.method, i.metric, i.resamples]).toEqual([N, "bootstrap", "accuracy", 300]);
    }
    // The same cell in another table keeps its interval: the stream is the cell's, not the order's.
    const alone = await predictionIntervals([rows[2]], source, { seed: 7, resamples: 300 });
    expect(alone.intervals[0]).toEqual(intervals[4]);
  });

  it("reads each run's selection metric from its dataset through a run store (runStoreSource)", async () => {
    const store = new MemoryRunStore();
    const spec: JsonObject = { recipe: "intervals", seed: 0, dataset: { name: "synthetic", options: { classes: 3 } }, point: {} };
    const id = contentHash(spec);
    const attempt = await store.begin(id, spec, environment);
    await attempt.putCheckpoint([{ name: "w", shape: [1], data: new Float32Array([1]) }]);
    await attempt.putPredictions(predictionsRight(N, 70));
    await attempt.finish(resultOf(id));
    const source = runStoreSource(store, builtinRegistry());
    expect((await source.metric(id)).name).toBe("accuracy");
    // Without `resamples`, a figure's default of 1,000 per cell.
    const { intervals } = await predictionIntervals([{ model: "m", runs: { stripes: id } }], source, { seed: 0 });
    expect(intervals.map((i) => [i.metric, i.value, i.resamples])).toEqual([["accuracy", 70, 1000]]);
    await expect(source.metric(contentHash({ other: 1 }))).rejects.toThrow(/run [0-9a-f]{64} is not done in the run store/);
  });

  it("leaves out a metric fitted on the selection split, saying why", async () => {
    const { store, rows } = await fixture();
    const { intervals, without } = await predictionIntervals([rows[0]], { predictions: (run) => store.predictions(run), metric: async () => macroF1Metric.build() }, { seed: 0 });
    expect(intervals).toEqual([]);
    expect(without.map((w) => w.reason)).toEqual(Array(2).fill('metric "macro-f1" fits thresholds on the selection split, whose predictions are not stored'));
  });
});

describe("transfer-trends with bootstrap intervals", () => {
  it("draws Figure 4 for every task from the bootstrap, Clopper-Pearson only where a published accuracy has no predictions", async () => {
    const { store, rows, table } = await fixture();
    const { intervals } = await predictionIntervals(rows, { predictions: (run) => store.predictions(run), metric: async () => accuracyMetric.build() }, { seed: 0, resamples: 200 });
    const report = await transferTrends.analyze({ results: table, seed: 0, intervals });
    const ci = new Map(tableRows(report, "accuracy_ci").map((r) => [r.key, r.cells]));
    expect([...ci.keys()].sort()).toEqual(["Cassava / m1", "Cassava / m2", "Cassava / m3", "Cassava / m4", "stripes / m1", "stripes / m2", "stripes / m3", "stripes / m4"]);
    for (const i of intervals) {
      const cells = ci.get(`${i.task} / ${i.model}`)!;
      expect([cells.value.recomputed, cells.lower.recomputed, cells.upper.recomputed, cells.resamples.recomputed]).toEqual([i.value, i.lower, i.upper, 200]);
    }
    // m4's Cassava run kept no predictions: its published-style accuracy gets Clopper-Pearson on the reference size.
    const cp = clopperPearson(Math.round(0.8 * 4277), 4277);
    const m4 = ci.get("Cassava / m4")!;
    expect([m4.value.recomputed, m4.n.recomputed, m4.lower.recomputed, m4.upper.recomputed, m4.resamples.recomputed]).toEqual([80, 4277, 100 * cp.lower, 100 * cp.upper, null]);
    const figure = report.figures.find((f) => f.key === "figure4")!;
    const points = (figure.spec as { data: { values: { dataset: string; model: string; x: number; method: string }[] } }).data.values;
    expect(points.filter((p) => p.method === "bootstrap").map((p) => `${p.dataset}/${p.model}@${p.x}`)).toEqual(intervals.map((i) => `${i.task}/${i.model}@${MODELS.find(([m]) => m === i.model)![1]}`));
    expect(report.notes.some((n) => n.startsWith("Intervals of Cassava, stripes are percentile bootstraps of the runs' stored test predictions"))).toBe(true);
  });

  it("keeps Clopper-Pearson alone on the published table (no predictions)", async () => {
    const report = await transferTrends.analyze({ seed: 0 });
    const keys = tableRows(report, "accuracy_ci").map((r) => r.key);
    expect(keys.every((k) => k.startsWith("Cassava / ") || k.startsWith("EuroSAT / "))).toBe(true);
    expect(tableRows(report, "accuracy_ci").every((r) => r.cells.resamples.recomputed === null)).toBe(true);
  });
});
