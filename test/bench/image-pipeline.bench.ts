/**
 * Image pipeline throughput: decode a 512x512 JPEG, resize to 224x224, random horizontal flip,
 * normalise to float32 (ImageNet mean/std), in images/s; the same with PIL + torchvision on the same
 * files via /usr/bin/python3. The JPEGs are generated into a temp dir at bench time.
 * Env: BENCH_IMAGES (default 300).
 */
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pLimit from "p-limit";
import sharp from "sharp";
import { hflip } from "../../core/image/geometry.ts";
import { normalize } from "../../core/image/color.ts";
import { SeedTree } from "../../core/rng.ts";
import { benchJpeg } from "./bench-jpegs.ts";
import { SharpDecoder } from "../../plugins/platform/node/index.ts";

const COUNT = Number(process.env.BENCH_IMAGES ?? 300);
const SIZE = 512;
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const workerCounts = [...new Set([1, Math.min(2, availableParallelism()), availableParallelism()])];

async function writeImages(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const file = join(dir, `img_${String(i).padStart(4, "0")}.jpg`);
    await writeFile(file, await benchJpeg(i, SIZE));
    files.push(file);
  }
  return files;
}

async function runSharp(files: readonly string[], workers: number): Promise<number> {
  // One worker = one thread, like a single PIL process; more workers also get libvips' default
  // thread pool. Flip and normalise run on the JS main thread either way.
  const decoder = new SharpDecoder({ vipsThreads: workers === 1 ? 1 : 0 });
  const rng = new SeedTree(0).stream("bench-flip");
  const limit = pLimit(workers);
  const one = async (file: string) => {
    const image = await decoder.decode(await readFile(file), { channels: 3, resize: [224, 224] }, file);
    const out = normalize(rng.uniform() < 0.5 ? hflip(image) : image, MEAN, STD);
    if (out.data.length !== 224 * 224 * 3) throw new Error("unexpected output size");
  };
  await Promise.all(files.slice(0, 20).map((f) => limit(() => one(f))));
  const start = performance.now();
  await Promise.all(files.map((f) => limit(() => one(f))));
  return (performance.now() - start) / 1000;
}

const dir = await mkdtemp(join(tmpdir(), "xfer-bench-images-"));
try {
  const files = await writeImages(dir);
  for (const workers of workerCounts) {
    const seconds = await runSharp(files, workers);
    console.log(JSON.stringify({
      bench: "image-pipeline", impl: "xfer sharp+ts", versions: { sharp: sharp.versions.sharp, vips: sharp.versions.vips },
      workers, images: files.length, seconds: Number(seconds.toFixed(3)), imagesPerSec: Number((files.length / seconds).toFixed(1)),
    }));
  }
  const python = spawnSync("/usr/bin/python3", [fileURLToPath(new URL("./image-pipeline.py", import.meta.url)), dir, ...workerCounts.map(String)], { encoding: "utf8" });
  if (python.status === 0) process.stdout.write(python.stdout);
  else console.log(JSON.stringify({ bench: "image-pipeline", impl: "PIL+torchvision", skipped: (python.stderr || python.error?.message || "").trim().split("\n").pop() }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
