/**
 * xfer's f32 GEMM against XNNPACK on this machine (a benchmark, not a test): the multiply-add rate
 * of the shipped 6 x 8 SIMD kernel (kernels/gemm-simd.ts, B packed on every call as in training)
 * with a separate multiply and add (what tfjs-backend-wasm 4.22's XNNPACK build uses) and with
 * relaxed SIMD's fused `f32x4.relaxed_madd`; beside it XNNPACK's own rate on the same product (a 1x1
 * convolution with cached weights on the wasm backend) and that of tf.matMul, which runs the kernel
 * through xfer's BatchMatMul; and a ViT-B/16 forward pass, where those products dominate.
 *
 *   npx tsx test/bench/gemm.bench.ts
 *
 * Node 20 ships relaxed SIMD behind --experimental-wasm-relaxed-simd; this sets the flag at start.
 * Prints one JSON line per kernel with G multiply-adds per second (median of 3 windows).
 */
import * as tf from "@tensorflow/tfjs";
import { setFlagsFromString } from "node:v8";
import { createBackbone } from "../../plugins/backbones/index.ts";
import { gemmScratchFloats, SimdGemm } from "../../plugins/backends/wasm/kernels/gemm-simd.ts";
import { PluginRegistry } from "../../core/plugin.ts";
import { BACKEND_PLUGINS, selectBackend } from "../../plugins/backends/index.ts";
import { info, stockConv2D } from "./stock.ts";

setFlagsFromString("--experimental-wasm-relaxed-simd");

const M = 384, N = 256, K = 256, WINDOWS = 3, REPS = 20;

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** G multiply-adds per second of `product` (`macs` per call), less the time of `overhead` if given. */
function rate(product: () => void, macs = M * N * K, overhead?: () => void): { gmacPerSecond: number; windows: number[] } {
  const seconds = (f: () => void) => {
    const start = performance.now();
    for (let r = 0; r < REPS; r++) f();
    return (performance.now() - start) / 1000;
  };
  product();
  overhead?.();
  const windows: number[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    const spent = seconds(product) - (overhead ? seconds(overhead) : 0);
    windows.push(Number(((REPS * macs) / spent / 1e9).toFixed(2)));
  }
  return { gmacPerSecond: median(windows), windows };
}

// The shipped kernel on a memory of its own, both variants, B packed on every call as in training.
const memory = new WebAssembly.Memory({ initial: Math.ceil(((M * K + K * N + M * N + gemmScratchFloats(N, K)) * 4) / 65536) });
const heap = new Float32Array(memory.buffer);
for (let i = 0; i < heap.length; i++) heap[i] = ((i * 7919) % 1000) / 1000 - 0.5;
const buffers = { a: 0, b: M * K * 4, c: (M * K + K * N) * 4, scratch: (M * K + K * N + M * N) * 4 };
for (const variant of ["simd-mul-add", "relaxed-fma"] as const) {
  const gemm = new SimdGemm(memory, variant);
  console.log(JSON.stringify({ bench: "gemm", kernel: `xfer 6x8 ${variant}`, m: M, n: N, k: K, ...rate(() => gemm.multiply(M, N, K, buffers)) }));
}

const env = await selectBackend(new PluginRegistry(BACKEND_PLUGINS), { prefer: "wasm" });
// The same product, and a ViT-B/16-sized one (8 images x 197 tokens, 768 -> 768), through tfjs on
// the wasm backend: XNNPACK's 1x1 convolution with cached weights, and tf.matMul, which runs xfer's
// kernel (variant as recorded: `xfer-gemm`) with B new on every call, as in training.
for (const [m, k, n] of [[M, K, N], [8 * 197, 768, 768]]) {
  const x = tf.randomUniform([1, m, 1, k]) as tf.Tensor4D;
  const w = tf.randomUniform([1, 1, k, n]) as tf.Tensor4D;
  const size = { m, n, k, backend: env.backend, threads: env.threads };
  // The stock kernel directly: tf.conv2d now runs xfer's own convolution (kernels/same-padding.ts).
  const backend = tf.backend();
  const xnnpack = () => {
    const out = stockConv2D.kernelFunc({ inputs: { x: info(x), filter: info(w) }, backend, attrs: { strides: 1, pad: "valid", dilations: 1, dataFormat: "NHWC" } }) as tf.TensorInfo;
    backend.readSync(out.dataId);
    backend.disposeData(out.dataId);
  };
  console.log(JSON.stringify({ bench: "gemm", kernel: "XNNPACK 1x1 conv2d, cached weights", ...size, ...rate(xnnpack, m * n * k) }));
  const a = x.reshape([m, k]) as tf.Tensor2D;
  const b = w.reshape([k, n]) as tf.Tensor2D;
  const product = () => tf.tidy(() => void tf.matMul(a, tf.add(b, 0) as tf.Tensor2D).dataSync());
  const copy = () => tf.tidy(() => void tf.add(b, 0).dataSync());
  console.log(JSON.stringify({ bench: "gemm", kernel: `tf.matMul (xfer-gemm ${env.versions["xfer-gemm"]}), new B`, ...size, ...rate(product, m * n * k, copy) }));
}

// Where it shows in a model: a ViT-B/16 forward pass (random weights), batch 2 at 224 px.
const vit = await createBackbone("vit_b_16.tv_in1k", { numClasses: 10 });
const images = tf.randomUniform([2, 224, 224, 3]) as tf.Tensor4D;
const forward = () => tf.tidy(() => void vit.forward(images, false).dataSync());
forward();
const seconds: number[] = [];
for (let w = 0; w < WINDOWS; w++) {
  const start = performance.now();
  forward();
  seconds.push(Number(((performance.now() - start) / 1000).toFixed(2)));
}
console.log(JSON.stringify({ bench: "gemm", model: "vit_b_16 forward", batch: 2, xferGemm: env.versions["xfer-gemm"], seconds: median(seconds), windows: seconds }));
vit.dispose();
