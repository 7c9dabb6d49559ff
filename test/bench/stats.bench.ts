/**
 * Statistics benchmarks (not tests): prints one JSON line per case with the median seconds, then
 * the NumPy / scikit-learn / SciPy equivalent from test/bench/stats-bench.py and the ratio.
 *
 *   npx tsx test/bench/stats.bench.ts                 # all cases, with the Python reference
 *   XFER_BENCH_PYTHON=0 npx tsx test/bench/stats.bench.ts    # xfer only
 *   XFER_BENCH_ONLY=auc,bootstrap npx tsx test/bench/stats.bench.ts
 *
 * Cases: ROC AUC on 100,000 scores; a 10,000-resample percentile bootstrap CI of AUC on 10,000
 * samples; FID from two 5,000 x 2048 feature matrices.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { rocAuc, weightedRocAuc } from "../../core/metrics/index.ts";
import { SeedTree } from "../../core/rng.ts";
import { bootstrapCI, frechetDistance } from "../../core/stats/index.ts";

const only = new Set((process.env.XFER_BENCH_ONLY ?? "auc,bootstrap,fid").split(",").map((s) => s.trim()));
const results = new Map<string, number>();

function medianSeconds(fn: () => unknown, runs: number): number {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    fn();
    times.push((performance.now() - t) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

function emit(bench: string, impl: string, seconds: number, extra: Record<string, unknown> = {}): void {
  results.set(bench, seconds);
  console.log(JSON.stringify({ bench, impl, seconds: Number(seconds.toFixed(4)), ...extra }));
}

const rng = new SeedTree(2023).stream("bench");

if (only.has("auc")) {
  const n = 100_000;
  const y = Array.from({ length: n }, () => rng.int(2));
  const s = Array.from({ length: n }, () => rng.uniform());
  rocAuc(y, s);
  emit("stats/roc-auc-100k", "xfer rocAuc", medianSeconds(() => rocAuc(y, s), 5));
}

if (only.has("bootstrap")) {
  const n = 10_000;
  const y = Array.from({ length: n }, () => rng.int(2));
  const s = Array.from({ length: n }, () => rng.uniform());
  let ci = { lower: 0, upper: 0 };
  const seconds = medianSeconds(() => {
    ci = bootstrapCI(n, weightedRocAuc(y, s), { resamples: 10_000, seed: 7 });
  }, 1);
  emit("stats/bootstrap-auc-10k-x10k", "xfer bootstrapCI(weightedRocAuc)", seconds, { lower: ci.lower, upper: ci.upper });
}

if (only.has("fid")) {
  const rows = 5000;
  const cols = 2048;
  const features = (scale: number, shift: number) => {
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal() * scale + shift;
    return { data, rows, cols };
  };
  const a = features(1, 0);
  const b = features(1.1, 0.1);
  let fid = 0;
  emit("stats/fid-2048x5000", "xfer frechetDistance", medianSeconds(() => {
    fid = frechetDistance(a, b);
  }, 1), { fid });
}

const python = "/usr/bin/python3";
if (process.env.XFER_BENCH_PYTHON !== "0" && existsSync(python)) {
  const script = new URL("./stats-bench.py", import.meta.url).pathname;
  const run = spawnSync(python, [script, ...only], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  for (const line of run.stdout.trim().split("\n").filter(Boolean)) {
    const ref = JSON.parse(line) as { bench: string; seconds: number };
    console.log(line);
    const ours = results.get(ref.bench);
    if (ours !== undefined) {
      console.log(JSON.stringify({ bench: ref.bench, ratio: Number((ours / ref.seconds).toFixed(3)), note: "xfer seconds / reference seconds; target <= 2" }));
    }
  }
}
