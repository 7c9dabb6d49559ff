/**
 * The package entry for Node (`import { ... } from "xfer"`): everything in core (contracts,
 * planning, splits, metrics, statistics, analysis) plus the built-in plugins and the Node runtime
 * (file I/O, sharp decoding, run store, config, backend selection). Deno and other runtimes import
 * the Node-free core alone as `xfer/core`.
 */
export * from "../core/index.ts";
/** zod, the schema library of plugin options: plugin authors need no install of their own. */
export { z } from "zod";
export { BUILTIN_PLUGINS, builtinRegistry } from "./manifest.ts";
// One helper per plugin kind, each in its family's shared library (docs/writing-a-plugin.md).
export { defineDataset, type DatasetSpec, type GeneratedDatasetSpec } from "./datasets/common/index.ts";
export { defineSplitter } from "./splitters/common.ts";
export { defineBackbone } from "./backbones/common.ts";
export { defineAugmentation, defineBatchAugmentation } from "./augmentations/common.ts";
export { defineOptimizer } from "./optimizers/common.ts";
export { defineSchedule } from "./schedules/common.ts";
export { defineMetric } from "./metrics/common.ts";
export * from "./datasets/index.ts";
export { backboneIds, backboneMeta, convertWeights, countParameters, createBackbone, BACKBONE_CATALOG, type CatalogEntry, type CreateBackboneOptions, type FamilyOptions, type Net, type NetBuilder } from "./backbones/index.ts";
/** FID's Inception pool3 features as pytorch-fid computes them (docs/backbones.md). */
export { FID_RESIZE, fidFeatures } from "./backbones/inception/index.ts";
export * from "./platform/node/index.ts";
export { FsRunStore, writeJsonAtomic } from "./platform/node/run-store.ts";
export { loadConfig, type LoadedConfig } from "./platform/node/config.ts";
export { createNodeRoot, type NodeRootOptions } from "./platform/node/services.ts";
export { runAnalysis } from "./platform/node/report-writer.ts";
export { BACKEND_PLUGINS, backendChoices, defineBackend, selectBackend, type BackendSelection, type SelectBackendOptions } from "./backends/index.ts";
export { registerWasmTrainingKernels } from "./backends/wasm/kernels/index.ts";
