/**
 * The Node composition root: the plugin registry of the manifest, a file-system run store, and
 * data access for each dataset from the config's dataRoots.
 */
import type { DependencyContainer } from "tsyringe";
import {
  contentHash, createRootContainer, InputError, type DataIO, type Dataset, type DatasetContext, type JsonObject, type EnvironmentRecord, type ImageDecoder, type PluginRegistry,
  type XferConfig,
} from "../../../core/index.ts";
import type { TrainProgress } from "../../../core/index.ts";
import { builtinRegistry } from "../../manifest.ts";
import { cachedDataset } from "./image-loader.ts";
import { FsRunStore } from "./run-store.ts";

export interface NodeRootOptions {
  readonly config: XferConfig;
  /** runs/<recipe>: each run lands in <runDir>/<hash>/. */
  readonly runDir: string;
  readonly environment: EnvironmentRecord;
  /** Data access rooted at a dataset's directory. */
  readonly openRoot: (root: string) => DataIO;
  readonly decoder: ImageDecoder;
  readonly registry?: PluginRegistry;
  readonly progress?: (event: TrainProgress) => void;
}

export function createNodeRoot(options: NodeRootOptions): DependencyContainer {
  const { dataRoots } = options.config;
  // One context and one cached dataset per distinct dataset reference, so the runs of a sweep
  // decode each file once per size (bounded LRU, see image-loader.ts).
  const contexts = new Map<string, DatasetContext>();
  const shared = new Map<string, Dataset>();
  return createRootContainer({
    registry: options.registry ?? builtinRegistry(),
    runStore: new FsRunStore(options.runDir),
    environment: options.environment,
    progress: options.progress,
    weights: options.config.weights,
    datasetContext(meta) {
      let ctx = contexts.get(meta.name);
      if (!ctx) {
        const root = dataRoots[meta.name] ?? meta.defaultRoot;
        ctx = { io: root === undefined ? unrootedIO(meta.name, Object.keys(dataRoots)) : options.openRoot(root), decoder: options.decoder };
        contexts.set(meta.name, ctx);
      }
      return ctx;
    },
    shareDataset(ref, dataset) {
      const key = contentHash(ref as unknown as JsonObject);
      let cached = shared.get(key);
      if (!cached) {
        cached = cachedDataset(dataset);
        shared.set(key, cached);
      }
      return cached;
    },
  });
}

/** In-memory datasets never read; a file dataset without a configured root fails on first read. */
function unrootedIO(dataset: string, configured: readonly string[]): DataIO {
  const missing = (): never => {
    throw new InputError(
      "config dataRoots",
      `no directory for dataset "${dataset}"; set dataRoots["${dataset}"] in your xfer config (configured: ${configured.join(", ") || "none"})`,
    );
  };
  return { readText: missing, readBytes: missing, exists: missing, list: missing, isDirectory: missing, join: missing };
}
