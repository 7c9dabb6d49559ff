/**
 * The package entry for Node (`import { ... } from "xfer"`): everything in core (contracts,
 * planning, splits, metrics, statistics, analysis) plus the built-in plugins and the Node runtime
 * (file I/O, sharp decoding, run store, config, backend selection). Deno and other runtimes import
 * the Node-free core alone as `xfer/core`.
 */
export * from "../core/index.ts";
export { BUILTIN_PLUGINS, builtinRegistry } from "./manifest.ts";
export * from "./datasets/index.ts";
export { backboneIds, backboneMeta, convertWeights, countParameters, createBackbone, BACKBONE_CATALOG, type CreateBackboneOptions } from "./backbones/index.ts";
export * from "./platform/node/index.ts";
export { FsRunStore, writeJsonAtomic } from "./platform/node/run-store.ts";
export { loadConfig, type LoadedConfig } from "./platform/node/config.ts";
export { createNodeRoot, type NodeRootOptions } from "./platform/node/services.ts";
export { runAnalysis } from "./platform/node/report-writer.ts";
export { selectBackend, registerWasmTrainingKernels, type BackendSelection } from "./backends/index.ts";
