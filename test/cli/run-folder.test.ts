// What a finished run folder tells (times, split sizes and manifest hash, per-class metrics and
// confusion matrices, validation loss and learning rate per epoch), read back from a run of the
// real CLI; and a folder that was started but never finished is told apart from a run.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { contentHash, type JsonObject, type RunResult } from "../../core/index.ts";
import { FsRunStore } from "../../plugins/platform/node/run-store.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");
const RECIPE = join(ROOT, "fixtures/recipes/tiny-test-split");

function xfer(args: string[]) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", cwd: ROOT, timeout: 120_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

let out: string;
let runDir: string;
let result: RunResult;
let before: number;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "xfer-run-folder-"));
  before = Date.now();
  const ran = xfer(["run", RECIPE, "--out", out, "--backend", "wasm"]);
  expect(ran.code, ran.err).toBe(0);
  const [id] = readdirSync(join(out, "tiny-test-split")).filter((e) => /^[0-9a-f]{64}$/.test(e));
  runDir = join(out, "tiny-test-split", id);
  result = JSON.parse(readFileSync(join(runDir, "result.json"), "utf8"));
}, 120_000);

const total = (matrix: readonly (readonly number[])[]) => matrix.flat().reduce((a, b) => a + b, 0);
const diagonal = (matrix: readonly (readonly number[])[]) => matrix.reduce((a, row, i) => a + row[i], 0);

describe("a finished run folder", () => {
  it("records wall-clock start and end times", () => {
    const started = Date.parse(result.startedAt!);
    const ended = Date.parse(result.endedAt!);
    expect(result.startedAt).toBe(new Date(started).toISOString());
    expect(started).toBeGreaterThanOrEqual(before - 1000);
    expect(ended).toBeGreaterThanOrEqual(started);
    expect(ended).toBeLessThanOrEqual(Date.now());
  });

  it("records split sizes and the hash of the manifest `xfer splits make` writes for the same split", () => {
    expect(result.data).toMatchObject({ train: 45, val: 24, test: 21 });
    // The synthetic dataset reads no files: no data root to record.
    expect(result.data!.root).toBeUndefined();
    const manifest = join(out, "manifest.json");
    const made = xfer([
      "splits", "make", "synthetic", "--dataset-options", JSON.stringify({ classes: 3, perClass: 30, size: 8 }),
      "--splitter", "stratified-holdout", "--splitter-options", JSON.stringify({ valFraction: 0.25, testFraction: 0.25 }), "--seed", "1", "--root", out, "--out", manifest,
    ]);
    expect(made.code, made.err).toBe(0);
    expect(result.data!.splitManifestSha256).toBe(contentHash(JSON.parse(readFileSync(manifest, "utf8")) as JsonObject));
  });

  it("records per-class metrics and confusion matrices that agree with the stored accuracies", () => {
    const { val, test } = result.evaluation!;
    for (const [split, evaluation, accuracy, count] of [["val", val, result.best.accuracy, 24], ["test", test!, result.test!.accuracy, 21]] as const) {
      expect(evaluation.samples, split).toBe(count);
      expect(total(evaluation.confusion!), split).toBe(count);
      expect(diagonal(evaluation.confusion!) / count, split).toBeCloseTo(accuracy, 12);
      expect(evaluation.perClass.map((c) => c.class)).toEqual(["pattern-0", "pattern-1", "pattern-2"]);
      expect(evaluation.perClass.map((c) => c.support)).toEqual(evaluation.confusion!.map((row) => row.reduce((a, b) => a + b, 0)));
      evaluation.perClass.forEach((c, i) => expect(c.recall).toBeCloseTo(evaluation.confusion![i][i] / c.support, 12));
    }
    // Val is recorded as scored at the best epoch.
    expect(val.loss).toBe(result.epochs[result.bestEpoch - 1].valLoss);
  });

  it("streams validation loss and learning rate per epoch in epochs.jsonl, as in the result", () => {
    const attemptDir = join(runDir, "attempts", result.attempt!);
    const lines = readFileSync(join(attemptDir, "epochs.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toEqual(result.epochs);
    expect(lines).toHaveLength(6);
    for (const line of lines) {
      expect(Number.isFinite(line.valLoss)).toBe(true);
      expect(line.valLoss).toBeGreaterThan(0);
    }
    // Cosine annealing per epoch from lr 0.1 over 6 epochs.
    expect(lines.map((l) => l.lr.start)).toEqual(lines.map((l) => l.lr.end));
    lines.forEach((l, i) => expect(l.lr.start).toBeCloseTo((0.1 * (1 + Math.cos((Math.PI * i) / 6))) / 2, 12));
  });
});

describe("a run folder started but never finished", () => {
  it("is unfinished to the store's status, absent to lookup and list, and listed by unfinished()", async () => {
    const store = new FsRunStore(join(out, "tiny-test-split"));
    const done = readdirSync(join(out, "tiny-test-split")).filter((e) => /^[0-9a-f]{64}$/.test(e));
    // A start that failed right after begin(): spec and environment written, no epoch, no result.
    const id = "0".repeat(64);
    const attempt = await store.begin(id, { recipe: "tiny-test-split", seed: 1 }, result.environment);
    expect(await store.status(id)).toEqual({ state: "unfinished", attempts: [attempt.id] });
    expect(await store.lookup(id)).toEqual({ state: "absent" });
    expect(await store.list()).toEqual(done);
    expect(await store.unfinished()).toEqual([id]);
    expect((await store.status(done[0])).state).toBe("done");
    expect(await store.status("f".repeat(64))).toEqual({ state: "absent" });
  });
});

describe("xfer curves", () => {
  it("writes curves.vl.json, .svg and .png of the runs' epochs into <out>/<recipe>/report", () => {
    const drawn = xfer(["curves", RECIPE, "--out", out]);
    expect(drawn.code, drawn.err).toBe(0);
    const report = join(out, "tiny-test-split", "report");
    const spec = JSON.parse(readFileSync(join(report, "curves.vl.json"), "utf8"));
    const label = result.hash.slice(0, 8);
    const rows = spec.data.values as { run: string; epoch: number; quantity: string; value: number }[];
    const series = (quantity: string) => rows.filter((r) => r.quantity === quantity && r.run === label).map((r) => r.value);
    expect(series("training loss")).toEqual(result.epochs.map((e) => e.trainLoss));
    expect(series("validation loss")).toEqual(result.epochs.map((e) => e.valLoss));
    expect(series("validation accuracy")).toEqual(result.epochs.map((e) => e.selection.accuracy));
    expect(series("learning rate")).toEqual(result.epochs.map((e) => e.lr!.start));
    const svg = readFileSync(join(report, "curves.svg"), "utf8");
    for (const text of ["training loss", "validation loss", "validation accuracy", "learning rate", label]) expect(svg).toContain(`>${text}</text>`);
    expect(readFileSync(join(report, "curves.png")).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });

  it("names a --runs id it cannot find and the runs there are", () => {
    const failed = xfer(["curves", RECIPE, "--out", out, "--runs", "abcdef12"]);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain(`no finished run "abcdef12"`);
    expect(failed.err).toContain(result.hash.slice(0, 12));
  });
});

describe("xfer evaluate", () => {
  it("re-scores the stored checkpoint on test and reproduces the stored test metrics and per-class scores exactly", () => {
    const scored = xfer(["evaluate", RECIPE, result.hash.slice(0, 12), "--out", out, "--split", "test", "--json"]);
    expect(scored.code, scored.err).toBe(0);
    const report = JSON.parse(scored.out);
    expect(report.run).toBe(result.hash);
    expect(report.metrics).toEqual(result.test);
    expect(report.evaluation).toEqual(result.evaluation!.test);
  });

  it("reproduces val as scored at the best epoch, and says so in its text output", () => {
    const scored = xfer(["evaluate", RECIPE, result.hash.slice(0, 12), "--out", out, "--split", "val", "--json"]);
    expect(scored.code, scored.err).toBe(0);
    const report = JSON.parse(scored.out);
    expect(report.metrics).toEqual(result.best);
    expect(report.evaluation).toEqual(result.evaluation!.val);
    const text = xfer(["evaluate", RECIPE, result.hash.slice(0, 12), "--out", out, "--split", "val"]);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(new RegExp(`accuracy\\s+${result.best.accuracy} \\(as stored\\)`));
    expect(text.out).toContain("pattern-2");
  });

  it("refuses a run that was started but never finished, naming it", () => {
    // The folder the "started but never finished" test above began.
    const failed = xfer(["evaluate", RECIPE, "000000000000", "--out", out]);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain("was started but never finished");
  });
});
