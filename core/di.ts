/**
 * Dependency injection with explicit tokens and factory registrations (never emitted
 * `design:paramtypes`, which esbuild drops and Deno deprecates). The root container holds what is
 * shared by every run (plugin registry, run store, data access, environment); `createRunContainer`
 * makes one child container per RunSpec holding that run's plugin instances.
 */
import "reflect-metadata";
import { container as globalContainer, type DependencyContainer, type InjectionToken } from "tsyringe";
import type {
  Augmentation, Backbone, Dataset, DatasetContext, DatasetIndex, DatasetMeta, EnvironmentRecord, Metric, Optimizer, RunResult,
  RunStore, Schedule, Splitter,
} from "./contracts.ts";
import { XferError } from "./errors.ts";
import type { BatchAugmentation } from "./image/batch.ts";
import type { PluginContext, PluginRef, PluginRegistry } from "./plugin.ts";
import type { RunSpec } from "./recipe.ts";
import { SeedTree } from "./rng.ts";
import { isOrdinalLoss, train, type TrainProgress } from "./train/trainer.ts";

export const TOKENS = {
  registry: Symbol("xfer.registry") as InjectionToken<PluginRegistry>,
  runStore: Symbol("xfer.runStore") as InjectionToken<RunStore>,
  environment: Symbol("xfer.environment") as InjectionToken<EnvironmentRecord>,
  /** Data access for a dataset (the runtime maps config dataRoots to a DataIO). */
  datasetContext: Symbol("xfer.datasetContext") as InjectionToken<(dataset: DatasetMeta) => DatasetContext>,
  progress: Symbol("xfer.progress") as InjectionToken<(event: TrainProgress) => void>,
  /** Backbone id -> checkpoint path on this machine. */
  weights: Symbol("xfer.weights") as InjectionToken<Readonly<Record<string, string>>>,
  shareDataset: Symbol("xfer.shareDataset") as InjectionToken<(ref: PluginRef, dataset: Dataset) => Dataset>,
  // per run
  hash: Symbol("xfer.run.hash") as InjectionToken<string>,
  spec: Symbol("xfer.run.spec") as InjectionToken<RunSpec>,
  seeds: Symbol("xfer.run.seeds") as InjectionToken<SeedTree>,
  dataset: Symbol("xfer.run.dataset") as InjectionToken<Dataset>,
  index: Symbol("xfer.run.index") as InjectionToken<DatasetIndex>,
  splitter: Symbol("xfer.run.splitter") as InjectionToken<Splitter>,
  backbone: Symbol("xfer.run.backbone") as InjectionToken<Backbone>,
  optimizer: Symbol("xfer.run.optimizer") as InjectionToken<Optimizer>,
  schedule: Symbol("xfer.run.schedule") as InjectionToken<Schedule>,
  trainAugmentations: Symbol("xfer.run.trainAugmentations") as InjectionToken<Augmentation[]>,
  evalAugmentations: Symbol("xfer.run.evalAugmentations") as InjectionToken<Augmentation[]>,
  batchAugmentations: Symbol("xfer.run.batchAugmentations") as InjectionToken<BatchAugmentation[]>,
  metrics: Symbol("xfer.run.metrics") as InjectionToken<Metric[]>,
} as const;

export interface RootServices {
  readonly registry: PluginRegistry;
  readonly runStore: RunStore;
  readonly environment: EnvironmentRecord;
  readonly datasetContext: (dataset: DatasetMeta) => DatasetContext;
  readonly progress?: (event: TrainProgress) => void;
  readonly weights?: Readonly<Record<string, string>>;
  /**
   * May wrap a run's dataset, e.g. with a decoded-image cache shared by every run of the process
   * that reads the same dataset with the same options (the Node runtime does).
   */
  readonly shareDataset?: (ref: PluginRef, dataset: Dataset) => Dataset;
}

/** A fresh root container (a child of tsyringe's global one, so tests never share state). */
export function createRootContainer(services: RootServices): DependencyContainer {
  const root = globalContainer.createChildContainer();
  root.register(TOKENS.registry, { useValue: services.registry });
  root.register(TOKENS.runStore, { useValue: services.runStore });
  root.register(TOKENS.environment, { useValue: services.environment });
  root.register(TOKENS.datasetContext, { useValue: services.datasetContext });
  root.register(TOKENS.progress, { useValue: services.progress ?? (() => {}) });
  root.register(TOKENS.weights, { useValue: services.weights ?? {} });
  root.register(TOKENS.shareDataset, { useValue: services.shareDataset ?? ((_ref, dataset) => dataset) });
  return root;
}

/**
 * Resolves every plugin of a RunSpec into a child container. Creation is awaited here (plugins
 * may load weights), then instances are registered as values, so resolution itself is synchronous.
 */
export async function createRunContainer(root: DependencyContainer, hash: string, spec: RunSpec): Promise<DependencyContainer> {
  const run = root.createChildContainer();
  const registry = root.resolve(TOKENS.registry);
  const seeds = new SeedTree(spec.seed);
  const dataset = root.resolve(TOKENS.shareDataset)(spec.dataset, await registry.create("dataset", spec.dataset, { seeds }));
  // Indexed up front: folder- and CSV-based datasets learn their classes from the data, and the
  // backbone's head is sized by them.
  const index = await dataset.index(root.resolve(TOKENS.datasetContext)(dataset.meta));
  const { lr, weightDecay, epochs } = spec.training;
  const weights = root.resolve(TOKENS.weights);
  const ctx: PluginContext = {
    seeds,
    // Ordinal regression predicts one number per image.
    numClasses: isOrdinalLoss(spec.training.loss) ? 1 : (index.classNames ?? dataset.meta.classNames).length,
    training: { lr, weightDecay, epochs },
    weightsFor: (id) => weights[id],
  };
  const metricNames = orderMetrics(dataset.meta.selectionMetric, spec.metrics);

  run.register(TOKENS.hash, { useValue: hash });
  run.register(TOKENS.spec, { useValue: spec });
  run.register(TOKENS.seeds, { useValue: seeds });
  run.register(TOKENS.dataset, { useValue: dataset });
  run.register(TOKENS.index, { useValue: index });
  run.register(TOKENS.splitter, { useValue: await registry.create("splitter", spec.splitter, ctx) });
  run.register(TOKENS.backbone, { useValue: await registry.create("backbone", spec.backbone, ctx) });
  run.register(TOKENS.optimizer, { useValue: await registry.create("optimizer", spec.optimizer, ctx) });
  run.register(TOKENS.schedule, { useValue: await registry.create("schedule", spec.schedule, ctx) });
  run.register(TOKENS.trainAugmentations, { useValue: await Promise.all(spec.augment.train.map((ref) => registry.create("augmentation", ref, ctx))) });
  run.register(TOKENS.evalAugmentations, { useValue: await Promise.all(spec.augment.eval.map((ref) => registry.create("augmentation", ref, ctx))) });
  run.register(TOKENS.batchAugmentations, { useValue: await Promise.all((spec.augment.batch ?? []).map((ref) => registry.create("batch-augmentation", ref, ctx))) });
  run.register(TOKENS.metrics, { useValue: await Promise.all(metricNames.map((name) => registry.create("metric", { name }, ctx))) });
  return run;
}

/** The dataset's selection metric first, then the recipe's others. */
function orderMetrics(selection: string, requested: readonly string[]): string[] {
  if (requested.length === 0 && !selection) throw new XferError("a run needs at least one metric");
  return [selection, ...requested.filter((m) => m !== selection)].filter(Boolean);
}

/** Trains one run from a run container. */
export async function executeRun(run: DependencyContainer): Promise<RunResult> {
  const hash = run.resolve(TOKENS.hash);
  const store = run.resolve(TOKENS.runStore);
  const dataset = run.resolve(TOKENS.dataset);
  const backbone = run.resolve(TOKENS.backbone);
  const optimizer = run.resolve(TOKENS.optimizer);
  try {
    return await train({
      hash,
      spec: run.resolve(TOKENS.spec),
      seeds: run.resolve(TOKENS.seeds),
      dataset,
      index: run.resolve(TOKENS.index),
      datasetContext: run.resolve(TOKENS.datasetContext)(dataset.meta),
      splitter: run.resolve(TOKENS.splitter),
      backbone,
      optimizer,
      schedule: run.resolve(TOKENS.schedule),
      trainAugmentations: run.resolve(TOKENS.trainAugmentations),
      evalAugmentations: run.resolve(TOKENS.evalAugmentations),
      batchAugmentations: run.resolve(TOKENS.batchAugmentations),
      metrics: run.resolve(TOKENS.metrics),
      environment: run.resolve(TOKENS.environment),
      onProgress: run.resolve(TOKENS.progress),
      onEpoch: (record) => store.appendEpoch(hash, record),
      onBest: (state) => store.putCheckpoint(hash, state),
    });
  } finally {
    backbone.dispose();
    optimizer.dispose();
  }
}
