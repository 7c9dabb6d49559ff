/**
 * `xfer/core`: the Node-free core (contracts, plugin model, container, recipes and planning,
 * seeded randomness, splits, metrics, statistics, analysis, ops and tensor file formats). It runs
 * unchanged under Node and Deno. The `xfer` entry (plugins/index.ts) adds the built-in plugins and
 * the Node platform.
 */
import "reflect-metadata";

export * from "./contracts.ts";
export * from "./errors.ts";
export * from "./rng.ts";
export * from "./hash.ts";
export * from "./plugin.ts";
export * from "./recipe.ts";
export * from "./measure.ts";
export * from "./config.ts";
export * from "./di.ts";
export * from "./runner.ts";
export * from "./stages.ts";
export { MemoryRunStore } from "./memory-run-store.ts";
export * from "./run-identity.ts";
export * from "./run-schemas.ts";
export { train, toBatch, type BatchRow, type RunSampleWorkers, type SampleWorkers, type TrainerParts, type TrainProgress } from "./train/trainer.ts";
export { deriveHead, type HeadLoss, type RunHead } from "./train/head.ts";
export * from "./results-export.ts";
export * from "./splits/index.ts";
export * from "./stats/index.ts";
export * from "./metrics/index.ts";
export * from "./analysis/index.ts";
export * from "./image/index.ts";
export * from "./losses.ts";
export * from "./formats/index.ts";
export { batchNormTraining, batchNormTrainingGrad, type BatchNormOutputs } from "./ops/batch-norm.ts";
