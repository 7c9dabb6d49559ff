/**
 * Compute backends, a plugin kind: one plugin per backend (`tensorflow`, `wasm`, `cpu`, listed in
 * plugins/manifest.ts through BACKEND_PLUGINS) and start-up selection through the registry
 * (`selectBackend`). Importing this entry loads no tfjs backend package; the wasm plugin loads its
 * training kernels (./wasm/kernels) when it is activated.
 */
import { cpuBackend } from "./cpu/index.ts";
import { tensorflowBackend } from "./tensorflow/index.ts";
import { wasmBackend } from "./wasm/index.ts";

export { defineBackend } from "./common.ts";
export { cpuBackend, CPU_PROVIDER } from "./cpu/index.ts";
export { tensorflowBackend, tfjsNodeProvider } from "./tensorflow/index.ts";
export { wasmBackend, WASM_PROVIDER } from "./wasm/index.ts";
export { backendChoices, selectBackend, type BackendSelection, type SelectBackendOptions } from "./select.ts";

export const BACKEND_PLUGINS = [tensorflowBackend, wasmBackend, cpuBackend] as const;
