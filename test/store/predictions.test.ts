/**
 * Kept predictions (predictions.safetensors): a run trained by the `xfer` process stores its test
 * predictions where its result names them, and the store reads back exactly what the metrics
 * scored; a damaged or altered file makes the run damaged, or is refused with the file and the
 * reason; the codec round-trips any predictions (fast-check) and rejects what it did not write;
 * the in-memory store keeps them the same way.
 */
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { contentHash, MemoryRunStore, type EnvironmentRecord, type JsonObject, type RunPredictions, type RunResult } from "../../core/index.ts";
import { writeSafetensors } from "../../core/formats/safetensors.ts";
import { decodePredictions, encodePredictions, PREDICTIONS_METADATA_KEY } from "../../core/train/predictions.ts";
import { flippedByte } from "../../fixtures/generators/damaged-run-files.ts";
import { accuracyMetric, qwkMetric } from "../../plugins/metrics/index.ts";
import { FsRunStore } from "../../plugins/platform/node/run-store.ts";
import { xfer } from "./helpers.ts";
import { writePredictionsRecipe } from "./predictions-recipe.ts";

const NAME = "kept-predictions";
let out: string;
let runDir: string;
let id: string;
let result: RunResult;

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), "xfer-predictions-"));
  const recipe = await writePredictionsRecipe(root, NAME, { perClass: 40, lrs: [0.02] });
  out = join(root, "runs");
  const run = await xfer(["run", recipe, "--out", out, "--backend", "cpu", "--jobs", "1"]);
  expect(run.status, run.stderr).toBe(0);
  const ids = await new FsRunStore(join(out, NAME)).list();
  expect(ids).toHaveLength(1);
  id = ids[0];
  runDir = join(out, NAME, id);
  result = JSON.parse(await readFile(join(runDir, "result.json"), "utf8")) as RunResult;
}, 300_000);

/** A copy of the run's output folder, to damage without touching the others' run. */
async function copyOfRun(): Promise<{ store: FsRunStore; dir: string }> {
  const copy = await mkdtemp(join(tmpdir(), "xfer-predictions-copy-"));
  await cp(join(out, NAME), copy, { recursive: true });
  return { store: new FsRunStore(copy), dir: join(copy, id) };
}

describe("predictions of a run trained by `xfer run`", () => {
  it("lie in the attempt's folder, named by the result with their SHA-256", async () => {
    expect(result.predictions?.path).toBe(`attempts/${result.attempt}/predictions.safetensors`);
    const bytes = await readFile(join(runDir, result.predictions!.path));
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(result.predictions!.sha256);
  });

  it("are the test split's samples, and recompute the result's test metrics exactly", async () => {
    const predictions = (await new FsRunStore(join(out, NAME)).predictions(id))!;
    expect(predictions.split).toBe("test");
    // 3 classes x 40 images, a quarter held out for test.
    expect(predictions.ids).toHaveLength(30);
    expect(new Set(predictions.ids).size).toBe(30);
    expect([...new Set(predictions.labels as number[])].sort()).toEqual([0, 1, 2]);
    for (const row of predictions.scores) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(accuracyMetric.build().compute(predictions.labels, predictions.scores)).toBe(result.test!.accuracy);
    expect(qwkMetric.build().compute(predictions.labels, predictions.scores)).toBe(result.test!.qwk);
  });

  it("a flipped bit makes the run damaged on lookup, naming the file, like a damaged checkpoint", async () => {
    const { store, dir } = await copyOfRun();
    const file = join(dir, result.predictions!.path);
    await writeFile(file, flippedByte(await readFile(file), "predictions").bytes);
    const found = await store.lookup(id);
    expect(found.state).toBe("damaged");
    expect(found.state === "damaged" && found.problem).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: SHA-256 [0-9a-f]{64} differs from ${result.predictions!.sha256} recorded in result.json`));
    expect(await store.predictions(id)).toBeUndefined();
  });

  it("an altered file whose hash was written into result.json is refused when read, naming the file and the sample", async () => {
    const { store, dir } = await copyOfRun();
    const file = join(dir, result.predictions!.path);
    const kept = decodePredictions(await readFile(file), file);
    const scores = kept.scores.map((row, i) => (i === 3 ? [Number.NaN, ...row.slice(1)] : row));
    const altered = writeSafetensors(
      new Map([["scores", { shape: [scores.length, 3], data: Float32Array.from(scores.flat()) }], ["labels", { shape: [scores.length], data: Float32Array.from(kept.labels as number[]) }]]),
      { [PREDICTIONS_METADATA_KEY]: JSON.stringify({ format: 1, split: "test", ids: kept.ids, multilabel: false }) },
    );
    await writeFile(file, altered);
    const resultFile = join(dir, "result.json");
    const edited = { ...result, predictions: { ...result.predictions!, sha256: createHash("sha256").update(altered).digest("hex") } };
    await writeFile(resultFile, JSON.stringify(edited));
    expect((await store.lookup(id)).state).toBe("done");
    await expect(store.predictions(id)).rejects.toThrow(`${file}: score of sample ${kept.ids[3]} is NaN; expected a finite number`);
  });
});

const row = (k: number) => fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: k, maxLength: k });
const singleLabel = fc.integer({ min: 1, max: 6 }).chain((k) =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: k - 1 }), row(k)), { maxLength: 20 }).map((rows) => ({ k, labels: rows.map(([y]) => y) as RunPredictions["labels"], scores: rows.map(([, s]) => s) })));
const multiLabel = fc.integer({ min: 1, max: 6 }).chain((k) =>
  fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: k, maxLength: k }), row(k)), { minLength: 1, maxLength: 20 })
    .map((rows) => ({ k, labels: rows.map(([y]) => y) as RunPredictions["labels"], scores: rows.map(([, s]) => s) })));

describe("the predictions codec", () => {
  it("round-trips single-label and multilabel predictions of either split", () => {
    fc.assert(fc.property(fc.oneof(singleLabel, multiLabel), fc.constantFrom("test" as const, "val" as const), ({ labels, scores }, split) => {
      // Sample ids as datasets write them: any text, unique.
      const predictions: RunPredictions = { split, ids: labels.map((_, i) => `img/${i}.png`), labels, scores };
      expect(decodePredictions(encodePredictions(predictions), "p.safetensors")).toEqual(predictions);
    }), { seed: 17, numRuns: 100 });
  });

  const base = { scores: { shape: [2, 2], data: new Float32Array([0.9, 0.1, 0.2, 0.8]) }, labels: { shape: [2], data: new Float32Array([0, 1]) } };
  const meta = { format: 1, split: "test", ids: ["a", "b"], multilabel: false };
  const file = (tensors: Record<string, { shape: number[]; data: Float32Array }>, metadata: Record<string, unknown> | undefined) =>
    writeSafetensors(new Map(Object.entries(tensors)), metadata === undefined ? {} : { [PREDICTIONS_METADATA_KEY]: JSON.stringify(metadata) });
  const bad: [string, Uint8Array, RegExp][] = [
    ["no metadata", file(base, undefined), /no "xfer\.predictions" metadata; not a predictions file xfer wrote/],
    ["another format", file(base, { ...meta, format: 2 }), /predictions metadata: format: /],
    ["repeated ids", file(base, { ...meta, ids: ["a", "a"] }), /sample ids repeat/],
    ["fewer ids than rows", file(base, { ...meta, ids: ["a"] }), /scores have shape \[2, 2\]; expected \[1, classes\]/],
    ["a label out of range", file({ ...base, labels: { shape: [2], data: new Float32Array([0, 2]) } }, meta), /label of sample b is 2; expected a whole number in 0\.\.1/],
    ["an infinite score", file({ ...base, scores: { shape: [2, 2], data: new Float32Array([0.9, 0.1, Infinity, 0.8]) } }, meta), /score of sample b is Infinity/],
    ["an extra tensor", file({ ...base, extra: { shape: [1], data: new Float32Array([0]) } }, meta), /expected exactly the tensors "scores" and "labels", found /],
    ["multilabel rows of the wrong width", file(base, { ...meta, multilabel: true }), /labels have shape \[2\]; expected \[2, 2\]/],
  ];
  for (const [what, bytes, message] of bad) {
    it(`rejects ${what}, naming the file`, () => {
      expect(() => decodePredictions(bytes, "runs/x/predictions.safetensors")).toThrow(/^runs\/x\/predictions\.safetensors: /);
      expect(() => decodePredictions(bytes, "runs/x/predictions.safetensors")).toThrow(message);
    });
  }
});

describe("MemoryRunStore", () => {
  const spec: JsonObject = { recipe: "memory-predictions", seed: 0, point: {} };
  const runId = contentHash(spec);
  const environment: EnvironmentRecord = { backend: "cpu", backendVersion: "1", threads: 1, runtime: "test", platform: "test", versions: {} };
  const finished = (hash: string): RunResult => ({
    hash, recipe: "memory-predictions", bestEpoch: 1, best: { accuracy: 0.5 }, seconds: 1, seeds: { root: "0" }, environment,
    epochs: [{ epoch: 1, trainLoss: 1, selection: { accuracy: 0.5 }, seconds: 1 }],
  });
  const predictions: RunPredictions = { split: "val", ids: ["a", "b"], labels: [1, 0], scores: [[0.25, 0.75], [0.5, 0.5]] };

  it("names the predictions in the result and reads them back checked once the run is published", async () => {
    const store = new MemoryRunStore();
    const attempt = await store.begin(runId, spec, environment);
    await attempt.putCheckpoint([{ name: "w", shape: [1], data: new Float32Array([1]) }]);
    await attempt.putPredictions(predictions);
    expect(await store.predictions(runId)).toBeUndefined();
    const outcome = await attempt.finish(finished(runId));
    expect(outcome.result.predictions).toEqual({ path: `attempts/${attempt.id}/predictions.safetensors`, sha256: createHash("sha256").update(encodePredictions(predictions)).digest("hex") });
    expect(await store.predictions(runId)).toEqual(predictions);
  });

  it("has none for a run that stored none", async () => {
    const store = new MemoryRunStore();
    const other = contentHash({ ...spec, seed: 1 });
    const attempt = await store.begin(other, { ...spec, seed: 1 }, environment);
    await attempt.putCheckpoint([{ name: "w", shape: [1], data: new Float32Array([1]) }]);
    const outcome = await attempt.finish(finished(other));
    expect(outcome.result.predictions).toBeUndefined();
    expect(await store.predictions(other)).toBeUndefined();
  });
});
