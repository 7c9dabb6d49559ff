/**
 * The project's wasm training kernels. `registerWasmTrainingKernels()` replaces whatever the wasm
 * backend registered under these names (stock tfjs 4.22 lacks three of them and has a naive
 * `Conv2DBackpropInput`); it is idempotent and may run before or after the backend initialises.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from "@tensorflow/tfjs";
import { convGradKernels } from "./conv_grads.ts";

export const WASM_TRAINING_KERNELS: readonly string[] = convGradKernels.map((k) => k.kernelName);

export function registerWasmTrainingKernels(): void {
  for (const config of convGradKernels as KernelConfig[]) {
    if (getKernel(config.kernelName, config.backendName) !== undefined) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
  }
}
