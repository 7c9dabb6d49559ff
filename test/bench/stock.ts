/**
 * The stock tfjs-backend-wasm kernels, captured when this module loads, before `selectBackend`
 * registers xfer's kernels over them: the benches time XNNPACK beside xfer's routes through these.
 */
import { getKernel, type KernelConfig, type TensorInfo } from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import type { Tensor } from "@tensorflow/tfjs";

function stock(name: string): KernelConfig {
  const config = getKernel(name, "wasm");
  if (config === undefined) throw new Error(`bench: the wasm backend has no stock ${name} kernel`);
  return config;
}

export const stockConv2D = stock("Conv2D");

/** A tensor's data as the TensorInfo a kernel function takes. */
export function info(t: Tensor): TensorInfo {
  return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
}
