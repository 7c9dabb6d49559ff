/**
 * Forward convolutions on xfer's routes, plain (`Conv2D`) and fused (`FusedConv2D`: bias and
 * activation, what eval-time batch-norm folding emits, plugins/backbones/nn/layers.ts `convBn`).
 * Both take the same route: Winograd where it applies (3x3, stride 1; winograd.ts), else the GEMM
 * over the kernel-row-stacked input (`stackedConv2D`, gemm-conv.ts) for any undilated NHWC
 * convolution. The fused one then adds the bias and applies linear / relu / relu6 in one SIMD pass
 * over the output (epilogue.ts), where stock tfjs would run XNNPACK's slower convolution; other
 * activations, PReLU weights, a bias of another shape, and dilated or NCHW convolutions keep the
 * stock kernel.
 */
import { backend_util, type NamedAttrMap, type TensorInfo, util } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Composer } from "./compose.ts";
import { applyEpilogue, isEpilogueActivation } from "./epilogue.ts";
import { stackedConv2D } from "./gemm-conv.ts";
import { winogradApplies, winogradConv2D } from "./winograd.ts";

export function conv2DInfo(x: TensorInfo, filter: TensorInfo, attrs: NamedAttrMap): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs.strides as number | [number, number], (attrs.dilations ?? 1) as number | [number, number],
    attrs.pad as "same", attrs.dimRoundingMode as "round" | undefined, false,
    backend_util.convertConv2DDataFormat((attrs.dataFormat ?? "NHWC") as "NHWC" | "NCHW"),
  );
}

/** y = x * filter by xfer's route for this convolution, or undefined where the stock kernel keeps it. */
export function xferConv2D(c: Composer, x: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo | undefined {
  if (winogradApplies(info)) return winogradConv2D(c, x, filter, info);
  if (info.dataFormat === "channelsLast" && info.dilationHeight === 1 && info.dilationWidth === 1) return stackedConv2D(c, x, filter, info);
  return undefined;
}

interface FusedConvArgs {
  inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: BackendWasm;
  attrs: NamedAttrMap;
}

/** `FusedConv2D` on xfer's route with the epilogue, or undefined where the stock kernel keeps it. */
export function xferFusedConv2D({ inputs: { x, filter, bias, preluActivationWeights }, backend, attrs }: FusedConvArgs): TensorInfo | undefined {
  const activation = attrs.activation ?? "linear";
  if (preluActivationWeights !== undefined || !isEpilogueActivation(activation) || x.dtype !== "float32") return undefined;
  const info = conv2DInfo(x, filter, attrs);
  if (bias !== undefined && (bias.dtype !== "float32" || util.sizeFromShape(bias.shape) !== info.outChannels)) return undefined;
  const c = new Composer(backend);
  const y = xferConv2D(c, x, filter, info);
  if (y === undefined || (bias === undefined && activation === "linear")) return y;
  const zeros = bias === undefined ? c.zeros([info.outChannels]) : undefined;
  applyEpilogue(backend, c.view(y), info.outChannels, c.view((bias ?? zeros)!), activation);
  if (zeros !== undefined) c.free(zeros);
  return y;
}
