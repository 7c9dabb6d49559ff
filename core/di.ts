/**
 * Dependency injection with explicit tokens (never emitted `design:paramtypes`, which esbuild drops
 * and Deno deprecates). Three layers:
 * - services, registered once by a composition root (`createRootContainer`; on Node,
 *   `createNodeRoot`): plugin registry, config, file access, image decoder, image cache, run store,
 *   environment record, clock, logger;
 * - things derived from services (a dataset's DatasetContext, the shared dataset cache), registered
 *   as factories that resolve the services from the container doing the resolving, so a child
 *   container that registers its own decoder or file access changes what runs below it see;
 * - one child container per run (`createRunContainer`): its spec, hash, seed tree, head and parts.
 * A service is swapped by registering it again in a child container (docs/examples/swap-services.ts).
 */
import "reflect-metadata";
import { container as globalContainer, type DependencyContainer, type InjectionToken } from "tsyringe";
import type {
  Augmentation, Backbone, Clock, DataIO, Dataset, DatasetContext, DatasetIndex, DatasetMeta, EnvironmentRecord, ImageDecoder, JsonObject,
  Metric, Optimizer, ResumeState, RunAttempt, RunResult, RunStore, Sample, Schedule, Splitter,
} from "./contracts.ts";
import type { XferConfig } from "./config.ts";
import { InputError, XferError } from "./errors.ts";
import { contentHash } from "./hash.ts";
import type { BatchAugmentation } from "./image/batch.ts";
import type { PluginContext, PluginRef, PluginRegistry } from "./plugin.ts";
import type { RunSpec } from "./recipe.ts";
import { SeedTree } from "./rng.ts";
import { deriveHead, type RunHead } from "./train/head.ts";
import { loadUpstream, type SelectionLookup } from "./train/upstream.ts";
import { evaluateCheckpoint, predictCheckpoint, train, type CheckpointEvaluation, type EvaluationParts, type SampleWorkers, type TrainProgress } from "./train/trainer.ts";

/** A run of a plan is done: trained now, or found already stored. */
export interface PlanProgress {
  /** Runs of the plan this worker has settled (trained, found done, failed or given up on). */
  readonly done: number;
  readonly total: number;
  readonly hash: string;
  /**
   * trained: by this worker; skipped: found done; failed: this attempt failed (error.json written);
   * exhausted: failed --max-attempts times before, not tried again; stopped: asked to stop (resumable).
   */
  readonly status: "skipped" | "trained" | "failed" | "exhausted" | "stopped";
  /** failed: the error's first line. */
  readonly message?: string;
}

/** A run this worker starts: fresh, resumed from a completed epoch, or taken over from a stale claim. */
export interface RunStartEvent {
  readonly index: number;
  readonly total: number;
  readonly hash: string;
  readonly attempt: string;
  /** Completed epochs of the resume state it goes on from (absent: from scratch). */
  readonly resumedFrom?: number;
  /** The worker whose stale claim this one replaced. */
  readonly tookOverFrom?: string;
}

/** Where progress goes (the CLI draws its progress bar from it). */
export interface Logger {
  /** After every training step. */
  progress(event: TrainProgress): void;
  /** After every run of a plan, trained or found already stored. */
  runDone(event: PlanProgress): void;
  /** Before a run's training starts (or resumes). */
  runStart?(event: RunStartEvent): void;
  /** Something the user must know at once: a damaged stored run kept aside, a result discarded as a duplicate. */
  warn?(message: string): void;
}

export const TOKENS = {
  // services (composition root)
  registry: Symbol("xfer.registry") as InjectionToken<PluginRegistry>,
  config: Symbol("xfer.config") as InjectionToken<XferConfig>,
  /** File access rooted at a directory (a dataset's root from config dataRoots). */
  files: Symbol("xfer.files") as InjectionToken<(root: string) => DataIO>,
  decoder: Symbol("xfer.decoder") as InjectionToken<ImageDecoder>,
  /** Wraps a dataset so its decoded images are cached (identity when the platform has no cache). */
  imageCache: Symbol("xfer.imageCache") as InjectionToken<(dataset: Dataset) => Dataset>,
  /** Threads that prepare training samples off the main thread (by default none: the trainer prepares them itself). */
  sampleWorkers: Symbol("xfer.sampleWorkers") as InjectionToken<SampleWorkers>,
  runStore: Symbol("xfer.runStore") as InjectionToken<RunStore>,
  /** The run store of another recipe in the same output directory: where upstream runs (RunTemplate.upstream) live. */
  storeFor: Symbol("xfer.storeFor") as InjectionToken<(recipe: string) => RunStore>,
  /** The tensors' content hash of a weights file (core/run-identity.ts tensorsSha256), part of a run's identity. */
  weightsHash: Symbol("xfer.weightsHash") as InjectionToken<(path: string) => Promise<string>>,
  environment: Symbol("xfer.environment") as InjectionToken<EnvironmentRecord>,
  clock: Symbol("xfer.clock") as InjectionToken<Clock>,
  logger: Symbol("xfer.logger") as InjectionToken<Logger>,
  // derived from services (factories)
  datasetContext: Symbol("xfer.datasetContext") as InjectionToken<(dataset: DatasetMeta) => DatasetContext>,
  /** One cached dataset per distinct dataset reference, shared by the runs of a sweep. */
  shareDataset: Symbol("xfer.shareDataset") as InjectionToken<(ref: PluginRef, dataset: Dataset) => Dataset>,
  // per run
  /** The run's identity (core/run-identity.ts): its folder name and its result's `hash`. */
  hash: Symbol("xfer.run.hash") as InjectionToken<string>,
  spec: Symbol("xfer.run.spec") as InjectionToken<RunSpec>,
  seeds: Symbol("xfer.run.seeds") as InjectionToken<SeedTree>,
  /** Classes, network outputs and loss, derived once from the dataset and `training.loss`. */
  head: Symbol("xfer.run.head") as InjectionToken<RunHead>,
  dataset: Symbol("xfer.run.dataset") as InjectionToken<Dataset>,
  index: Symbol("xfer.run.index") as InjectionToken<DatasetIndex>,
  splitter: Symbol("xfer.run.splitter") as InjectionToken<Splitter>,
  backbone: Symbol("xfer.run.backbone") as InjectionToken<Backbone>,
  /** The identity of the upstream run whose weights the backbone loaded (RunTemplate.upstream). */
  upstreamRun: Symbol("xfer.run.upstreamRun") as InjectionToken<string>,
  optimizer: Symbol("xfer.run.optimizer") as InjectionToken<Optimizer>,
  schedule: Symbol("xfer.run.schedule") as InjectionToken<Schedule>,
  trainAugmentations: Symbol("xfer.run.trainAugmentations") as InjectionToken<Augmentation[]>,
  evalAugmentations: Symbol("xfer.run.evalAugmentations") as InjectionToken<Augmentation[]>,
  batchAugmentations: Symbol("xfer.run.batchAugmentations") as InjectionToken<BatchAugmentation[]>,
  metrics: Symbol("xfer.run.metrics") as InjectionToken<Metric[]>,
} as const;

export interface RootServices {
  readonly registry: PluginRegistry;
  readonly config: XferConfig;
  readonly files: (root: string) => DataIO;
  readonly decoder: ImageDecoder;
  readonly runStore: RunStore;
  /** The run store of a recipe by name (upstream runs); default: only `runStore`'s own recipe is known (an error for any other). */
  readonly storeFor?: (recipe: string) => RunStore;
  /** Reads a weights file's tensors and hashes them; default: none (a run with external weights fails with a clear error). */
  readonly weightsHash?: (path: string) => Promise<string>;
  readonly environment: EnvironmentRecord;
  readonly clock: Clock;
  /** Default: progress goes nowhere. */
  readonly logger?: Logger;
  /** Default: no cache (every load decodes). */
  readonly imageCache?: (dataset: Dataset) => Dataset;
  /** Default: none (training samples are prepared on the main thread). */
  readonly sampleWorkers?: SampleWorkers;
}

const quiet: Logger = { progress: () => {}, runDone: () => {} };

function noWeightsReader(path: string): Promise<string> {
  return Promise.reject(new XferError(`${path}: this platform's container has no weights reader (RootServices.weightsHash), so the run's identity cannot include its weights`));
}

function noOtherStores(recipe: string): RunStore {
  throw new XferError(`this container knows no run store for recipe "${recipe}" (RootServices.storeFor), so it cannot load an upstream run's weights`);
}

/** A fresh root container (a child of tsyringe's global one, so tests never share state). */
export function createRootContainer(services: RootServices): DependencyContainer {
  const root = globalContainer.createChildContainer();
  root.register(TOKENS.registry, { useValue: services.registry });
  root.register(TOKENS.config, { useValue: services.config });
  root.register(TOKENS.files, { useValue: services.files });
  root.register(TOKENS.decoder, { useValue: services.decoder });
  root.register(TOKENS.imageCache, { useValue: services.imageCache ?? ((dataset) => dataset) });
  root.register(TOKENS.sampleWorkers, { useValue: services.sampleWorkers ?? { afterMs: Infinity, forRun: () => undefined } });
  root.register(TOKENS.runStore, { useValue: services.runStore });
  root.register(TOKENS.storeFor, { useValue: services.storeFor ?? noOtherStores });
  root.register(TOKENS.weightsHash, { useValue: services.weightsHash ?? noWeightsReader });
  root.register(TOKENS.environment, { useValue: services.environment });
  root.register(TOKENS.clock, { useValue: services.clock });
  root.register(TOKENS.logger, { useValue: services.logger ?? quiet });
  // tsyringe calls a factory with the container resolving the token, so these see a child's overrides.
  root.register(TOKENS.datasetContext, {
    useFactory: (c) => datasetContexts(c.resolve(TOKENS.config).dataRoots, c.resolve(TOKENS.files), c.resolve(TOKENS.decoder)),
  });
  root.register(TOKENS.shareDataset, {
    useFactory: (c) => sharedDatasets(c.resolve(TOKENS.imageCache), c.resolve(TOKENS.decoder)),
  });
  return root;
}

/**
 * Memoises by the identity of the services a value is derived from: containers that see the same
 * services get the same value (the image cache keys its loaders by DatasetContext, so runs of a
 * sweep must get one context per dataset), a container with another service gets its own.
 */
function byIdentity<K extends readonly object[], V>(make: (...keys: K) => V): (...keys: K) => V {
  const values = new WeakMap<object, unknown>();
  return (...keys) => {
    let level = values;
    for (const key of keys.slice(0, -1)) {
      let next = level.get(key) as WeakMap<object, unknown> | undefined;
      if (!next) level.set(key, (next = new WeakMap()));
      level = next;
    }
    const last = keys[keys.length - 1];
    if (!level.has(last)) level.set(last, make(...keys));
    return level.get(last) as V;
  };
}

const datasetContexts = byIdentity((dataRoots: Readonly<Record<string, string>>, files: (root: string) => DataIO, decoder: ImageDecoder) => {
  const contexts = new Map<string, DatasetContext>();
  const contextOf = (meta: DatasetMeta): DatasetContext => {
    let ctx = contexts.get(meta.name);
    if (!ctx) {
      const root = dataRoots[meta.name] ?? meta.defaultRoot;
      ctx = { io: root === undefined ? unrootedIO(meta.name, Object.keys(dataRoots)) : files(root), decoder, contextOf };
      contexts.set(meta.name, ctx);
    }
    return ctx;
  };
  return contextOf;
});

// Keyed by the decoder too: decoded images are the decoder's output.
const sharedDatasets = byIdentity((imageCache: (dataset: Dataset) => Dataset, _decoder: ImageDecoder) => {
  const shared = new Map<string, Dataset>();
  return (ref: PluginRef, dataset: Dataset): Dataset => {
    const key = contentHash(ref as unknown as JsonObject);
    let cached = shared.get(key);
    if (!cached) {
      cached = imageCache(dataset);
      shared.set(key, cached);
    }
    return cached;
  };
});

/** In-memory datasets never read; a file dataset without a configured root fails on first read. */
export function unrootedIO(dataset: string, configured: readonly string[]): DataIO {
  const missing = (): never => {
    throw new InputError(
      "config dataRoots",
      `no directory for dataset "${dataset}"; set dataRoots["${dataset}"] in your xfer config (configured: ${configured.join(", ") || "none"})`,
    );
  };
  return { readText: missing, readBytes: missing, exists: missing, list: missing, isDirectory: missing, join: missing };
}

/**
 * A child container for one RunSpec: its identity (`hash`, core/run-identity.ts), spec, seed tree, head and plugin instances.
 * Creation is awaited here (plugins may load weights), then instances are registered as values,
 * so resolution itself is synchronous. Services are resolved from `parent`, so a run below a
 * container that overrides one sees the override.
 */
export async function createRunContainer(parent: DependencyContainer, hash: string, spec: RunSpec): Promise<DependencyContainer> {
  const run = parent.createChildContainer();
  const registry = run.resolve(TOKENS.registry);
  const seeds = new SeedTree(spec.seed);
  const dataset = run.resolve(TOKENS.shareDataset)(spec.dataset, await registry.create("dataset", spec.dataset, { seeds }));
  // Indexed up front: folder- and CSV-based datasets learn their classes from the data, and the
  // backbone's head is sized by them.
  const index = await dataset.index(run.resolve(TOKENS.datasetContext)(dataset.meta));
  const head = deriveHead(spec, dataset.meta, index);
  const { lr, weightDecay, epochs } = spec.training;
  const weights = run.resolve(TOKENS.config).weights;
  const ctx: PluginContext = { seeds, numClasses: head.outputs, training: { lr, weightDecay, epochs }, weightsFor: (id) => weights[id] };
  const metricNames = orderMetrics(dataset.meta.selectionMetric, spec.metrics);

  run.register(TOKENS.hash, { useValue: hash });
  run.register(TOKENS.spec, { useValue: spec });
  run.register(TOKENS.seeds, { useValue: seeds });
  run.register(TOKENS.head, { useValue: head });
  run.register(TOKENS.dataset, { useValue: dataset });
  run.register(TOKENS.index, { useValue: index });
  run.register(TOKENS.splitter, { useValue: await registry.create("splitter", spec.splitter, ctx) });
  const backbone = await registry.create("backbone", spec.backbone, ctx);
  run.register(TOKENS.backbone, { useValue: backbone });
  if (spec.upstream) {
    try {
      const selection: SelectionLookup = async (datasetRef) => {
        const metric = (await registry.create("dataset", datasetRef, { seeds })).meta.selectionMetric;
        return { metric, direction: (await registry.create("metric", { name: metric }, { seeds })).direction };
      };
      run.register(TOKENS.upstreamRun, { useValue: await loadUpstream(backbone, spec.upstream, run.resolve(TOKENS.storeFor), selection) });
    } catch (e) {
      backbone.dispose();
      throw e;
    }
  }
  run.register(TOKENS.optimizer, { useValue: await registry.create("optimizer", spec.optimizer, ctx) });
  run.register(TOKENS.schedule, { useValue: await registry.create("schedule", spec.schedule, ctx) });
  run.register(TOKENS.trainAugmentations, { useValue: await Promise.all(spec.augment.train.map((ref) => registry.create("augmentation", ref, ctx))) });
  run.register(TOKENS.evalAugmentations, { useValue: await Promise.all(spec.augment.eval.map((ref) => registry.create("augmentation", ref, ctx))) });
  run.register(TOKENS.batchAugmentations, { useValue: await Promise.all((spec.augment.batch ?? []).map((ref) => registry.create("batch-augmentation", ref, ctx))) });
  run.register(TOKENS.metrics, { useValue: await Promise.all(metricNames.map((name) => registry.create("metric", { name }, ctx))) });
  return run;
}

/**
 * Classes a stored run's checkpoint predicts for images outside its dataset (`xfer submit`): read
 * by `images.dataset` at `images.context`, scored with the run's eval pipeline and head.
 */
export async function predictRun(
  run: DependencyContainer,
  checkpoint: Parameters<typeof predictCheckpoint>[1],
  images: { readonly dataset: Dataset; readonly context: DatasetContext; readonly samples: readonly Sample[] },
  thresholds?: readonly number[],
): Promise<number[]> {
  const parts = { ...evaluationParts(run), dataset: images.dataset, datasetContext: images.context };
  try {
    return await predictCheckpoint(parts, checkpoint, images.samples, thresholds);
  } finally {
    parts.backbone.dispose();
    run.resolve(TOKENS.optimizer).dispose();
  }
}

/** The dataset's selection metric first, then the recipe's others. */
function orderMetrics(selection: string, requested: readonly string[]): string[] {
  if (requested.length === 0 && !selection) throw new XferError("a run needs at least one metric");
  return [selection, ...requested.filter((m) => m !== selection)].filter(Boolean);
}

/** What a run's container holds for scoring it: the parts `train` and `evaluateCheckpoint` share. */
function evaluationParts(run: DependencyContainer): EvaluationParts {
  const dataset = run.resolve(TOKENS.dataset);
  return {
    hash: run.resolve(TOKENS.hash),
    spec: run.resolve(TOKENS.spec),
    seeds: run.resolve(TOKENS.seeds),
    head: run.resolve(TOKENS.head),
    dataset,
    index: run.resolve(TOKENS.index),
    datasetContext: run.resolve(TOKENS.datasetContext)(dataset.meta),
    splitter: run.resolve(TOKENS.splitter),
    backbone: run.resolve(TOKENS.backbone),
    trainAugmentations: run.resolve(TOKENS.trainAugmentations),
    evalAugmentations: run.resolve(TOKENS.evalAugmentations),
    metrics: run.resolve(TOKENS.metrics),
  };
}

/** How `executeRun` trains: from scratch or from a resume state, and when to stop. */
export interface ExecuteOptions {
  /** Go on after this state's last completed epoch (the store's `resume`). */
  readonly resume?: ResumeState;
  /** Polled at every step boundary; true stops the run there (RunStopped), its last epoch's resume state kept. */
  readonly shouldStop?: () => boolean;
  /** Where each completed epoch's resume state goes (default: the attempt's `putResume`). */
  readonly onCheckpoint?: (state: ResumeState) => Promise<void>;
}

/** Trains one run with what its container resolves; the attempt receives its epochs, checkpoint and resume states. */
export async function executeRun(run: DependencyContainer, attempt: RunAttempt, options: ExecuteOptions = {}): Promise<RunResult> {
  const parts = evaluationParts(run);
  const optimizer = run.resolve(TOKENS.optimizer);
  const logger = run.resolve(TOKENS.logger);
  try {
    return await train({
      ...parts,
      optimizer,
      schedule: run.resolve(TOKENS.schedule),
      batchAugmentations: run.resolve(TOKENS.batchAugmentations),
      environment: run.resolve(TOKENS.environment),
      clock: run.resolve(TOKENS.clock),
      onProgress: (event) => logger.progress(event),
      sampleWorkers: run.resolve(TOKENS.sampleWorkers),
      onEpoch: (record) => attempt.appendEpoch(record),
      onBest: (state) => attempt.putCheckpoint(state),
      onPredictions: (predictions) => attempt.putPredictions(predictions),
      onCheckpoint: options.onCheckpoint ?? ((state) => attempt.putResume(state)),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
    });
  } finally {
    parts.backbone.dispose();
    optimizer.dispose();
  }
}

/** Re-scores a stored checkpoint of the run its container was made for (`xfer evaluate`). */
export async function evaluateRun(
  run: DependencyContainer,
  checkpoint: Parameters<typeof evaluateCheckpoint>[1],
  split: "train" | "val" | "test",
  thresholds?: readonly number[],
): Promise<CheckpointEvaluation> {
  const parts = evaluationParts(run);
  try {
    return await evaluateCheckpoint(parts, checkpoint, split, thresholds);
  } finally {
    parts.backbone.dispose();
    run.resolve(TOKENS.optimizer).dispose();
  }
}
