/** `xfer/node`: the built-in plugins and the Node runtime (file I/O, sharp decoding, run store, config). */
export { BUILTIN_PLUGINS, builtinRegistry } from "./manifest.ts";
export * from "./runtime/node/index.ts";
export { FsRunStore, writeJsonAtomic } from "./runtime/node/run-store.ts";
export { loadConfig, type LoadedConfig } from "./runtime/node/config.ts";
export { createNodeRoot, type NodeRootOptions } from "./runtime/node/services.ts";
