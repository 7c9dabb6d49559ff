/**
 * The input pipeline end to end: fine-tune ResNet-18 (the catalog's, random init) at 224 px for a
 * fixed number of steps on 512-px JPEGs read from disk, with random resized crop and horizontal
 * flip, through xfer's own path (an image-folder recipe with `training.steps`, createNodeRoot and
 * runPlan, as `xfer run` trains it), then PyTorch the same way (test/bench/pipeline.py:
 * torchvision transforms, DataLoader with one worker, SGD momentum) on the same files. Prints
 * images/s for both (the steps' window: from the run's start to its last step, validation left
 * out), their ratio, and how long steps waited for their batch. The JPEGs are generated into a
 * temp dir at bench time. xfer runs twice: with its sample worker threads (the default) and with
 * every sample prepared on the main thread (`sampleWorkers: false`).
 *
 *   npx tsx test/bench/pipeline.bench.ts
 * Env: BENCH_IMAGES (default 256), BENCH_STEPS (default 8), BENCH_BATCH (default 32),
 * XFER_BENCH_TORCH_THREADS (PyTorch's compute threads, default 2), XFER_BENCH_PIPELINE_ONLY=xfer|torch (one side).
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineRecipe, parseConfig, plan, runPlan, type Logger, type TrainProgress } from "../../core/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { selectBackend } from "../../plugins/backends/index.ts";
import { createNodeRoot } from "../../plugins/platform/node/services.ts";
import { benchJpeg } from "./bench-jpegs.ts";

const IMAGES = Number(process.env.BENCH_IMAGES ?? 256);
const STEPS = Number(process.env.BENCH_STEPS ?? 8);
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const ONLY = process.env.XFER_BENCH_PIPELINE_ONLY;
const SIZE = 512;
const CLASSES = 4;

/** The bench JPEGs in ImageFolder layout, images dealt to the classes in turn. */
async function writeImages(dir: string): Promise<void> {
  for (let c = 0; c < CLASSES; c++) await mkdir(join(dir, `class${c}`), { recursive: true });
  for (let i = 0; i < IMAGES; i++) await writeFile(join(dir, `class${i % CLASSES}`, `img_${String(i).padStart(4, "0")}.jpg`), await benchJpeg(i, SIZE));
}

const recipe = (steps: number) => defineRecipe({
  name: "pipeline-bench",
  description: "ResNet-18 at 224 px from scratch on 512-px JPEGs: the input pipeline bench",
  template: {
    dataset: { name: "image-folder" },
    // A small val split: the bench times the steps, validation only follows them.
    splitter: { name: "stratified-holdout", options: { valFraction: 0.05 } },
    backbone: { name: "resnet18.tv_in1k", options: { init: "random" } },
    optimizer: { name: "sgd", options: { momentum: 0.9, nesterov: false } },
    schedule: { name: "constant" },
    augment: {
      train: [{ name: "random-resized-crop", options: { size: 224 } }, { name: "horizontal-flip" }],
      eval: [{ name: "resize-center-crop", options: { resize: 256, crop: 224 } }],
    },
    metrics: ["accuracy"],
    training: { epochs: 1, steps, batchSize: BATCH, lr: 0.01, weightDecay: 0 },
    seed: 0,
  },
  grid: {},
});

async function runXfer(data: string, sampleWorkers: boolean, stepCount = STEPS) {
  const environment = await selectBackend(builtinRegistry(), { prefer: "wasm" });
  const out = await mkdtemp(join(tmpdir(), "xfer-bench-pipeline-runs-"));
  let started = NaN;
  const steps: (TrainProgress & { at: number })[] = [];
  const logger: Logger = {
    runStart: () => void (started = performance.now()),
    progress: (event) => void steps.push({ ...event, at: performance.now() }),
    runDone: () => {},
  };
  const cpu = process.cpuUsage();
  try {
    const config = parseConfig({ dataRoots: { "image-folder": data } }, "pipeline bench");
    const root = createNodeRoot({ config, runDir: out, environment, logger, ...(sampleWorkers ? {} : { sampleWorkers: false }) });
    const outcome = await runPlan(root, plan(recipe(stepCount)));
    if (outcome.failed.length > 0) throw new Error(`the bench run failed: ${JSON.stringify(outcome.failed[0].failure).slice(0, 2000)}`);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  if (stepCount !== STEPS) return NaN;
  const used = process.cpuUsage(cpu);
  const seconds = (steps[steps.length - 1].at - started) / 1000;
  const waited = steps.map((s) => s.waitedMs ?? 0);
  console.log(JSON.stringify({
    bench: "pipeline", impl: "xfer", backend: `${environment.backend} ${environment.threads} thread(s)`,
    sampleWorkers, images: STEPS * BATCH, steps: STEPS, batch: BATCH,
    seconds: Number(seconds.toFixed(2)), imagesPerSec: Number(((STEPS * BATCH) / seconds).toFixed(2)),
    // The first batch has nothing to overlap with; the rest waited this long between steps.
    firstBatchWaitS: Number((waited[0] / 1000).toFixed(2)), laterStepsWaitS: Number((waited.slice(1).reduce((a, b) => a + b, 0) / 1000).toFixed(2)),
    mainCpuS: Number(((used.user + used.system) / 1e6).toFixed(1)), loadavg: loadavg()[0],
  }));
  return (STEPS * BATCH) / seconds;
}

function runTorch(data: string): number | undefined {
  const python = spawnSync("/usr/bin/python3", [fileURLToPath(new URL("./pipeline.py", import.meta.url)), data, String(STEPS), String(BATCH), process.env.XFER_BENCH_TORCH_THREADS ?? "2"], { encoding: "utf8" });
  if (python.status !== 0) {
    console.log(JSON.stringify({ bench: "pipeline", impl: "pytorch", skipped: (python.stderr || python.error?.message || "").trim().split("\n").pop() }));
    return undefined;
  }
  process.stdout.write(python.stdout);
  return JSON.parse(python.stdout.trim().split("\n").pop()!).imagesPerSec;
}

const data = await mkdtemp(join(tmpdir(), "xfer-bench-pipeline-images-"));
try {
  await writeImages(data);
  // One step first, untimed: the wasm kernels compile and the process warms up before either timed run.
  if (ONLY !== "torch") await runXfer(data, false, 1);
  const xfer = ONLY === "torch" ? undefined : await runXfer(data, true);
  if (ONLY !== "torch") await runXfer(data, false);
  const torch = ONLY === "xfer" ? undefined : runTorch(data);
  if (xfer !== undefined && torch !== undefined) console.log(JSON.stringify({ bench: "pipeline", ratio: Number((xfer / torch).toFixed(3)), of: "xfer (sample workers) / PyTorch images/s" }));
} finally {
  await rm(data, { recursive: true, force: true });
}
