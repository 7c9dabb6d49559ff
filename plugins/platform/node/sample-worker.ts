/**
 * The code of a sample worker thread (started by sample-workers.ts): it rebuilds a run's dataset
 * and train augmentations from the built-in plugins with the run spec's options, and answers each
 * request with one sample loaded (its own decoded-image cache), augmented from the stream the
 * request names, and normalised into its batch row: the bytes the trainer's main thread would make.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Augmentation, Dataset, DatasetContext, DatasetMeta, Image } from "../../../core/contracts.ts";
import { unrootedIO } from "../../../core/di.ts";
import { Rng, SeedTree } from "../../../core/rng.ts";
import { applyAll, batchRow } from "../../../core/train/trainer.ts";
import { builtinRegistry } from "../../manifest.ts";
import { cachedDataset } from "./image-loader.ts";
import { NodeIO } from "./node-io.ts";
import type { SampleRequest, SampleReply, SampleSetup, SampleWorkerData } from "./sample-workers.ts";
import { SharpDecoder } from "./sharp-decoder.ts";

const { dataRoots, allowedDataDirs } = workerData as SampleWorkerData;
const registry = builtinRegistry();
const decoder = new SharpDecoder();
const contexts = new Map<string, DatasetContext>();

/** A dataset's context at its configured root, as the run's container gives it (core/di.ts; concat reads its parts through contextOf). */
function contextOf(meta: DatasetMeta): DatasetContext {
  let ctx = contexts.get(meta.name);
  if (!ctx) {
    const root = dataRoots[meta.name] ?? meta.defaultRoot;
    ctx = { io: root === undefined ? unrootedIO(meta.name, Object.keys(dataRoots)) : new NodeIO(root, { allowedDirs: allowedDataDirs }), decoder, contextOf };
    contexts.set(meta.name, ctx);
  }
  return ctx;
}

interface Pipeline {
  readonly dataset: Dataset;
  readonly ctx: DatasetContext;
  readonly augmentations: readonly Augmentation[];
  readonly setup: SampleSetup;
}

/** One pipeline per distinct setup (the runs of a sweep share them when their data and augmentations agree). */
const pipelines = new Map<string, Promise<Pipeline>>();

async function build(setup: SampleSetup): Promise<Pipeline> {
  const seeds = new SeedTree(setup.seed);
  const dataset = cachedDataset(await registry.create("dataset", setup.dataset, { seeds }));
  const augmentations = await Promise.all(setup.augmentations.map((ref) => registry.create("augmentation", ref, { seeds })));
  return { dataset, ctx: contextOf(dataset.meta), augmentations, setup };
}

async function row(request: SampleRequest): Promise<SampleReply> {
  let pipeline = pipelines.get(request.setupKey);
  if (!pipeline) {
    pipeline = build(request.setup);
    pipelines.set(request.setupKey, pipeline);
  }
  const { dataset, ctx, augmentations, setup } = await pipeline;
  const decode = setup.decodeResize === undefined ? undefined : { resize: setup.decodeResize };
  const image: Image = await dataset.load(request.sample, ctx, decode);
  const rng = new Rng(request.augmentKey);
  // batchRow writes a new array (never the cached image's), so the reply can transfer it.
  return { id: request.id, row: batchRow(applyAll(augmentations, image, rng), setup.preprocess) };
}

parentPort!.postMessage("ready");
parentPort!.on("message", (request: SampleRequest) => {
  row(request).then(
    (reply) => parentPort!.postMessage(reply, [reply.row!.data.buffer as ArrayBuffer]),
    (error: unknown) => parentPort!.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies SampleReply),
  );
});
