/**
 * The project's wasm training kernels. `registerWasmTrainingKernels()` registers the convolution
 * gradients (stock tfjs 4.22 lacks three and has a naive `Conv2DBackpropInput`), fused batch-norm
 * training kernels (for `batchNormTraining`, ../batch_norm.ts), a one-pass
 * `MaxPoolGrad`, fast paths for `Sum`, `Mean`, `Tile`, `Slice`, `BatchMatMul` by xfer's SIMD GEMM and
 * transposed-operand matmuls, a copy-free
 * `Identity`, and explicit-pad wrappers for the stock forward convolutions' "same" padding (which
 * also route deep small-image `Conv2D`s to per-tap matmuls). It is idempotent and may run before or
 * after the backend initialises.
 */
import {
  _FusedMatMul, BatchMatMul, Conv2D, DepthwiseConv2dNative, FusedConv2D, FusedDepthwiseConv2D, getKernel, Identity, MaxPoolGrad,
  Mean, registerKernel, Slice, Sum, Tile, unregisterKernel,
} from "@tensorflow/tfjs";
// Registers the stock wasm backend and its kernels, which the replacements below wrap or replace.
import "@tensorflow/tfjs-backend-wasm";
import { batchNormKernels } from "./batch_norm.ts";
import { convGradKernels } from "./conv_grads.ts";
import { identityKernel } from "./identity.ts";
import { matMulKernels } from "./matmul.ts";
import { maxPoolGradKernel } from "./max_pool_grad.ts";
import { samePaddingKernels } from "./same_padding.ts";
import { reductionKernels } from "./reductions.ts";

export const WASM_TRAINING_KERNELS: readonly string[] = [
  ...convGradKernels.map((k) => k.kernelName), ...batchNormKernels.map((k) => k.kernelName), MaxPoolGrad, Sum, Mean, Tile, Slice, BatchMatMul, _FusedMatMul, Identity,
  Conv2D, DepthwiseConv2dNative, FusedConv2D, FusedDepthwiseConv2D,
];

export function registerWasmTrainingKernels(): void {
  for (const config of [...convGradKernels, ...batchNormKernels, maxPoolGradKernel, ...reductionKernels(), ...matMulKernels(), identityKernel(), ...samePaddingKernels()]) {
    if (getKernel(config.kernelName, config.backendName) !== undefined) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
  }
}
