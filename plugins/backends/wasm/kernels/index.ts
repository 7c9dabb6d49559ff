/**
 * The project's wasm training kernels (docs/backends.md has the table). `registerWasmTrainingKernels()`
 * registers the convolution gradients (stock tfjs 4.22 lacks three and has a naive
 * `Conv2DBackpropInput`), `Conv2D` by Winograd or xfer's SIMD GEMM (and explicit-pad wrappers for
 * the other stock forward convolutions' "same" padding), fused batch-norm training kernels (for
 * `batchNormTraining`, core/ops/batch-norm.ts), one-pass ReLU and ReLU6 gradients (and the `Relu`
 * and `Relu6` gradients that use them), a one-pass `MaxPoolGrad`, `BatchMatMul` by the GEMM and
 * transposed-operand matmuls, fast paths for `Sum`, `Mean`, `Tile`, `Slice` and `SplitV`, and a
 * copy-free `Identity`. It is idempotent and may run before or after the backend initialises.
 */
import {
  _FusedMatMul, BatchMatMul, Conv2D, DepthwiseConv2dNative, FusedConv2D, FusedDepthwiseConv2D, getKernel, Identity, MaxPoolGrad,
  Mean, registerGradient, registerKernel, Slice, Sum, Tile, unregisterKernel,
} from "@tensorflow/tfjs";
// Registers the stock wasm backend and its kernels, which the replacements below wrap or replace.
import "@tensorflow/tfjs-backend-wasm";
import { batchNormTrainingGrad } from "../../../../core/ops/batch-norm.ts";
import { batchNormKernels } from "./batch-norm.ts";
import { convGradKernels } from "./conv-grads.ts";
import { identityKernel } from "./identity.ts";
import { matMulKernels } from "./matmul.ts";
import { maxPoolGradKernel } from "./max-pool-grad.ts";
import { samePaddingKernels } from "./same-padding.ts";
import { reductionKernels } from "./reductions.ts";
import { splitVKernel } from "./split.ts";
import { relu6GradConfig, relu6GradKernelConfig, reluGradConfig, reluGradKernelConfig } from "./relu-grad.ts";

export const WASM_TRAINING_KERNELS: readonly string[] = [
  ...convGradKernels.map((k) => k.kernelName), ...batchNormKernels.map((k) => k.kernelName), reluGradKernelConfig.kernelName, relu6GradKernelConfig.kernelName, MaxPoolGrad,
  Sum, Mean, Tile, Slice, splitVKernel.kernelName, BatchMatMul, _FusedMatMul, Identity, Conv2D, DepthwiseConv2dNative, FusedConv2D, FusedDepthwiseConv2D,
];

export function registerWasmTrainingKernels(): void {
  const kernels = [
    ...convGradKernels, ...batchNormKernels, reluGradKernelConfig, relu6GradKernelConfig, maxPoolGradKernel, ...reductionKernels(), splitVKernel, ...matMulKernels(), identityKernel(),
    ...samePaddingKernels(),
  ];
  for (const config of kernels) {
    if (getKernel(config.kernelName, config.backendName) !== undefined) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
  }
  // For every backend: it runs the stock formula where `XferReluGrad` is not registered.
  registerGradient(reluGradConfig);
  registerGradient(relu6GradConfig);
  // Only reached where the fused batch-norm kernel runs, i.e. where it was registered above.
  registerGradient(batchNormTrainingGrad);
}
