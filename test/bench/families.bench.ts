/**
 * The paper's model families at 224 px: training and inference throughput of catalog backbones
 * built as users get them (a benchmark, not a test; issue 20, target 3).
 *
 *   npx tsx test/bench/families.bench.ts
 *   XFER_WASM_THREADS=2 ...                         # wasm with two threads (see docs/backends.md)
 *   XFER_BENCH_PROFILE=1 ...                        # also the slowest kernels of one training step and one inference batch
 *   XFER_BENCH_PROFILE=calls ...                    # ... and their 30 slowest kernel calls with input shapes
 *   XFER_BENCH_CALLS=400 ...                        # ... or that many
 *   XFER_BENCH_TORCH=1 ...                          # also run test/bench/torch-families.py and print ratios
 *   XFER_BENCH_TORCH_THREADS=2,1 ...                # PyTorch thread counts to compare with (default 2)
 *   XFER_BENCH_ONLY=efficientnet_b0/train ...       # one (model/mode) case
 *
 * Each backbone comes from the plugin registry with `init: "random"` (no weight files here; the
 * arithmetic is the same), its ImageNet head replaced by a 10-class one through
 * `resetClassifier`, and trains with the sgd plugin (momentum 0.9, no Nesterov, as
 * torch.optim.SGD in torch-families.py), softmax cross-entropy and the trainer's `trainingStep`.
 * Batch 16 at 224x224 (EfficientNet-B0 and DeiT-tiny train at 8, see CASES); one JSON line per (model, mode) with images/s as the median of 3 timed
 * windows after a warm-up, images per CPU second and the load average, as training.bench.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import type { Backbone } from "../../core/contracts.ts";
import { softmaxCrossEntropy } from "../../core/losses.ts";
import { PluginRegistry } from "../../core/plugin.ts";
import { SeedTree } from "../../core/rng.ts";
import { trainingStep } from "../../core/train/step.ts";
import { BACKBONE_PLUGINS } from "../../plugins/backbones/index.ts";
import { BACKEND_PLUGINS, selectBackend, type BackendSelection } from "../../plugins/backends/index.ts";
import { sgdOptimizer } from "../../plugins/optimizers/sgd/index.ts";
import { median, timeWindows } from "./windows.ts";

/** The registry's plugins these cases use, as builtinRegistry() lists them (without loading every other family). */
const registry = new PluginRegistry([...BACKBONE_PLUGINS, sgdOptimizer, ...BACKEND_PLUGINS]);

interface Case {
  /** The name both benches print (torch-families.py's `model`). */
  readonly model: string;
  readonly backbone: string;
  /** Steps per timed window, per mode: one window is a few seconds on one wasm thread. */
  readonly steps: { train: number; inference: number };
  /** Batch per mode where it is not BATCH. */
  readonly batch?: { train?: number; inference?: number };
}

const CASES: Case[] = [
  { model: "mobilenet_v3_small", backbone: "mobilenet_v3_small.tv_in1k", steps: { train: 2, inference: 4 } },
  // Training EfficientNet-B0 and DeiT-tiny at batch 16 needs more than the wasm heap's 4 GB: tfjs
  // keeps every tensor of the forward pass until the step ends (EfficientNet-B0: 1.85 GB, DeiT-tiny:
  // 2.4 GB at batch 16) and the backward pass's gradients come on top (DeiT-tiny, alone in a
  // process, peaked at the heap's 4,294.9 MB), so they train at 8 here and in torch-families.py.
  { model: "efficientnet_b0", backbone: "efficientnet_b0.tv_in1k", steps: { train: 1, inference: 2 }, batch: { train: 8 } },
  { model: "deit_tiny_patch16_224", backbone: "deit_tiny_patch16_224.fb_in1k", steps: { train: 1, inference: 2 }, batch: { train: 8 } },
];
const BATCH = 16;
const SIZE = 224;
const CLASSES = 10;
const WINDOWS = 3;
const WARMUP_STEPS = 1;
const LR = 0.01;

async function makeStep(c: Case, mode: "train" | "inference", batch: number): Promise<{ step: () => void; dispose: () => void }> {
  const seeds = new SeedTree(0);
  const backbone: Backbone = await registry.create("backbone", { name: c.backbone, options: { init: "random" } }, { seeds, numClasses: 1000 });
  backbone.resetClassifier(CLASSES, seeds.stream("bench", "head"));
  const optimizer = await registry.create("optimizer", { name: "sgd", options: { momentum: 0.9, nesterov: false } }, { seeds });
  const x = tf.randomUniform([batch, SIZE, SIZE, 3], 0, 1, "float32", 7) as tf.Tensor4D;
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % CLASSES), "int32"), CLASSES) as tf.Tensor2D;
  const dispose = () => {
    tf.dispose([x, y]);
    optimizer.dispose();
    backbone.dispose();
  };
  if (mode === "inference") return { dispose, step: () => tf.tidy(() => void backbone.forward(x, false).dataSync()) };
  const variables = backbone.trainableVariables();
  const loss = (input: tf.Tensor, target: tf.Tensor2D) => softmaxCrossEntropy(backbone.forward(input as tf.Tensor4D, true), target);
  return { dispose, step: () => void trainingStep(optimizer, variables, loss, x, y, LR) };
}

async function profileStep(label: string, step: () => void): Promise<void> {
  const info = await tf.profile(step);
  // Ops with a custom gradient (tf.fused.conv2d's "fusedConv2d__op") are listed around their kernel: counted once.
  const kernels = info.kernels.filter((k) => !k.name.endsWith("__op"));
  const byKernel = new Map<string, number>();
  for (const k of kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  const top = [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20);
  console.log(JSON.stringify({ profile: label, totalKernelMs: Math.round(total), kernels: Object.fromEntries(top.map(([k, ms]) => [k, Math.round(ms)])) }));
  if (process.env.XFER_BENCH_PROFILE !== "calls") return;
  const calls = kernels.slice().sort((a, b) => (b.kernelTimeMs as number) - (a.kernelTimeMs as number)).slice(0, Number(process.env.XFER_BENCH_CALLS ?? 30));
  for (const k of calls) console.log(JSON.stringify({ call: k.name, ms: Number((k.kernelTimeMs as number).toFixed(1)), inputs: k.inputShapes }));
}

/** images/s and images per CPU second of each case, by `model/mode`. */
type Rates = Record<string, { wall: number; cpu: number }>;

async function bench(env: BackendSelection): Promise<Rates> {
  const results: Rates = {};
  for (const c of CASES) {
    for (const mode of ["train", "inference"] as const) {
      const only = process.env.XFER_BENCH_ONLY;
      if (only !== undefined && only !== `${c.model}/${mode}`) continue;
      const batch = c.batch?.[mode] ?? BATCH;
      const { step, dispose } = await makeStep(c, mode, batch);
      for (let i = 0; i < WARMUP_STEPS; i++) step();
      if (process.env.XFER_BENCH_PROFILE !== undefined) await profileStep(`${c.model}/${mode}`, step);
      const { rates, cpuRates } = timeWindows(step, c.steps[mode], batch, WINDOWS);
      dispose();
      const imagesPerSecond = median(rates);
      results[`${c.model}/${mode}`] = { wall: imagesPerSecond, cpu: median(cpuRates) };
      console.log(JSON.stringify({
        bench: "families", framework: "tfjs", backend: env.backend, threads: env.threads, model: c.model, mode,
        batch, imageSize: SIZE, imagesPerSecond: Number(imagesPerSecond.toFixed(2)), windows: rates.map((r) => Number(r.toFixed(2))),
        imagesPerCpuSecond: Number(median(cpuRates).toFixed(2)), loadavg: loadavg().map((l) => Number(l.toFixed(2))),
        runtime: env.runtime,
      }));
    }
  }
  return results;
}

/**
 * PyTorch numbers from torch-families.py (same architectures, batch, optimizer) and our ratios to
 * them: of images/s, and of images per CPU second (on a loaded machine the comparable one at one
 * PyTorch thread).
 */
function compareWithTorch(ours: Rates, threads: string): void {
  const script = new URL("./torch-families.py", import.meta.url).pathname;
  if (!existsSync("/usr/bin/python3")) return void console.log(JSON.stringify({ note: "no /usr/bin/python3; PyTorch comparison skipped" }));
  const args = [script, "--threads", threads];
  if (process.env.XFER_BENCH_ONLY !== undefined) args.push("--only", process.env.XFER_BENCH_ONLY);
  const run = spawnSync("/usr/bin/python3", args, { encoding: "utf8" });
  if (run.status !== 0) return void console.log(JSON.stringify({ note: `torch-families.py failed: ${run.stderr.trim().split("\n").at(-1)}` }));
  for (const line of run.stdout.trim().split("\n")) {
    console.log(line);
    const torch = JSON.parse(line) as { model: string; mode: string; imagesPerSecond: number; imagesPerCpuSecond: number };
    const key = `${torch.model}/${torch.mode}`;
    if (ours[key] !== undefined) {
      console.log(JSON.stringify({
        bench: "families", ratio: key, torchThreads: Number(threads), tfjsOverTorch: Number((ours[key].wall / torch.imagesPerSecond).toFixed(3)),
        tfjsOverTorchCpu: Number((ours[key].cpu / torch.imagesPerCpuSecond).toFixed(3)),
      }));
    }
  }
}

const env = await selectBackend(registry, { prefer: process.env.XFER_BACKEND, wasmThreads: Number(process.env.XFER_WASM_THREADS ?? 1) });
const ours = await bench(env);
if (process.env.XFER_BENCH_TORCH === "1") {
  for (const threads of (process.env.XFER_BENCH_TORCH_THREADS ?? "2").split(",")) compareWithTorch(ours, threads.trim());
}
