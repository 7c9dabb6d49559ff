/**
 * Compute backends for Node and Deno: start-up selection (`selectBackend`) and the project's wasm
 * training kernels (`registerWasmTrainingKernels`, also called by `selectBackend` for wasm).
 */
export {
  BACKEND_NAMES, CPU_CANDIDATE, DEFAULT_CANDIDATES, WASM_CANDIDATE, selectBackend,
  type ActiveBackend, type BackendCandidate, type BackendName, type BackendSelection, type SelectBackendOptions,
} from "./select.ts";
export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from "./wasm/kernels/index.ts";
