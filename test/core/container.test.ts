/**
 * The container composes: services registered once at the root, derived things (dataset contexts,
 * the shared dataset cache) resolved from the container doing the resolving, so a child
 * container's own run store, clock, decoder or file access is what the runs below it use.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createRunContainer, defineRecipe, MemoryRunStore, parseConfig, plan, runPlan, TOKENS, type Clock, type DataIO, type DatasetMeta, type ImageDecoder, type Logger,
} from "../../core/index.ts";
import { createNodeRoot } from "../../plugins/platform/node/services.ts";
import { SharpDecoder } from "../../plugins/platform/node/sharp-decoder.ts";
import { helloLikeTemplate } from "../helpers/golden.ts";
import { cpuEnvironment, NO_FILES, testRegistry } from "../helpers/plugins.ts";

const recipe = defineRecipe({ name: "container", description: "", template: helloLikeTemplate, grid: { "training.lr": [0.1, 0.05] } });

async function nodeRoot(dir: string) {
  return createNodeRoot({ config: parseConfig({ dataRoots: { synthetic: "/nowhere" } }, "test"), runDir: dir, registry: testRegistry(), environment: await cpuEnvironment() });
}

/** A clock that moves only when the logger reports a training step, by `stepMs`. */
function steppedTime(stepMs: number) {
  let now = 0;
  let steps = 0;
  const clock: Clock = { now: () => now };
  const logger: Logger = {
    progress() {
      steps++;
      now += stepMs;
    },
    runDone() {},
  };
  return { clock, logger, steps: () => steps };
}

describe("swapping services in a child container", () => {
  it("trains into an in-memory store with a fake clock and writes nothing to the root's run folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-container-"));
    const root = await nodeRoot(dir);
    const store = new MemoryRunStore();
    const time = steppedTime(250);
    const child = root.createChildContainer();
    child.register(TOKENS.runStore, { useValue: store });
    child.register(TOKENS.clock, { useValue: time.clock });
    child.register(TOKENS.logger, { useValue: time.logger });

    const runs = plan(recipe);
    const outcome = await runPlan(child, runs);
    expect(outcome.trained).toEqual(runs.map((r) => r.hash));
    expect(await readdir(dir)).toEqual([]);
    expect(await store.list()).toEqual(runs.map((r) => r.hash).sort());
    // 24 training samples in batches of 8: 3 steps an epoch, 2 epochs a run, 250 ms a step.
    expect(time.steps()).toBe(12);
    for (const { hash } of runs) {
      const { result } = (await store.get(hash))!;
      expect(result.seconds).toBe(1.5);
      expect(result.epochs.map((e) => e.seconds)).toEqual([0.75, 0.75]);
      expect(store.epochs(hash)).toEqual(result.epochs);
      expect(store.attemptCheckpoint(hash)!.map((t) => t.name)).toContain("head/kernel");
    }
    // The root itself still uses the file store and the real clock.
    expect(root.resolve(TOKENS.runStore)).not.toBe(store);
    expect((await runPlan(root, runs.slice(0, 1))).trained).toEqual([runs[0].hash]);
    expect(await readdir(dir)).toEqual([runs[0].hash]);
  });

  it("derives dataset contexts from the resolving container's file access and decoder", async () => {
    const root = await nodeRoot(await mkdtemp(join(tmpdir(), "xfer-container-")));
    const meta = { name: "synthetic" } as DatasetMeta;
    const rootCtx = root.resolve(TOKENS.datasetContext)(meta);
    expect(rootCtx.decoder).toBeInstanceOf(SharpDecoder);
    // The same services give the same context (the image cache keys its loaders by context).
    expect(root.resolve(TOKENS.datasetContext)(meta)).toBe(rootCtx);
    expect(root.createChildContainer().resolve(TOKENS.datasetContext)(meta)).toBe(rootCtx);

    const decoder: ImageDecoder = { ...NO_FILES.decoder };
    const opened: string[] = [];
    const io = {} as DataIO;
    const files = (dir: string): DataIO => {
      opened.push(dir);
      return io;
    };
    const child = root.createChildContainer();
    child.register(TOKENS.decoder, { useValue: decoder });
    child.register(TOKENS.files, { useValue: files });
    const childCtx = child.resolve(TOKENS.datasetContext)(meta);
    // contextOf: the context of another data root (concat's parts), from the same services.
    expect(Object.keys(childCtx).sort()).toEqual(["contextOf", "decoder", "io"]);
    expect(childCtx.io).toBe(io);
    expect(childCtx.decoder).toBe(decoder);
    expect(opened).toEqual(["/nowhere"]);
    expect(root.resolve(TOKENS.datasetContext)(meta)).toBe(rootCtx);

    // A run below the child sees the child's services, and its dataset is shared per decoder.
    const [run] = plan(recipe);
    const below = await createRunContainer(child, run.hash, run.spec);
    expect(below.resolve(TOKENS.decoder)).toBe(decoder);
    expect(below.resolve(TOKENS.datasetContext)(meta)).toBe(childCtx);
    const again = await createRunContainer(child, run.hash, run.spec);
    expect(again.resolve(TOKENS.dataset)).toBe(below.resolve(TOKENS.dataset));
    const atRoot = await createRunContainer(root, run.hash, run.spec);
    expect(atRoot.resolve(TOKENS.dataset)).not.toBe(below.resolve(TOKENS.dataset));
    for (const c of [below, again, atRoot]) c.resolve(TOKENS.backbone).dispose();
  });

  it("derives the run's head once: classes, outputs and loss, and sizes the backbone with it", async () => {
    const root = await nodeRoot(await mkdtemp(join(tmpdir(), "xfer-container-")));
    const [single] = plan(recipe);
    const run = await createRunContainer(root, single.hash, single.spec);
    expect(run.resolve(TOKENS.head)).toEqual({ numClasses: 3, outputs: 3, loss: "softmax-cross-entropy", labelSmoothing: 0 });
    run.resolve(TOKENS.backbone).dispose();

    const [ordinal] = plan(defineRecipe({ name: "ordinal", description: "", template: { ...helloLikeTemplate, training: { ...helloLikeTemplate.training, loss: "ordinal-l1" } } }));
    const ordinalRun = await createRunContainer(root, ordinal.hash, ordinal.spec);
    expect(ordinalRun.resolve(TOKENS.head)).toMatchObject({ numClasses: 3, outputs: 1, loss: "ordinal-l1" });
    const headKernel = ordinalRun.resolve(TOKENS.backbone).stateVariables().find((v) => v.name.endsWith("head/kernel"))!;
    expect(headKernel.shape.at(-1)).toBe(1);
    ordinalRun.resolve(TOKENS.backbone).dispose();
  });
});

describe("docs/examples/swap-services.ts", () => {
  it("runs as documented and reports results in memory, nothing on disk, and the fake clock's seconds", () => {
    const example = resolve(import.meta.dirname, "../../docs/examples/swap-services.ts");
    const tsx = resolve(import.meta.dirname, "../../node_modules/.bin/tsx");
    const run = spawnSync(tsx, [example], { encoding: "utf8", cwd: resolve(import.meta.dirname, "../..") });
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(run.stdout.slice(run.stdout.indexOf("{"))) as {
      runDirEntries: string[]; backend: string; steps: number; runs: { hash: string; seconds: number; epochSeconds: number[]; best: Record<string, number> }[];
    };
    expect(report.runDirEntries).toEqual([]);
    expect(report.backend).toBe("cpu");
    expect(report.runs).toHaveLength(2);
    // 27 training samples in batches of 8: 4 steps an epoch, 2 epochs, 100 ms a step.
    expect(report.steps).toBe(16);
    for (const r of report.runs) {
      expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.epochSeconds).toEqual([0.4, 0.4]);
      expect(r.seconds).toBeCloseTo(0.8, 12);
      expect(r.best.accuracy).toBeGreaterThanOrEqual(0);
    }
  });
});
