// The memory check as a user meets it: a run whose training step would not fit in the heap is
// refused by xfer plan --strict and xfer run before any backend starts, naming the backbone, the
// batch and the training.microBatch that fits; with that micro-batch it passes. The heap
// limit is lowered through XFER_HEAP_LIMIT_BYTES (for tests) so a tiny CNN can exceed it.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { estimateStepHeapBytes } from "../../core/preflight.ts";
import type { RunSpec } from "../../core/index.ts";
import helloTransfer from "../../recipes/hello-transfer/recipe.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");

// hello-transfer's step (batch 16 at 16 px) against a limit between its micro-batch of 4 and of 8.
const spec = helloTransfer.template as unknown as RunSpec;
const limit = Math.floor((estimateStepHeapBytes(spec, 4)! + estimateStepHeapBytes(spec, 8)!) / 2);

function xfer(args: string[], cwd: string) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", cwd, timeout: 180_000, env: { ...process.env, XFER_HEAP_LIMIT_BYTES: String(limit) } });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

let project: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), "xfer-memory-"));
  writeFileSync(join(project, "xfer.config.json"), JSON.stringify({}));
});

describe("the training step's memory, checked before a run starts", () => {
  it("xfer run refuses a step that exceeds the heap, naming backbone, batch and the micro-batch that fits, and starts nothing", () => {
    const out = join(project, "runs");
    const { code, err } = xfer(["run", "hello-transfer", "--smoke", "--out", out, "--backend", "wasm"], project);
    expect(code).toBe(1);
    expect(err).toMatch(/recipe "hello-transfer" cannot run; preflight found 1 problem\(s\)/);
    expect(err).toMatch(/backbone "tinycnn\.random": a training step on a batch of 16 \(training\.batchSize\) at 16 px needs about [\d.]+ MiB of wasm heap, more than the [\d.]+ MiB it can have; set training\.microBatch to 4 \(gradient accumulation keeps the batch of 16/);
    expect(err).not.toMatch(/xfer: backend/);
    expect(existsSync(join(out, "hello-transfer"))).toBe(false);
  }, 180_000);

  it("--backend cpu has no heap cap: the same run trains", () => {
    const out = join(project, "runs-cpu");
    const { code, err } = xfer(["run", "hello-transfer", "--smoke", "--out", out, "--backend", "cpu"], project);
    expect(code, err).toBe(0);
    expect(err).not.toMatch(/microBatch/);
    expect(err).toMatch(/xfer: backend cpu/);
  }, 180_000);

  it("xfer plan warns, and --strict makes it an error", () => {
    const lenient = xfer(["plan", "hello-transfer", "--smoke"], project);
    expect(lenient.code).toBe(0);
    expect(lenient.err).toMatch(/xfer: warning: backbone "tinycnn\.random": a training step on a batch of 16/);
    const strict = xfer(["plan", "hello-transfer", "--smoke", "--strict"], project);
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/set training\.microBatch to 4/);
  }, 180_000);

  it("with the suggested training.microBatch the same run passes preflight", async () => {
    const recipe = await mkdtemp(join(tmpdir(), "xfer-memory-recipe-"));
    writeFileSync(join(recipe, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(recipe, "recipe.ts"), `import { defineRecipe } from ${JSON.stringify(join(ROOT, "core/index.ts"))};
import base from ${JSON.stringify(join(ROOT, "recipes/hello-transfer/recipe.ts"))};
export default defineRecipe({ ...base, name: "hello-micro", template: { ...base.template, training: { ...base.template.training, microBatch: 4 } } });
`);
    const { code, out, err } = xfer(["plan", recipe, "--smoke", "--strict", "--json"], project);
    expect(code, err).toBe(0);
    expect(err).not.toMatch(/warning/);
    const [run] = JSON.parse(out) as { spec: RunSpec }[];
    expect(run.spec.training).toMatchObject({ batchSize: 16, microBatch: 4 });
  }, 180_000);
});
