/**
 * Stock wasm forward convolutions (tfjs-backend-wasm 4.22) pass "same" padding to XNNPACK's
 * TensorFlow-SAME mode, which returns zeros in some small cases (e.g. height 1, kernel height 2,
 * stride 2 or unequal strides). These wrappers hand the stock kernels the same padding as explicit
 * pads, computed by tfjs itself, which XNNPACK handles correctly.
 */
import {
  backend_util, Conv2D, DepthwiseConv2dNative, FusedConv2D, FusedDepthwiseConv2D, getKernel,
  type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo,
} from "@tensorflow/tfjs";

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
    kernelFunc: ((args: { inputs: { x: TensorInfo; filter: TensorInfo }; attrs: NamedAttrMap }) => {
      if (args.attrs.pad !== "same") return config.kernelFunc(args as never);
      const { x, filter } = args.inputs;
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
