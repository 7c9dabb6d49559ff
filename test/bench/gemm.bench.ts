/**
 * Headroom above XNNPACK on this machine (a benchmark, not a test): the multiply-add rate of a
 * register-blocked f32 GEMM micro-kernel in WebAssembly SIMD (MR rows x 8 columns of C per call,
 * A and B packed and in cache), with a separate multiply and add (what tfjs-backend-wasm 4.22's
 * XNNPACK build uses) and with relaxed SIMD's fused `f32x4.relaxed_madd`; beside it XNNPACK's own
 * rate on the same product (a 1x1 convolution with cached weights on the wasm backend) and that of
 * tf.matMul, which runs the kernel through xfer's BatchMatMul (kernels/gemm_simd.ts); and a ViT-B/16
 * forward pass, where those products dominate.
 *
 *   npx tsx test/bench/gemm.bench.ts
 *
 * Node 20 ships relaxed SIMD behind --experimental-wasm-relaxed-simd; this sets the flag at start.
 * Prints one JSON line per kernel with G multiply-adds per second (median of 3 windows).
 */
import * as tf from "@tensorflow/tfjs";
import { setFlagsFromString } from "node:v8";
import { assembleModule, get, I32, i32Add, i32Const, i32GeU, i32Mul, set, simd, V128 } from "../../core/wasm/assembler.ts";
import { createBackbone } from "../../plugins/backbones/index.ts";
import { selectBackend } from "../../plugins/runtime/tfjs/index.ts";

setFlagsFromString("--experimental-wasm-relaxed-simd");

const M = 384, N = 256, K = 256, NR = 8, WINDOWS = 3, REPS = 20;

const load = (offset: number) => simd(0, 4, ...leb32(offset)), store = (offset: number) => simd(11, 4, ...leb32(offset));
const loadSplat32 = (offset: number) => simd(9, 2, ...leb32(offset));
const f32x4Add = simd(228), f32x4Mul = simd(230), f32x4RelaxedMadd = simd(0x105);

function leb32(value: number): number[] {
  return value < 128 ? [value] : [(value & 0x7f) | 0x80, value >> 7];
}

/**
 * kernel(a, b, c, kc): C[MR x 8] (rows 32 bytes apart) += A[kc][MR] . B[kc][8], A and B packed
 * panel-major. Locals: 4 end of A, then 2*MR accumulators, b0, b1 and the splatted a.
 */
function microKernel(mr: number, fused: boolean): number[] {
  const ACC = 5, B0 = ACC + 2 * mr, B1 = B0 + 1, AV = B1 + 1;
  const rows = (f: (r: number) => number[]) => Array.from({ length: mr }, (_, r) => f(r)).flat();
  const madd = (acc: number, b: number) => fused
    ? [...get(AV), ...get(b), ...get(acc), ...f32x4RelaxedMadd, ...set(acc)]
    : [...get(AV), ...get(b), ...f32x4Mul, ...get(acc), ...f32x4Add, ...set(acc)];
  return [
    ...get(0), ...get(3), ...i32Const(4 * mr), ...i32Mul, ...i32Add, ...set(4),
    ...rows((r) => [...get(2), ...load(32 * r), ...set(ACC + 2 * r), ...get(2), ...load(32 * r + 16), ...set(ACC + 2 * r + 1)]),
    0x02, 0x40, 0x03, 0x40,
    ...get(0), ...get(4), ...i32GeU, 0x0d, 1,
    ...get(1), ...load(0), ...set(B0), ...get(1), ...load(16), ...set(B1),
    ...rows((r) => [...get(0), ...loadSplat32(4 * r), ...set(AV), ...madd(ACC + 2 * r, B0), ...madd(ACC + 2 * r + 1, B1)]),
    ...get(0), ...i32Const(4 * mr), ...i32Add, ...set(0), ...get(1), ...i32Const(4 * NR), ...i32Add, ...set(1),
    0x0c, 0, 0x0b, 0x0b,
    ...rows((r) => [...get(2), ...get(ACC + 2 * r), ...store(32 * r), ...get(2), ...get(ACC + 2 * r + 1), ...store(32 * r + 16)]),
  ];
}

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

const memory = new WebAssembly.Memory({ initial: Math.ceil(((M * K + K * N + M * N) * 4) / 65536) });
const heap = new Float32Array(memory.buffer);
for (let i = 0; i < heap.length; i++) heap[i] = ((i * 7919) % 1000) / 1000 - 0.5;
const bAt = M * K * 4, cAt = bAt + K * N * 4;

for (const mr of [4, 6]) {
  for (const fused of [false, true]) {
    const module = assembleModule([{ name: "kernel", params: [I32, I32, I32, I32], locals: [[1, I32], [2 * mr + 3, V128]], code: microKernel(mr, fused) }]);
    const kernel = (new WebAssembly.Instance(module, { env: { memory } }).exports as { kernel: (a: number, b: number, c: number, kc: number) => void }).kernel;
    const product = () => {
      for (let i = 0; i < M / mr; i++) for (let j = 0; j < N / NR; j++) kernel(i * mr * K * 4, bAt + j * NR * K * 4, cAt + (i * (N / NR) + j) * mr * NR * 4, K);
    };
    console.log(JSON.stringify({ bench: "gemm", kernel: `wasm-simd ${mr}x${NR} ${fused ? "relaxed_madd" : "mul+add"}`, m: M, n: N, k: K, ...rate(product) }));
  }
}

const env = await selectBackend({ prefer: "wasm" });
// The same product, and a ViT-B/16-sized one (8 images x 197 tokens, 768 -> 768), through tfjs on
// the wasm backend: XNNPACK's 1x1 convolution with cached weights, and tf.matMul, which runs xfer's
// kernel (variant as recorded: `xfer-gemm`) with B new on every call, as in training.
for (const [m, k, n] of [[M, K, N], [8 * 197, 768, 768]]) {
  const x = tf.randomUniform([1, m, 1, k]) as tf.Tensor4D;
  const w = tf.randomUniform([1, 1, k, n]) as tf.Tensor4D;
  const size = { m, n, k, backend: env.backend, threads: env.threads };
  console.log(JSON.stringify({ bench: "gemm", kernel: "XNNPACK 1x1 conv2d, cached weights", ...size, ...rate(() => tf.tidy(() => void tf.conv2d(x, w, 1, "valid").dataSync()), m * n * k) }));
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
