/**
 * Sweep throughput of `xfer run --jobs N` (a benchmark, not a test): a fixed grid of small runs on
 * Debian's Fashion-MNIST (/usr/share/datasets/fashion-mnist; `apt-get install dataset-fashion-mnist`),
 * defined here rather than borrowed from a recipe that may change, run by the real CLI into fresh
 * --out folders with --jobs 1 and then --jobs 2 (override with XFER_BENCH_JOBS=1,2,4).
 *
 *   npx tsx test/bench/sweep.bench.ts
 *
 * Prints one JSON line per --jobs: runs/hour and training images/s (train images x epochs of every
 * run, over the sweep's wall time, process start-up included), then the speed-up of each over the
 * first. The sweeps must give the same bytes (best.safetensors of every run): a faster sweep that
 * computed something else would not count.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const CORE = resolve(import.meta.dirname, "../../core/index.ts");
const DATA = "/usr/share/datasets/fashion-mnist";
const NAME = "sweep-bench";

/**
 * 8 runs (2 learning rates x 4 seeds) of a tiny CNN on 4,000 training images (k-shot, 400 per
 * class) for 10 epochs, validated on 700 images: about 10 s each on one core, so the runs, not the
 * few seconds each process spends starting (tsx, the backend, indexing 70,000 images), dominate;
 * the parent's own start-up before it forks is the serial part of --jobs 2.
 */
const RECIPE = `
import { defineRecipe } from ${JSON.stringify(CORE)};

export default defineRecipe({
  name: ${JSON.stringify(NAME)},
  description: "sweep benchmark: tinycnn on 400-shot Fashion-MNIST",
  template: {
    dataset: { name: "fashion-mnist", options: { channels: 1 } },
    splitter: { name: "k-shot", options: { k: 400, valFraction: 0.01 } },
    backbone: { name: "tinycnn.random", options: { inputSize: 28, channels: 1, widths: [8, 16], hidden: 32 } },
    optimizer: { name: "sgd", options: { momentum: 0.9 } },
    schedule: { name: "constant" },
    augment: { train: [], eval: [] },
    metrics: ["accuracy"],
    training: { epochs: 10, batchSize: 50, lr: 0.05, weightDecay: 0 },
    seed: 0,
  },
  grid: { "training.lr": [0.05, 0.02], seed: [0, 1, 2, 3] },
});
`;

interface Sweep {
  readonly jobs: number;
  readonly runs: number;
  readonly seconds: number;
  readonly images: number;
  /** Run id -> SHA-256 of its best.safetensors. */
  readonly checkpoints: Map<string, string>;
}

function sweep(recipe: string, out: string, jobs: number): Sweep {
  const started = performance.now();
  const run = spawnSync(process.execPath, [XFER, "run", recipe, "--out", out, "--backend", "wasm", "--jobs", String(jobs)], { encoding: "utf8" });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`xfer run --jobs ${jobs} exited ${run.status ?? run.signal}:\n${run.stderr}`);
  const dir = join(out, NAME);
  let images = 0;
  const checkpoints = new Map<string, string>();
  for (const id of readdirSync(dir).filter((e) => /^[0-9a-f]{64}$/.test(e))) {
    const result = JSON.parse(readFileSync(join(dir, id, "result.json"), "utf8")) as { data: { train: number }; epochs: unknown[]; checkpoint: { path: string } };
    images += result.data.train * result.epochs.length;
    checkpoints.set(id, createHash("sha256").update(readFileSync(join(dir, id, result.checkpoint.path))).digest("hex"));
  }
  return { jobs, runs: checkpoints.size, seconds, images, checkpoints };
}

if (!existsSync(join(DATA, "train-images-idx3-ubyte.gz")) && !existsSync(join(DATA, "train-images-idx3-ubyte"))) {
  console.error(`sweep bench: no Fashion-MNIST in ${DATA} (apt-get install dataset-fashion-mnist); skipped`);
  process.exit(0);
}
const root = await mkdtemp(join(tmpdir(), "xfer-sweep-bench-"));
await writeFile(join(root, "package.json"), `{ "type": "module" }\n`);
await mkdir(join(root, NAME));
await writeFile(join(root, NAME, "recipe.ts"), RECIPE);
const jobsList = (process.env.XFER_BENCH_JOBS ?? "1,2").split(",").map(Number);
const sweeps: Sweep[] = [];
for (const jobs of jobsList) {
  const result = sweep(join(root, NAME), await mkdtemp(join(root, `jobs${jobs}-`)), jobs);
  sweeps.push(result);
  console.log(JSON.stringify({
    bench: "sweep", jobs, runs: result.runs, seconds: Number(result.seconds.toFixed(1)),
    runsPerHour: Math.round((result.runs / result.seconds) * 3600), imagesPerSecond: Math.round(result.images / result.seconds),
    cores: availableParallelism(), loadavg: loadavg().map((l) => Number(l.toFixed(1))),
  }));
}
const [first, ...rest] = sweeps;
for (const other of rest) {
  const same = [...first.checkpoints].every(([id, sha]) => other.checkpoints.get(id) === sha) && other.checkpoints.size === first.checkpoints.size;
  console.log(JSON.stringify({ bench: "sweep", speedup: `${other.jobs} vs ${first.jobs} jobs`, factor: Number((first.seconds / other.seconds).toFixed(2)), sameBytes: same }));
  if (!same) {
    console.error(`sweep bench: --jobs ${other.jobs} gave other checkpoints than --jobs ${first.jobs}`);
    process.exitCode = 1;
  }
}
