/**
 * The input pipeline: step k + 1's batch is prepared while step k computes, by the Node runtime's
 * sample worker threads once a batch is slow enough on the main thread. Whatever prepares the
 * batches, and in whatever order its samples finish, the run stores the same bytes; a file that
 * fails to decode in a prefetched batch still fails the run naming the file; a run stopped with a
 * batch prefetched leaves no tensor behind.
 */
import * as tf from "@tensorflow/tfjs-core";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createRunContainer, defineRecipe, executeRun, parseConfig, plan, RunStopped, runPlan, type RunTemplate, type TrainProgress,
} from "../../core/index.ts";
import { SeedTree } from "../../core/rng.ts";
import { createNodeRoot, FsRunStore, NodeSampleWorkers, type SampleWorkers } from "../../plugins/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { cpuEnvironment } from "../helpers/plugins.ts";

const CLASSES = 3;
const PER_CLASS = 8;
let data: string;

/** Noisy 40x48 JPEGs in ImageFolder layout, seeded. */
beforeAll(async () => {
  data = await mkdtemp(join(tmpdir(), "xfer-sample-workers-"));
  const seeds = new SeedTree(11);
  for (let c = 0; c < CLASSES; c++) {
    await mkdir(join(data, `c${c}`));
    for (let i = 0; i < PER_CLASS; i++) {
      const rng = seeds.stream("image", c, i);
      const pixels = Uint8Array.from({ length: 40 * 48 * 3 }, (_, k) => (k % 3 === c ? 160 : 60) + rng.int(60));
      await writeFile(join(data, `c${c}`, `${i}.jpg`), await sharp(pixels, { raw: { width: 48, height: 40, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
    }
  }
});
afterAll(() => rm(data, { recursive: true, force: true }));

const template = {
  dataset: { name: "image-folder" },
  splitter: { name: "stratified-holdout", options: { valFraction: 0.25 } },
  backbone: { name: "tinycnn.random", options: { inputSize: 16, channels: 3, widths: [4, 8], hidden: 8 } },
  optimizer: { name: "sgd" },
  schedule: { name: "constant" },
  augment: {
    train: [{ name: "random-resized-crop", options: { size: 16 } }, { name: "horizontal-flip" }],
    eval: [{ name: "resize-center-crop", options: { resize: 16, crop: 16 } }],
  },
  metrics: ["accuracy"],
  training: { epochs: 2, batchSize: 6, lr: 0.05, weightDecay: 0 },
  seed: 4,
} satisfies RunTemplate;

/** Trains the template's run into a fresh folder; returns its result, checkpoint bytes and progress events. */
async function trainWith(sampleWorkers: SampleWorkers | false, dataRoot = data, run: RunTemplate = template) {
  const out = await mkdtemp(join(tmpdir(), "xfer-sample-workers-runs-"));
  const progress: TrainProgress[] = [];
  const logger = { progress: (event: TrainProgress) => void progress.push(event), runDone: () => {} };
  try {
    const config = parseConfig({ dataRoots: { "image-folder": dataRoot } }, "test");
    const root = createNodeRoot({ config, runDir: out, environment: await cpuEnvironment(), logger, sampleWorkers });
    const outcome = await runPlan(root, plan(defineRecipe({ name: "sample-workers", description: "", template: run })));
    if (outcome.failed.length > 0) return { failure: outcome.failed[0].failure.message, progress };
    const [result] = outcome.results;
    return { result, checkpoint: await readFile(join(out, result.hash, result.checkpoint!.path)), progress };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** Worker threads for the images under `dataRoot`, used once a batch takes `afterMs` on the main thread. */
const pool = (afterMs: number, dataRoot: string, threads = 1) =>
  new NodeSampleWorkers({ registry: builtinRegistry(), dataRoots: { "image-folder": dataRoot }, allowedDataDirs: [], threads, afterMs });

/** Two started threads (loading the plugins takes seconds), used from a run's second batch on, shared by the tests that need no other. */
let shared: NodeSampleWorkers;
beforeAll(async () => {
  shared = pool(0, data, 2);
  await shared.start();
}, 120_000);
afterAll(() => shared.close());

describe("the input pipeline", () => {
  it("stores the same bytes whether batches are prepared on the main thread or by two worker threads", async () => {
    const main = await trainWith(false);
    const rows = shared.rows;
    const threaded = await trainWith(shared);
    // 18 train samples in batches of 6, 2 epochs: the first batch on the main thread, the other 5 x 6 in the threads.
    expect(shared.rows - rows).toBe(30);
    expect(threaded.failure).toBeUndefined();
    expect(threaded.result!.epochs).toEqual(main.result!.epochs.map((e) => ({ ...e, seconds: threaded.result!.epochs[e.epoch - 1].seconds })));
    expect(Buffer.compare(threaded.checkpoint!, main.checkpoint!)).toBe(0);
    expect(threaded.progress.map((p) => p.loss)).toEqual(main.progress.map((p) => p.loss));
  }, 120_000);

  it("rebuilds a dataset that reads no files (synthetic, no data root) in the threads too", async () => {
    const synthetic = { ...template, dataset: { name: "synthetic", options: { classes: 3, perClass: 8, size: 20, channels: 3 } } };
    const rows = shared.rows;
    const threaded = await trainWith(shared, data, synthetic);
    expect(threaded.failure).toBeUndefined();
    expect(shared.rows - rows).toBe(30);
    expect(Buffer.compare(threaded.checkpoint!, (await trainWith(false, data, synthetic)).checkpoint!)).toBe(0);
  }, 120_000);

  it("keeps batches on the main thread while they are quick to prepare", async () => {
    const workers = pool(60_000, data);
    const { result } = await trainWith(workers);
    expect(result!.bestEpoch).toBeGreaterThan(0);
    expect(workers.rows).toBe(0);
  }, 120_000);

  it("fails the run naming a file that does not decode in a prefetched batch, on either path", async () => {
    const broken = await mkdtemp(join(tmpdir(), "xfer-sample-workers-broken-"));
    try {
      for (let c = 0; c < CLASSES; c++) {
        await mkdir(join(broken, `c${c}`));
        for (let i = 0; i < PER_CLASS; i++) await writeFile(join(broken, `c${c}`, `${i}.jpg`), await readFile(join(data, `c${c}`, `${i}.jpg`)));
      }
      // Every file is in some train batch after the first, or in val: truncate one of each class.
      for (let c = 0; c < CLASSES; c++) await writeFile(join(broken, `c${c}`, "3.jpg"), (await readFile(join(data, `c${c}`, "3.jpg"))).subarray(0, 300));
      const workers = pool(0, broken);
      await workers.start();
      const threaded = await trainWith(workers, broken);
      await workers.close();
      expect(threaded.failure).toMatch(/c\d[/\\]3\.jpg.*cannot decode image/);
      expect((await trainWith(false, broken)).failure).toMatch(/c\d[/\\]3\.jpg.*cannot decode image/);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  }, 120_000);

  it("a run stopped after its first step, with the second batch prefetched, leaves no tensor behind", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-sample-workers-stop-"));
    const workers = shared;
    const rows = shared.rows;
    try {
      let steps = 0;
      const config = parseConfig({ dataRoots: { "image-folder": data } }, "test");
      const logger = { progress: () => void steps++, runDone: () => {} };
      const root = createNodeRoot({ config, runDir: out, environment: await cpuEnvironment(), logger, sampleWorkers: workers });
      const [{ hash, spec }] = plan(defineRecipe({ name: "sample-workers", description: "", template }));
      const before = tf.memory().numTensors;
      const run = await createRunContainer(root, hash, spec);
      const attempt = await new FsRunStore(out).begin(hash, spec as never, await cpuEnvironment());
      await expect(executeRun(run, attempt, { shouldStop: () => steps >= 1 })).rejects.toBeInstanceOf(RunStopped);
      expect(steps).toBe(1);
      // Step 2's batch was prefetched by the threads; once its rows are in (and stacked, a tick
      // later), nothing of it may be left: executeRun disposed the backbone and optimizer, the trainer the batch.
      await vi.waitFor(() => expect(workers.rows - rows).toBe(6), { timeout: 60_000 });
      await new Promise((settle) => setTimeout(settle, 100));
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);
});
