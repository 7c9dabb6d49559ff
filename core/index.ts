/**
 * The package entry (`import { ... } from "xfer"`): contracts, plugin model, recipes and planning,
 * seeded randomness, splits and statistics. Node- and Deno-safe; runtime adapters are in
 * `xfer/node` (plugins/index.ts).
 */
import "reflect-metadata";

export * from "./contracts.ts";
export * from "./errors.ts";
export * from "./rng.ts";
export * from "./hash.ts";
export * from "./plugin.ts";
export * from "./recipe.ts";
export * from "./config.ts";
export * from "./di.ts";
export * from "./runner.ts";
export { train, toBatch, type TrainerParts, type TrainProgress } from "./train/trainer.ts";
export * from "./results-export.ts";
export * from "./splits/index.ts";
export * from "./stats/index.ts";
export * from "./metrics/index.ts";
export * from "./analysis/index.ts";
export * from "./image/index.ts";
export * from "./losses.ts";
export * from "./formats/index.ts";
export { batchNormTraining, batchNormTrainingGrad, type BatchNormOutputs } from "./ops/batch-norm.ts";
