/**
 * Swapping services through the container: the Node composition root as the CLI builds it, then a
 * child container that registers its own run store (in memory) and clock (fake, advanced by the
 * logger: 100 ms per training step), and a tiny plan run below it. Nothing lands in the root's
 * run folder; the results are in memory and their timings are the fake clock's.
 *
 *   npx tsx docs/examples/swap-services.ts
 *
 * prints one JSON object: the run folder and whether it was written, and per run its hash, stored
 * result's best epoch, metrics and seconds, and the steps the logger counted.
 */
import { mkdtemp, readdir, rmdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  builtinRegistry, createNodeRoot, defineRecipe, MemoryRunStore, parseConfig, plan, runPlan, selectBackend, TOKENS, type Clock, type Logger,
} from "xfer";

const registry = builtinRegistry();
const environment = await selectBackend(registry, { prefer: "cpu" });
const runDir = await mkdtemp(join(tmpdir(), "xfer-swap-"));
const root = createNodeRoot({ config: parseConfig({}, "example"), runDir, environment, registry });

// The overrides: a child container sees its own registrations first, its parent's for the rest.
const STEP_MS = 100;
let now = 0;
// timeOrigin: the fake clock's 0 is this wall-clock instant, so results record start and end times.
const fakeClock: Clock = { now: () => now, timeOrigin: Date.UTC(2026, 0, 1) };
let steps = 0;
const stepLogger: Logger = {
  progress() {
    steps++;
    now += STEP_MS;
  },
  runDone() {},
};
const store = new MemoryRunStore();
const child = root.createChildContainer();
child.register(TOKENS.runStore, { useValue: store });
child.register(TOKENS.clock, { useValue: fakeClock });
child.register(TOKENS.logger, { useValue: stepLogger });

const recipe = defineRecipe({
  name: "swap-services",
  description: "tiny CNN on synthetic stripes, two learning rates",
  template: {
    dataset: { name: "synthetic", options: { classes: 3, perClass: 12, size: 8 } },
    splitter: { name: "stratified-holdout", options: { valFraction: 0.25 } },
    backbone: { name: "tinycnn.random", options: { inputSize: 8, widths: [4, 8], hidden: 8 } },
    optimizer: { name: "sgd" },
    schedule: { name: "constant" },
    augment: { train: [], eval: [] },
    metrics: ["accuracy"],
    training: { epochs: 2, batchSize: 8, lr: 0.1, weightDecay: 0 },
    seed: 0,
  },
  grid: { "training.lr": [0.1, 0.05] },
});

const runs = plan(recipe);
const outcome = await runPlan(child, runs);
const stored = await Promise.all(outcome.trained.map(async (hash) => (await store.get(hash))!.result));
console.log(JSON.stringify({
  runDir,
  runDirEntries: await readdir(runDir),
  backend: environment.backend,
  steps,
  runs: stored.map((r) => ({ hash: r.hash, bestEpoch: r.bestEpoch, best: r.best, seconds: r.seconds, epochSeconds: r.epochs.map((e) => e.seconds) })),
}, null, 2));
// The folder this example made; rmdir refuses if anything had been written into it.
await rmdir(runDir);
