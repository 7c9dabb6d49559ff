/**
 * `Identity` for wasm without a copy: the stock kernel copies the whole tensor (~45 ms per
 * ResNet-18 64px training step, 43 calls on 32x16x16x64 alone); like the cpu backend's and the
 * stock wasm `Reshape`, this one shares the data and counts a reference. No wasm kernel writes into
 * its inputs, so sharing is safe. Strings keep the stock path.
 */
import { getKernel, Identity, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

let stockConfig: KernelConfig | undefined;

export function identityKernel(): KernelConfig {
  stockConfig ??= getKernel(Identity, "wasm");
  if (stockConfig === undefined) throw new Error(`xfer wasm kernels: the wasm backend has no ${Identity} kernel to replace`);
  const stock = stockConfig;
  return {
    ...stock,
    kernelFunc: ((args: { inputs: { x: TensorInfo }; backend: BackendWasm }) => {
      const { x } = args.inputs;
      if (x.dtype === "string") return stock.kernelFunc(args as never);
      args.backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }) as unknown as KernelFunc,
  };
}
