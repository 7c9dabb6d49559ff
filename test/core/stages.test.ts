/**
 * Runs that build on runs: planStages resolves a recipe's upstream references to the identity of
 * the one upstream run each selects (so provenance is part of the downstream hash), cuts the
 * upstream stage to the runs referenced and names bad selections; runStages trains the upstream
 * stage first, and a downstream run starts from its upstream run's best checkpoint with a fresh head.
 */
import { describe, expect, it } from "vitest";
import {
  contentHash, createRootContainer, createRunContainer, defineRecipe, MemoryRunStore, parseConfig, planStages, runStages, TOKENS,
  type Backbone, type JsonObject, type PlannedRun, type RunStore, type StageLookups, type TrainRecipe,
} from "../../core/index.ts";
import { checkpointName } from "../../core/train/trainer.ts";
import { helloLikeTemplate } from "../helpers/golden.ts";
import { cpuEnvironment, NO_FILES, testRegistry } from "../helpers/plugins.ts";

const pretrain = (epochs = 2) => defineRecipe({
  name: "pre",
  description: "upstream",
  template: { ...helloLikeTemplate, training: { ...helloLikeTemplate.training, epochs } },
  grid: { "training.lr": [0.1, 0.05] },
});

const downstream = (select: JsonObject = { "training.lr": 0.1 }) => defineRecipe({
  name: "down",
  description: "downstream",
  template: { ...helloLikeTemplate, dataset: { name: "synthetic", options: { classes: 4, perClass: 12, size: 8, dataSeed: 7 } } },
  grid: [
    { upstream: [{ recipe: "pre", select }], "tags.transfer": ["finetune"], "training.lr": [0.05, 0.01] },
    { upstream: [null], "tags.transfer": ["scratch"] },
  ],
});

const lookups = (recipes: readonly TrainRecipe[]): StageLookups => ({
  recipe: async (name) => recipes.find((r) => r.name === name) ?? Promise.reject(new Error(`no recipe ${name}`)),
  identity: async (run: PlannedRun) => run.hash,
});

describe("planStages", () => {
  it("plans the upstream stage first, cut to the runs referenced, and puts the upstream identity in the downstream spec and hash", async () => {
    const stages = await planStages(downstream(), {}, lookups([pretrain()]));
    expect(stages.map((s) => [s.recipe.name, s.runs.length])).toEqual([["pre", 1], ["down", 3]]);
    const [upstreamRun] = stages[0].runs;
    expect(upstreamRun.spec.training.lr).toBe(0.1);
    const transferred = stages[1].runs.filter((r) => r.spec.upstream);
    expect(transferred).toHaveLength(2);
    for (const run of transferred) {
      expect(run.spec.upstream).toEqual({ recipe: "pre", select: { "training.lr": 0.1 }, run: upstreamRun.hash });
      expect(run.hash).toBe(contentHash(run.spec as unknown as JsonObject));
    }
    expect(stages[1].runs.filter((r) => r.spec.upstream === null)).toHaveLength(1);

    // Another upstream run (3 epochs instead of 2): the same downstream grid point is another run.
    const longer = await planStages(downstream(), {}, lookups([pretrain(3)]));
    expect(longer[0].runs[0].hash).not.toBe(upstreamRun.hash);
    const hashes = (s: typeof stages) => s[1].runs.filter((r) => r.spec.upstream).map((r) => r.hash);
    expect(hashes(longer).some((h) => hashes(stages).includes(h))).toBe(false);
    // From-scratch runs load nothing upstream: their hash does not move.
    expect(longer[1].runs.find((r) => r.spec.upstream === null)!.hash).toBe(stages[1].runs.find((r) => r.spec.upstream === null)!.hash);
  });

  it("applies --filter to the recipe asked for and keeps only the upstream runs the filtered runs need", async () => {
    const stages = await planStages(downstream(), { filters: [{ path: "tags.transfer", text: "scratch", value: "scratch" }] }, lookups([pretrain()]));
    expect(stages.map((s) => [s.recipe.name, s.runs.length])).toEqual([["pre", 0], ["down", 1]]);
  });

  it("names a selection that matches no run, or several, with what the upstream plan offers", async () => {
    await expect(planStages(downstream({ "training.lr": 0.3 }), {}, lookups([pretrain()]))).rejects.toThrow(
      /recipe "down" upstream \{"recipe":"pre","select":\{"training\.lr":0\.3\}\}: selects none of the 2 planned run\(s\) of "pre"; "training\.lr" takes 0\.05, 0\.1/,
    );
    await expect(planStages(downstream({ "optimizer.name": "test-sgd" }), {}, lookups([pretrain()]))).rejects.toThrow(
      /is ambiguous: 2 runs of "pre" match \(training\.lr=0\.1; training\.lr=0\.05\); add the axes that tell them apart \(training\.lr\) to select/,
    );
    await expect(planStages(downstream({}), {}, lookups([pretrain()]))).rejects.toThrow(/select names no spec path/);
  });

  it("with best, records every matching run as a candidate, in plan order, and refuses a selection matching none", async () => {
    const best = defineRecipe({ ...downstream(), grid: { upstream: [{ recipe: "pre", select: { "optimizer.name": "test-sgd" }, best: true }] } });
    const stages = await planStages(best, {}, lookups([pretrain()]));
    expect(stages.map((s) => [s.recipe.name, s.runs.length])).toEqual([["pre", 2], ["down", 1]]);
    expect(stages[1].runs[0].spec.upstream).toEqual({ recipe: "pre", select: { "optimizer.name": "test-sgd" }, best: true, runs: stages[0].runs.map((r) => r.hash) });
    const none = defineRecipe({ ...best, grid: { upstream: [{ recipe: "pre", select: { "training.lr": 0.3 }, best: true }] } });
    await expect(planStages(none, {}, lookups([pretrain()]))).rejects.toThrow(/upstream \{"best":true,"recipe":"pre","select":\{"training\.lr":0\.3\}\}: selects none of the 2 planned run\(s\)/);
    const written = defineRecipe({ ...best, grid: { upstream: [{ recipe: "pre", select: { seed: 0 }, runs: ["x"] }] } });
    await expect(planStages(written, {}, lookups([pretrain()]))).rejects.toThrow(/upstream\.run and upstream\.runs are upstream run identities, filled in by planning/);
  });

  it("refuses an upstream run of another architecture, a recipe that cannot be found, and a cycle", async () => {
    const other = defineRecipe({ ...downstream(), template: { ...downstream().template, backbone: { name: "tinycnn.random", options: { inputSize: 8, widths: [4, 4], hidden: 8 } } } });
    await expect(planStages(other, {}, lookups([pretrain()]))).rejects.toThrow(/selects a run of backbone .*"widths":\[4,8\].* but this run builds .*"widths":\[4,4\].*the architecture must be the same/);
    await expect(planStages(downstream(), {}, lookups([]))).rejects.toThrow(/no recipe pre/);
    const loop = (name: string, to: string) => defineRecipe({ name, description: "", template: { ...helloLikeTemplate, upstream: { recipe: to, select: { seed: 0 } } } });
    await expect(planStages(loop("a", "b"), {}, lookups([loop("a", "b"), loop("b", "a")]))).rejects.toThrow(/upstream references form a cycle: a -> b -> a/);
  });
});

/** A container over memory stores, one per recipe, as the Node root's storeFor gives one folder per recipe. */
async function memoryRoot(stores: Record<string, MemoryRunStore>, recipe: string) {
  return createRootContainer({
    registry: testRegistry(),
    config: parseConfig({}, "test"),
    ...NO_FILES,
    runStore: stores[recipe],
    storeFor: (name: string): RunStore => stores[name] ?? (() => { throw new Error(`no store ${name}`); })(),
    environment: await cpuEnvironment(),
    clock: performance,
  });
}

describe("runStages and upstream weights", () => {
  it("trains the upstream run first; a downstream run starts from its best checkpoint's body with a fresh head", async () => {
    const stores = { pre: new MemoryRunStore(), down: new MemoryRunStore() };
    const root = await memoryRoot(stores, "down");
    const stages = await planStages(downstream(), {}, lookups([pretrain()]));
    const outcomes = await runStages(root, stages.map((s) => ({ recipe: s.recipe.name, runs: s.runs })));
    expect(outcomes.map((o) => [o.recipe, o.outcome.trained.length, o.blocked.length])).toEqual([["pre", 1, 0], ["down", 3, 0]]);
    const upstreamId = stages[0].runs[0].hash;
    const checkpoint = (await stores.pre.checkpoint(upstreamId))!;

    const transferred = stages[1].runs.find((r) => r.spec.upstream)!;
    const run = await createRunContainer(root, transferred.hash, transferred.spec);
    const backbone: Backbone = run.resolve(TOKENS.backbone);
    try {
      backbone.freeze({ except: "head" });
      const head = new Set(backbone.trainableVariables().map((v) => checkpointName(v.name)));
      backbone.freeze(false);
      const state = backbone.stateVariables();
      expect(head.size).toBeGreaterThan(0);
      for (const variable of state) {
        const name = checkpointName(variable.name);
        const stored = checkpoint.get(name)!;
        if (head.has(name)) {
          // 4 downstream classes, 3 upstream: the head is this run's own.
          expect(variable.shape).not.toEqual(stored.shape);
        } else {
          expect(Array.from(variable.dataSync())).toEqual(Array.from(stored.data));
        }
      }
    } finally {
      backbone.dispose();
      run.dispose();
    }
  });

  it("leaves out, and names, downstream runs whose upstream run is not done", async () => {
    const stores = { pre: new MemoryRunStore(), down: new MemoryRunStore() };
    const warnings: string[] = [];
    const root = await memoryRoot(stores, "down");
    root.register(TOKENS.logger, { useValue: { progress() {}, runDone() {}, warn: (m: string) => warnings.push(m) } });
    const stages = await planStages(downstream(), {}, lookups([pretrain()]));
    // Only the downstream stage: the upstream run was never trained.
    const [outcome] = await runStages(root, [{ recipe: "down", runs: stages[1].runs }]);
    expect(outcome.blocked.map((b) => b.upstream)).toEqual([stages[0].runs[0].hash, stages[0].runs[0].hash]);
    expect(outcome.outcome.trained).toHaveLength(1);
    expect(warnings).toEqual([`2 run(s) of recipe "down" left out: the upstream run they load is not done (${stages[0].runs[0].hash.slice(0, 12)})`]);
  });

  it("with best, waits for every candidate, loads the best-scoring one and records which", async () => {
    const stores = { pre: new MemoryRunStore(), down: new MemoryRunStore() };
    const warnings: string[] = [];
    const root = await memoryRoot(stores, "down");
    root.register(TOKENS.logger, { useValue: { progress() {}, runDone() {}, warn: (m: string) => warnings.push(m) } });
    const best = defineRecipe({ ...downstream(), grid: { upstream: [{ recipe: "pre", select: { "optimizer.name": "test-sgd" }, best: true }] } });
    // The first candidate in plan order barely trains, so the choice is not simply the first.
    const candidates = defineRecipe({ ...pretrain(8), grid: { "training.lr": [1e-6, 0.3] } });
    const stages = await planStages(best, {}, lookups([candidates]));
    // One candidate trained: the choice waits.
    await runStages(root, [{ recipe: "pre", runs: stages[0].runs.slice(0, 1) }]);
    const [waiting] = await runStages(root, [{ recipe: "down", runs: stages[1].runs }]);
    expect(waiting.blocked).toEqual([{ id: stages[1].runs[0].hash, upstream: stages[0].runs[1].hash }]);
    const outcomes = await runStages(root, stages.map((s) => ({ recipe: s.recipe.name, runs: s.runs })));
    expect(outcomes.map((o) => [o.recipe, o.outcome.trained.length, o.blocked.length])).toEqual([["pre", 1, 0], ["down", 1, 0]]);
    const scores = await Promise.all(stages[0].runs.map(async (r) => ({ id: r.hash, score: (await stores.pre.get(r.hash))!.result.best.accuracy })));
    expect(scores[1].score).toBeGreaterThan(scores[0].score);
    const winner = scores[1];
    const result = (await stores.down.get(stages[1].runs[0].hash))!.result;
    expect(result.upstreamRun).toBe(winner.id);
  });

  it("with keepHead, loads the upstream classifier too (LP-FT), and refuses one of another shape", async () => {
    const stores = { pre: new MemoryRunStore(), down: new MemoryRunStore() };
    const root = await memoryRoot(stores, "down");
    const keep = (dataset: JsonObject) => defineRecipe({ ...downstream(), template: { ...helloLikeTemplate, dataset }, grid: { upstream: [{ recipe: "pre", select: { "training.lr": 0.1 }, keepHead: true }] } });
    const stages = await planStages(keep(helloLikeTemplate.dataset), {}, lookups([pretrain()]));
    await runStages(root, [{ recipe: "pre", runs: stages[0].runs }]);
    const checkpoint = (await stores.pre.checkpoint(stages[0].runs[0].hash))!;
    const [probe] = stages[1].runs;
    const run = await createRunContainer(root, probe.hash, probe.spec);
    const backbone: Backbone = run.resolve(TOKENS.backbone);
    try {
      for (const variable of backbone.stateVariables()) expect(Array.from(variable.dataSync())).toEqual(Array.from(checkpoint.get(checkpointName(variable.name))!.data));
    } finally {
      backbone.dispose();
      run.dispose();
    }
    // Four classes downstream, three upstream: the kept head does not fit.
    const [other] = (await planStages(keep(downstream().template.dataset as unknown as JsonObject), {}, lookups([pretrain()])))[1].runs;
    await expect(createRunContainer(root, other.hash, other.spec)).rejects.toThrow(/its checkpoint does not fit backbone "tinycnn\.random", nothing was loaded: "head\/kernel" is \[8, 3\] in the checkpoint, \[8, 4\] in this backbone/);
  });

  it("fails a run whose upstream checkpoint does not fit its backbone, naming the tensors", async () => {
    const stores = { pre: new MemoryRunStore(), down: new MemoryRunStore() };
    const root = await memoryRoot(stores, "down");
    const stages = await planStages(downstream(), {}, lookups([pretrain()]));
    await runStages(root, [{ recipe: "pre", runs: stages[0].runs }]);
    const transferred = stages[1].runs.find((r) => r.spec.upstream)!;
    // The same reference on a wider backbone: planning would refuse it; a hand-made spec meets the loader's check.
    const spec = { ...transferred.spec, backbone: { name: "tinycnn.random", options: { inputSize: 8, widths: [4, 16], hidden: 8 } } };
    await expect(createRunContainer(root, transferred.hash, spec)).rejects.toThrow(
      new RegExp(`upstream run ${stages[0].runs[0].hash} of recipe "pre" .*: its checkpoint does not fit backbone "tinycnn.random", nothing was loaded: "conv2/kernel" is \\[3, 3, 4, 8\\] in the checkpoint, \\[3, 3, 4, 16\\] in this backbone`),
    );
  });
});
