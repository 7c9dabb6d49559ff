/**
 * Stock wasm forward convolutions (tfjs-backend-wasm 4.22) pass "same" padding to XNNPACK's
 * TensorFlow-SAME mode, which returns zeros in some small cases (e.g. height 1, kernel height 2,
 * stride 2 or unequal strides). These wrappers hand the stock kernels the same padding as explicit
 * pads, computed by tfjs itself, which XNNPACK handles correctly.
 *
 * Plain undilated NHWC `Conv2D` (also the one the input gradients run per stride phase) goes to
 * xfer's SIMD GEMM instead: by Winograd where it applies (3x3, stride 1; winograd.ts), else over
 * the kernel-row-stacked input (`stackedConv2D` in gemm-conv.ts), 1.3-1.6x XNNPACK's speed on every
 * ResNet-18 and tiny-CNN layer even with XNNPACK's weights cached, which in training they are not
 * (test/bench/conv.bench.ts). `FusedConv2D` takes the same routes with a bias + relu/relu6
 * epilogue (fused-conv.ts).
 */
import {
  backend_util, Conv2D, DepthwiseConv2dNative, FusedConv2D, FusedDepthwiseConv2D, getKernel,
  type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo,
} from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Composer } from "./compose.ts";
import { conv2DInfo, xferConv2D, xferFusedConv2D } from "./fused-conv.ts";

const WRAPPED = [Conv2D, DepthwiseConv2dNative, FusedConv2D, FusedDepthwiseConv2D];
const DEPTHWISE = new Set([DepthwiseConv2dNative, FusedDepthwiseConv2D]);

let stockConfigs: KernelConfig[] | undefined;

export function samePaddingKernels(): KernelConfig[] {
  stockConfigs ??= WRAPPED.map((name) => {
    const config = getKernel(name, "wasm");
    if (config === undefined) throw new Error(`xfer wasm kernels: the wasm backend has no ${name} kernel to wrap`);
    return config;
  });
  return stockConfigs.map((config) => ({
    ...config,
    kernelFunc: ((args: { inputs: { x: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: NamedAttrMap }) => {
      const { x, filter } = args.inputs;
      const routed = config.kernelName === Conv2D ? xferConv2D(new Composer(args.backend), x, filter, conv2DInfo(x, filter, args.attrs))
        : config.kernelName === FusedConv2D ? xferFusedConv2D(args) : undefined;
      if (routed !== undefined) return routed;
      if (args.attrs.pad !== "same") return config.kernelFunc(args as never);
      const { padInfo: p } = backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
        args.attrs.strides as number | [number, number], (args.attrs.dilations ?? 1) as number | [number, number],
        "same", undefined, DEPTHWISE.has(config.kernelName),
      );
      const pad = [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]];
      return config.kernelFunc({ ...args, attrs: { ...args.attrs, pad } } as never);
    }) as unknown as KernelFunc,
  }));
}
