/**
 * Peak memory of a ResNet-50 (catalog `resnet50.tv_in1k`, random init, 10-class head) training
 * step at 224 px (or another backbone and size: the figures behind core/preflight.ts's estimates), SGD with momentum, on the selected backend (a benchmark, not a test).
 *
 *   npx tsx test/bench/memory.bench.ts                  # batches 8, 16, 32, and 32 in micro-batches of 8
 *   XFER_MEMORY_BATCHES=1,2,16/8 npx tsx test/bench/memory.bench.ts   # B/M: batch B with training.microBatch M
 *   XFER_BENCH_TORCH=1 ...                             # also test/bench/torch-memory.py at the same batches
 *   XFER_MEMORY_PROFILE=1 ...                          # also the MiB each kernel type holds at the peak
 *   XFER_MEMORY_BACKBONE=resnet18.tv_in1k XFER_MEMORY_SIZE=112 ...   # another catalog backbone / input size
 *
 * One JSON line per batch: `wasmHeapBytes` is the wasm backend's WebAssembly.Memory after two
 * steps (the heap only grows, so this is its peak; wasm32 caps it at 4 GiB), `tfPeakBytes` tfjs's
 * own peak of live tensor bytes within the second step (`tf.profile`), `rssBytes` the process's
 * peak resident set (VmHWM) and `rssBeforeStepBytes` its resident set once the model is built.
 * A step that does not fit reports its error instead. Each batch runs in a fresh process because
 * the heap never shrinks.
 */
import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { PluginRegistry } from "../../core/plugin.ts";
import { SeedTree } from "../../core/rng.ts";
import { trainingStep } from "../../core/train/step.ts";
import { softmaxCrossEntropy } from "../../core/losses.ts";
import { BACKEND_PLUGINS, selectBackend } from "../../plugins/backends/index.ts";
import { heapMemory } from "../../plugins/backends/wasm/kernels/compose.ts";
import { backboneMeta, createBackbone } from "../../plugins/backbones/index.ts";
import { OPTIMIZER_PLUGINS } from "../../plugins/optimizers/index.ts";
import type { Optimizer } from "../../core/contracts.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

const BACKBONE = process.env.XFER_MEMORY_BACKBONE ?? "resnet50.tv_in1k";
const SIZE = Number(process.env.XFER_MEMORY_SIZE ?? 224);
const CLASSES = 10;

/** The process's peak resident set (VmHWM) and current one (VmRSS), in bytes. */
function residentSet(): { peak: number; now: number } {
  const status = readFileSync("/proc/self/status", "utf8");
  const kib = (field: string) => Number(/^\s*(\d+)/.exec(status.split(`${field}:`)[1] ?? "")?.[1] ?? NaN) * 1024;
  return { peak: kib("VmHWM"), now: kib("VmRSS") };
}

/**
 * What the tensors alive at the step's peak are made of: the bytes each kernel type added up to the
 * kernel with the largest snapshot (the tape frees nothing before the backward pass), largest first.
 */
function peakByKernel(kernels: readonly { name: string; bytesAdded: number; totalBytesSnapshot: number }[]): Record<string, number> {
  const peakAt = kernels.reduce((best, k, i) => (k.totalBytesSnapshot > kernels[best].totalBytesSnapshot ? i : best), 0);
  const added = new Map<string, number>();
  for (const k of kernels.slice(0, peakAt + 1)) added.set(k.name, (added.get(k.name) ?? 0) + k.bytesAdded);
  return Object.fromEntries([...added].filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([name, bytes]) => [name, Math.round(bytes / 2 ** 20)]));
}

async function measure(batch: number, microBatch: number | undefined): Promise<void> {
  const env = await selectBackend(new PluginRegistry(BACKEND_PLUGINS), { prefer: process.env.XFER_BACKEND ?? "wasm" });
  const seeds = new SeedTree(0);
  const backbone = await createBackbone(BACKBONE, { numClasses: CLASSES, seeds, inputSize: SIZE });
  const optimizer = (await new PluginRegistry(OPTIMIZER_PLUGINS).create("optimizer", { name: "sgd", options: { momentum: 0.9 } }, { seeds, training: { lr: 0.01, weightDecay: 0, epochs: 1 } } as never)) as Optimizer;
  const variables = backbone.trainableVariables();
  const heap = () => (env.backend === "wasm" ? heapMemory(tf.backend() as BackendWasm).buffer.byteLength : null);
  const rssBeforeStepBytes = residentSet().now;
  const heapBeforeStepBytes = heap();
  const input = tf.randomUniform([batch, SIZE, SIZE, backboneMeta(BACKBONE).channels], -2, 2, "float32", 1);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % CLASSES), "int32"), CLASSES).toFloat() as tf.Tensor2D;
  const loss = (x: tf.Tensor, target: tf.Tensor2D) => softmaxCrossEntropy(backbone.forward(x as tf.Tensor4D, true), target);
  const run = { run: "memory-bench", spec: { backbone: { name: BACKBONE }, training: { epochs: 1, batchSize: batch, lr: 0.01, weightDecay: 0, ...(microBatch === undefined ? {} : { microBatch }) } } };
  const line: Record<string, unknown> = { bench: "memory", backbone: BACKBONE, size: SIZE, batch, microBatch: microBatch ?? batch, backend: env.backend };
  try {
    const started = performance.now();
    trainingStep(optimizer, variables, loss, input, y, 0.01, run);
    line.firstStepSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
    // The second step runs with the momentum buffers in place, as every later step does.
    const profile = await tf.profile(() => void trainingStep(optimizer, variables, loss, input, y, 0.01, run));
    Object.assign(line, { ok: true, tfPeakBytes: profile.peakBytes });
    if (process.env.XFER_MEMORY_PROFILE === "1") line.peakByKernel = peakByKernel(profile.kernels);
  } catch (error) {
    Object.assign(line, { ok: false, error: String((error as Error).message ?? error).split("\n")[0] });
  }
  Object.assign(line, { wasmHeapBytes: heap(), heapBeforeStepBytes, rssBytes: residentSet().peak, rssBeforeStepBytes, tfLiveBytes: tf.memory().numBytes });
  console.log(JSON.stringify(line));
}

/** "B" or "B/M" (batch B in micro-batches of M). */
function parseCase(text: string): { batch: number; microBatch?: number } {
  const [batch, microBatch] = text.split("/").map(Number);
  if (!Number.isSafeInteger(batch) || batch < 1 || (microBatch !== undefined && (!Number.isSafeInteger(microBatch) || microBatch < 1))) {
    throw new Error(`XFER_MEMORY_BATCHES: expected B or B/M with positive integers, got "${text}"`);
  }
  return microBatch === undefined ? { batch } : { batch, microBatch };
}

const childCase = process.env.XFER_MEMORY_CHILD_CASE;
if (childCase !== undefined) {
  const { batch, microBatch } = parseCase(childCase);
  await measure(batch, microBatch);
} else {
  const cases = (process.env.XFER_MEMORY_BATCHES ?? "8,16,32,32/8").split(",");
  cases.forEach(parseCase);
  const batches = [...new Set(cases.map((text) => parseCase(text).batch))];
  for (const text of cases) {
    const child = spawnSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname], {
      env: { ...process.env, XFER_MEMORY_CHILD_CASE: text }, encoding: "utf8", maxBuffer: 1 << 24,
    });
    const out = child.stdout.trim();
    console.log(out !== "" ? out : JSON.stringify({ bench: "memory", case: text, ok: false, error: `process ended with ${child.status ?? child.signal}: ${child.stderr.trim().split("\n").filter((l) => !l.startsWith("Node.js")).at(-1)}` }));
  }
  if (process.env.XFER_BENCH_TORCH === "1") {
    const script = new URL("./torch-memory.py", import.meta.url).pathname;
    if (!existsSync("/usr/bin/python3")) console.log(JSON.stringify({ note: "no /usr/bin/python3; PyTorch comparison skipped" }));
    else {
      for (const batch of batches) {
        const run = spawnSync("/usr/bin/python3", [script, "--batch", String(batch)], { encoding: "utf8" });
        console.log(run.status === 0 ? run.stdout.trim() : JSON.stringify({ note: `torch-memory.py failed: ${run.stderr.trim().split("\n").at(-1)}` }));
      }
    }
  }
}
