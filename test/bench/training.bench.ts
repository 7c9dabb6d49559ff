/**
 * Training and inference throughput of the selected backend (a benchmark, not a test).
 *
 *   npx tsx test/bench/training.bench.ts            # default backend (fastest available)
 *   XFER_BACKEND=cpu npx tsx test/bench/training.bench.ts
 *   XFER_WASM_THREADS=2 ...                         # wasm with two XNNPACK threads (opt-in, see docs/backends.md)
 *   XFER_BENCH_PROFILE=1 ...                        # also print the slowest kernels of one step (training) and one batch (inference)
 *   XFER_BENCH_PROFILE=calls ...                    # ... and its 30 slowest kernel calls with input shapes
 *   XFER_BENCH_CALLS=400 ...                        # ... or that many
 *   XFER_BENCH_TORCH=1 ...                          # also run test/bench/torch-bench.py and ratios
 *   XFER_BENCH_TORCH_THREADS=2,1 ...                # PyTorch thread counts to compare with (default 2)
 *   XFER_BENCH_ONLY=resnet18-64px/train ...         # one (model/mode) case
 *
 * Prints one JSON line per (model, mode): images/s as the median of >= 3 timed windows after a
 * warm-up; also images per second of this process's CPU time (wasm runs on one thread, so on a
 * shared machine this is the steadier figure for before/after comparisons) and the load average.
 * The models match test/bench/torch-bench.py layer for layer (torchvision ResNet-18 padding, batch
 * norm with running statistics, SGD momentum 0.9). ResNet-18's inference runs the catalog's
 * `resnet18.tv_in1k` from the plugin registry (`init: "random"`, 10 classes) as users get it, with
 * batch norm folded into its convolutions (docs/backends.md); training, and the tiny CNN, use the
 * bench's own `Model`.
 */
import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import type { Backbone } from "../../core/contracts.ts";
import { batchNormTraining } from "../../core/ops/batch-norm.ts";
import { PluginRegistry } from "../../core/plugin.ts";
import { SeedTree } from "../../core/rng.ts";
import { BACKBONE_PLUGINS } from "../../plugins/backbones/index.ts";
import { BACKEND_PLUGINS, selectBackend, type BackendSelection } from "../../plugins/backends/index.ts";
import { median, timeWindows } from "./windows.ts";

type Params = Map<string, tf.Variable>;

let models = 0;

class Model {
  readonly params: Params = new Map();
  /** tfjs variable names are global; each model instance gets its own prefix. */
  readonly #prefix = `bench${++models}/`;
  readonly stats = new Map<string, { mean: tf.Variable; variance: tf.Variable }>();
  #seed = 0;

  weight(name: string, shape: number[], fanIn: number): tf.Variable {
    // Kaiming-uniform-like init; values only matter for keeping activations finite.
    const bound = Math.sqrt(6 / fanIn);
    const v = tf.variable(tf.randomUniform(shape, -bound, bound, "float32", ++this.#seed), true, this.#prefix + name);
    this.params.set(name, v);
    return v;
  }

  conv(name: string, x: tf.Tensor4D, k: number, cout: number, stride: number, pad: number): tf.Tensor4D {
    const cin = x.shape[3];
    const w = this.params.get(name) ?? this.weight(name, [k, k, cin, cout], k * k * cin);
    const padding: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pad, pad], [pad, pad], [0, 0]];
    return tf.conv2d(x, w as tf.Tensor4D, stride, padding);
  }

  bn(name: string, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    const c = x.shape[3];
    if (!this.params.has(`${name}.gamma`)) {
      this.params.set(`${name}.gamma`, tf.variable(tf.ones([c]), true, `${this.#prefix}${name}.gamma`));
      this.params.set(`${name}.beta`, tf.variable(tf.zeros([c]), true, `${this.#prefix}${name}.beta`));
      this.stats.set(name, { mean: tf.variable(tf.zeros([c]), false), variance: tf.variable(tf.ones([c]), false) });
    }
    const gamma = this.params.get(`${name}.gamma`) as tf.Tensor1D;
    const beta = this.params.get(`${name}.beta`) as tf.Tensor1D;
    const running = this.stats.get(name)!;
    if (!training) return tf.batchNorm4d(x, running.mean as tf.Tensor1D, running.variance as tf.Tensor1D, beta, gamma, 1e-5);
    const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-5);
    // Running statistics as in PyTorch (momentum 0.1), outside the gradient.
    running.mean.assign(tf.tidy(() => running.mean.mul(0.9).add(mean.mul(0.1))));
    running.variance.assign(tf.tidy(() => running.variance.mul(0.9).add(variance.mul(0.1))));
    return y as tf.Tensor4D;
  }

  dense(name: string, x: tf.Tensor2D, units: number): tf.Tensor2D {
    const w = (this.params.get(name) ?? this.weight(name, [x.shape[1], units], x.shape[1])) as tf.Tensor2D;
    const b = (this.params.get(`${name}.bias`) ?? this.weight(`${name}.bias`, [units], x.shape[1])) as tf.Tensor1D;
    return tf.add(tf.matMul(x, w), b);
  }
}

/** torchvision resnet18: 7x7/2 stem, 3x3/2 max pool, four stages of two basic blocks. */
function resnet18(m: Model, x: tf.Tensor4D, training: boolean, classes: number): tf.Tensor2D {
  let h = tf.relu(m.bn("bn1", m.conv("conv1", x, 7, 64, 2, 3), training));
  h = tf.maxPool(tf.pad(h, [[0, 0], [1, 1], [1, 1], [0, 0]], -Infinity), 3, 2, "valid");
  const widths = [64, 128, 256, 512];
  widths.forEach((width, stage) => {
    for (let block = 0; block < 2; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      const p = `layer${stage + 1}.${block}`;
      let y = tf.relu(m.bn(`${p}.bn1`, m.conv(`${p}.conv1`, h, 3, width, stride, 1), training));
      y = m.bn(`${p}.bn2`, m.conv(`${p}.conv2`, y, 3, width, 1, 1), training);
      const shortcut = stride !== 1 || h.shape[3] !== width
        ? m.bn(`${p}.downsample.1`, m.conv(`${p}.downsample.0`, h, 1, width, stride, 0), training)
        : h;
      h = tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
    }
  });
  return m.dense("fc", tf.mean(h, [1, 2]) as tf.Tensor2D, classes);
}

/** conv32-pool-conv64-pool-fc128-fc10 on 28x28x1 (3x3 convs with padding 1, 2x2 max pools). */
function tinyCnn(m: Model, x: tf.Tensor4D, _training: boolean, classes: number): tf.Tensor2D {
  let h = tf.maxPool(tf.relu(m.conv("conv1", x, 3, 32, 1, 1)), 2, 2, "valid");
  h = tf.maxPool(tf.relu(m.conv("conv2", h, 3, 64, 1, 1)), 2, 2, "valid");
  const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
  return m.dense("fc2", tf.relu(m.dense("fc1", flat, 128)), classes);
}

interface Case {
  readonly model: string;
  readonly net: (m: Model, x: tf.Tensor4D, training: boolean, classes: number) => tf.Tensor2D;
  readonly input: [number, number, number];
  readonly batch: number;
  readonly classes: number;
  /** Steps per timed window, per mode. */
  readonly steps: { train: number; inference: number };
  /** The catalog backbone (same architecture) whose eval forward the inference case times instead of `net`. */
  readonly inferenceBackbone?: string;
}

const CASES: Case[] = [
  { model: "resnet18-64px", net: resnet18, input: [64, 64, 3], batch: 32, classes: 10, steps: { train: 3, inference: 5 }, inferenceBackbone: "resnet18.tv_in1k" },
  { model: "tiny-cnn-28px", net: tinyCnn, input: [28, 28, 1], batch: 64, classes: 10, steps: { train: 20, inference: 40 } },
];
const WINDOWS = 3;
const WARMUP_STEPS = 2;

async function makeStep(c: Case, mode: "train" | "inference"): Promise<{ step: () => void; dispose: () => void }> {
  const x = tf.randomUniform([c.batch, ...c.input], 0, 1, "float32", 7) as tf.Tensor4D;
  if (mode === "inference" && c.inferenceBackbone !== undefined) {
    const registry = new PluginRegistry(BACKBONE_PLUGINS);
    const backbone: Backbone = await registry.create("backbone", { name: c.inferenceBackbone, options: { init: "random" } }, { seeds: new SeedTree(0), numClasses: c.classes });
    return { step: () => tf.tidy(() => void backbone.forward(x, false).dataSync()), dispose: () => { x.dispose(); backbone.dispose(); } };
  }
  const model = new Model();
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: c.batch }, (_, i) => i % c.classes), "int32"), c.classes);
  tf.tidy(() => void c.net(model, x, false, c.classes)); // create the variables
  const optimizer = tf.train.momentum(0.01, 0.9);
  const vars = [...model.params.values()];
  const dispose = () => {
    tf.dispose([x, labels, ...vars, ...[...model.stats.values()].flatMap((s) => [s.mean, s.variance])]);
    optimizer.dispose();
  };
  if (mode === "inference") {
    return { dispose, step: () => tf.tidy(() => void c.net(model, x, false, c.classes).dataSync()) };
  }
  return {
    dispose,
    step: () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, c.net(model, x, true, c.classes)) as tf.Scalar, vars);
        optimizer.applyGradients(grads as tf.NamedTensorMap as Record<string, tf.Variable>);
        value.dataSync();
      }),
  };
}

async function profileStep(step: () => void, label: { model: string; mode: string }): Promise<void> {
  const profile = await tf.profile(step);
  // Ops with a custom gradient (tf.fused.conv2d's "fusedConv2d__op") are listed around their kernel: counted once.
  const kernels = profile.kernels.filter((k) => !k.name.endsWith("__op"));
  const byKernel = new Map<string, number>();
  for (const k of kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  const top = [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20);
  console.log(JSON.stringify({ ...label, profile: Object.fromEntries(top.map(([k, ms]) => [k, Number(ms.toFixed(1))])) }));
  if (process.env.XFER_BENCH_PROFILE !== "calls") return;
  const calls = kernels.slice().sort((a, b) => (b.kernelTimeMs as number) - (a.kernelTimeMs as number)).slice(0, Number(process.env.XFER_BENCH_CALLS ?? 30));
  for (const k of calls) console.log(JSON.stringify({ call: k.name, ms: Number((k.kernelTimeMs as number).toFixed(1)), inputs: k.inputShapes }));
}

async function bench(env: BackendSelection): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  for (const c of CASES) {
    for (const mode of ["train", "inference"] as const) {
      const only = process.env.XFER_BENCH_ONLY;
      if (only !== undefined && only !== `${c.model}/${mode}`) continue;
      const { step, dispose } = await makeStep(c, mode);
      for (let i = 0; i < WARMUP_STEPS; i++) step();
      if (process.env.XFER_BENCH_PROFILE !== undefined) await profileStep(step, { model: c.model, mode });
      const { rates, cpuRates } = timeWindows(step, c.steps[mode], c.batch, WINDOWS);
      dispose();
      const imagesPerSecond = median(rates);
      results[`${c.model}/${mode}`] = imagesPerSecond;
      console.log(JSON.stringify({
        bench: "training", framework: "tfjs", backend: env.backend, threads: env.threads, model: c.model, mode,
        batch: c.batch, imagesPerSecond: Number(imagesPerSecond.toFixed(2)), windows: rates.map((r) => Number(r.toFixed(2))),
        imagesPerCpuSecond: Number(median(cpuRates).toFixed(2)), loadavg: loadavg().map((l) => Number(l.toFixed(2))),
        runtime: env.runtime,
      }));
    }
  }
  return results;
}

/** PyTorch numbers from torch-bench.py (same models) and our ratio to them. */
function compareWithTorch(ours: Record<string, number>, threads: string): void {
  const script = new URL("./torch-bench.py", import.meta.url).pathname;
  if (!existsSync("/usr/bin/python3")) return void console.log(JSON.stringify({ note: "no /usr/bin/python3; PyTorch comparison skipped" }));
  const run = spawnSync("/usr/bin/python3", [script, "--threads", threads], { encoding: "utf8" });
  if (run.status !== 0) return void console.log(JSON.stringify({ note: `torch-bench.py failed: ${run.stderr.trim().split("\n").at(-1)}` }));
  for (const line of run.stdout.trim().split("\n")) {
    console.log(line);
    const torch = JSON.parse(line) as { model: string; mode: string; imagesPerSecond: number };
    const key = `${torch.model}/${torch.mode}`;
    if (ours[key] !== undefined) {
      console.log(JSON.stringify({
        bench: "training", ratio: key, torchThreads: Number(threads), tfjsOverTorch: Number((ours[key] / torch.imagesPerSecond).toFixed(3)),
      }));
    }
  }
}

const env = await selectBackend(new PluginRegistry(BACKEND_PLUGINS), { prefer: process.env.XFER_BACKEND, wasmThreads: Number(process.env.XFER_WASM_THREADS ?? 1) });
const ours = await bench(env);
if (process.env.XFER_BENCH_TORCH === "1") {
  for (const threads of (process.env.XFER_BENCH_TORCH_THREADS ?? "2").split(",")) compareWithTorch(ours, threads.trim());
}
