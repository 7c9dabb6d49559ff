/**
 * The Node composition root: the Node services (file access on the local disk, sharp decoding, a
 * bounded decoded-image cache, sample worker threads, the file-system run store, performance.now as the clock) registered
 * once in a root container, with the manifest's plugin registry unless another is given. Swap any
 * of them for a part of the tree by registering your own in a child container
 * (docs/examples/swap-services.ts).
 */
import { dirname, join, resolve } from "node:path";
import type { DependencyContainer } from "tsyringe";
import { createRootContainer, type EnvironmentRecord, type Logger, type PluginRegistry, type SampleWorkers, type XferConfig } from "../../../core/index.ts";
import { builtinRegistry } from "../../manifest.ts";
import { cachedDataset, type CachedDatasetOptions } from "./image-loader.ts";
import { NodeIO } from "./node-io.ts";
import { NodeSampleWorkers } from "./sample-workers.ts";
import { FsRunStore } from "./run-store.ts";
import { SharpDecoder } from "./sharp-decoder.ts";
import { weightsTensorsHash } from "./weights-hash.ts";

export interface NodeRootOptions {
  readonly config: XferConfig;
  /** runs/<recipe>: each run lands in <runDir>/<run identity>/ (docs/training.md, Run folders). */
  readonly runDir: string;
  /** Where other recipes' runs live, <outDir>/<recipe> (upstream runs); default: the folder above runDir. */
  readonly outDir?: string;
  readonly environment: EnvironmentRecord;
  readonly logger?: Logger;
  /** Default: the manifest's built-in plugins. */
  readonly registry?: PluginRegistry;
  /** Where the samples a dataset left out (skipMissing, skipUndecodable) are listed; default: stderr. */
  readonly onSkipped?: CachedDatasetOptions["onSkipped"];
  /** Where training samples are prepared while a step computes: default a NodeSampleWorkers pool; false: on the main thread. */
  readonly sampleWorkers?: SampleWorkers | false;
}

/** Samples named on stderr; the rest are counted (a Birdsnap download misses thousands) and every one is in the run's result.json. */
const SKIPPED_SHOWN = 20;

function listSkipped(dataset: string, skipped: readonly { id: string; reason: string }[]): void {
  const more = skipped.length - SKIPPED_SHOWN;
  process.stderr.write(`xfer: dataset ${dataset} left out ${skipped.length} sample(s):\n${skipped.slice(0, SKIPPED_SHOWN).map((s) => `  ${s.id}: ${s.reason}\n`).join("")}${
    more > 0 ? `  ... and ${more} more (each run's result.json lists them all under "skipped")\n` : ""}`);
}

export function createNodeRoot(options: NodeRootOptions): DependencyContainer {
  const runStore = new FsRunStore(options.runDir);
  const outDir = options.outDir ?? dirname(options.runDir);
  const stores = new Map<string, FsRunStore>();
  const storeFor = (recipe: string): FsRunStore => {
    const dir = join(outDir, recipe);
    if (resolve(dir) === resolve(options.runDir)) return runStore;
    if (!stores.has(dir)) stores.set(dir, new FsRunStore(dir));
    return stores.get(dir)!;
  };
  const registry = options.registry ?? builtinRegistry();
  const { dataRoots, allowedDataDirs } = options.config;
  return createRootContainer({
    registry,
    config: options.config,
    files: (root) => new NodeIO(root, { allowedDirs: options.config.allowedDataDirs }),
    decoder: new SharpDecoder(),
    // Runs of a sweep decode each file once per size (bounded LRU, see image-loader.ts).
    imageCache: (dataset) => cachedDataset(dataset, { onSkipped: options.onSkipped ?? listSkipped }),
    // Training samples decode and augment in worker threads while a step computes (sample-workers.ts).
    ...(options.sampleWorkers === false ? {} : { sampleWorkers: options.sampleWorkers ?? new NodeSampleWorkers({ registry, dataRoots, allowedDataDirs }) }),
    runStore,
    storeFor,
    weightsHash: weightsTensorsHash,
    environment: options.environment,
    clock: performance,
    logger: options.logger,
  });
}
