/**
 * Per-layer convolution routes on the wasm backend (a benchmark, not a test): for each convolution
 * of the training bench's ResNet-18 (64px, batch 32) and tiny CNN (28px, batch 64), the forward
 * pass by the stock XNNPACK kernel (weights cached, as they are not in training), by xfer's
 * kernel-row-stacked GEMM and, for 3x3 stride-1 layers, by Winograd; and the filter gradient by
 * one GEMM per kernel row and by Winograd's adjoint.
 *
 *   npx tsx test/bench/conv.bench.ts
 *
 * Prints one JSON line per layer and route: milliseconds, the median of 7 calls after 3 warm-up
 * calls (the first calls of a route touch heap pages the process has not used yet, which costs
 * several ms per call at these sizes).
 */
import * as tf from "@tensorflow/tfjs";
import { PluginRegistry } from "../../core/plugin.ts";
import { BACKEND_PLUGINS, selectBackend } from "../../plugins/backends/index.ts";
import { Composer } from "../../plugins/backends/wasm/kernels/compose.ts";
import { rowGemmFilterGrad, stackedConv2D } from "../../plugins/backends/wasm/kernels/gemm-conv.ts";
import { winogradApplies, winogradConv2D, winogradFilterGrad } from "../../plugins/backends/wasm/kernels/winograd.ts";
import { info, stockConv2D } from "./stock.ts";

const LAYERS: { name: string; x: [number, number, number, number]; k: number; out: number; stride: number; pad: number }[] = [
  { name: "resnet18 stem 7x7/2", x: [32, 64, 64, 3], k: 7, out: 64, stride: 2, pad: 3 },
  { name: "resnet18 16x16x64", x: [32, 16, 16, 64], k: 3, out: 64, stride: 1, pad: 1 },
  { name: "resnet18 16x16x64 -> 8x8x128 /2", x: [32, 16, 16, 64], k: 3, out: 128, stride: 2, pad: 1 },
  { name: "resnet18 1x1 downsample /2", x: [32, 16, 16, 64], k: 1, out: 128, stride: 2, pad: 0 },
  { name: "resnet18 8x8x128", x: [32, 8, 8, 128], k: 3, out: 128, stride: 1, pad: 1 },
  { name: "resnet18 4x4x256", x: [32, 4, 4, 256], k: 3, out: 256, stride: 1, pad: 1 },
  { name: "resnet18 2x2x512", x: [32, 2, 2, 512], k: 3, out: 512, stride: 1, pad: 1 },
  { name: "tiny-cnn 28x28x1 -> 32", x: [64, 28, 28, 1], k: 3, out: 32, stride: 1, pad: 1 },
  { name: "tiny-cnn 14x14x32 -> 64", x: [64, 14, 14, 32], k: 3, out: 64, stride: 1, pad: 1 },
];

const env = await selectBackend(new PluginRegistry(BACKEND_PLUGINS), { prefer: "wasm" });
const backend = tf.backend() as ConstructorParameters<typeof Composer>[0];
const c = new Composer(backend);

/** Median milliseconds of 7 calls of `route` after 3 warm-up calls, freeing each output. */
function time(route: () => tf.TensorInfo): number {
  for (let w = 0; w < 3; w++) c.free(route());
  const ms: number[] = [];
  for (let r = 0; r < 7; r++) {
    const start = performance.now();
    const out = route();
    ms.push(performance.now() - start);
    c.free(out);
  }
  return Number(ms.sort((a, b) => a - b)[3].toFixed(2));
}

for (const layer of LAYERS) {
  const filterShape: [number, number, number, number] = [layer.k, layer.k, layer.x[3], layer.out];
  const pad = [[0, 0], [layer.pad, layer.pad], [layer.pad, layer.pad], [0, 0]] as [number, number][];
  const conv = tf.backend_util.computeConv2DInfo(layer.x, filterShape, layer.stride, 1, pad as never);
  const x = tf.randomUniform(layer.x, -1, 1, "float32", 1);
  const w = tf.randomUniform(filterShape, -1, 1, "float32", 2);
  const dy = tf.randomUniform(conv.outShape, -1, 1, "float32", 3);
  const macs = conv.batchSize * conv.outHeight * conv.outWidth * layer.out * layer.k * layer.k * layer.x[3];
  const routes: [string, () => tf.TensorInfo][] = [
    ["forward XNNPACK (cached weights)", () => stockConv2D.kernelFunc({
      inputs: { x: info(x), filter: info(w) }, backend, attrs: { strides: layer.stride, pad, dilations: 1, dataFormat: "NHWC" },
    }) as tf.TensorInfo],
    ["forward stacked GEMM", () => stackedConv2D(c, info(x), info(w), conv)],
    ...(winogradApplies(conv) ? [["forward Winograd", () => winogradConv2D(c, info(x), info(w), conv)] as [string, () => tf.TensorInfo]] : []),
    ["filter gradient, GEMM per kernel row", () => rowGemmFilterGrad(c, info(x), info(dy), conv)],
    ...(winogradApplies(conv) ? [["filter gradient, Winograd", () => winogradFilterGrad(c, info(x), info(dy), conv)] as [string, () => tf.TensorInfo]] : []),
  ];
  for (const [route, run] of routes) {
    const ms = time(run);
    console.log(JSON.stringify({ bench: "conv", layer: layer.name, route, ms, gmacPerSecond: Number((macs / ms / 1e6).toFixed(1)), backend: env.backend, threads: env.threads }));
  }
  tf.dispose([x, w, dy]);
}
