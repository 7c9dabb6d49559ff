/**
 * `xfer results` for any study, as a process over stored runs: one row per model with its upstream
 * score and one column per task (and kept axis), read back by `xfer run transfer-trends`.
 *
 * The pretrain -> transfer study is a pair of tiny recipe folders; their runs are planned by the
 * library (the upstream run's identity in each downstream spec) and published through FsRunStore
 * with chosen scores, so every cell of the export is known exactly. Table 3's augmentation axis is
 * checked on real `xfer run --smoke` runs of aptos-augmentation.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, getPath, plan, type EnvironmentRecord, type JsonObject, type PlannedRun, type RunResult, type TrainRecipe } from "../../core/index.ts";
import { FsRunStore } from "../../plugins/platform/node/run-store.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");

function xfer(args: string[]) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", cwd: ROOT, timeout: 300_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

const CORE = JSON.stringify(join(ROOT, "core/index.ts"));
const TEMPLATE = `{
  dataset: { name: "synthetic", options: { classes: 3, perClass: 8, size: 8 } },
  splitter: { name: "stratified-holdout", options: { valFraction: 0.25 } },
  backbone: { name: "tinycnn.random", options: { inputSize: 8, widths: [4, 8], hidden: 8 } },
  optimizer: { name: "sgd" }, schedule: { name: "constant" }, augment: { train: [], eval: [] },
  metrics: ["accuracy"], training: { epochs: 1, batchSize: 8, lr: 0.1, weightDecay: 0 }, seed: 1,
}`;
// Upstream: one backbone pretrained for 1, 2 or 3 epochs (three models of different upstream accuracy).
const PRE = `import { defineRecipe } from ${CORE};
export default defineRecipe({ name: "results-pre", description: "pretraining budgets", template: ${TEMPLATE}, grid: { "training.epochs": [1, 2, 3] } });
`;
// Downstream: each pretrained model fine-tuned (two lrs) and linear-probed on two tasks, and its architecture from scratch.
const DOWN = `import { defineRecipe } from ${CORE};
const tasks = [
  { dataset: [{ name: "synthetic", options: { classes: 2, perClass: 8, size: 8 } }], "tags.task": ["near"] },
  { dataset: [{ name: "synthetic", options: { classes: 2, perClass: 4, size: 8 } }], "tags.task": ["few"] },
];
const transfers = (epochs) => [
  { upstream: [{ recipe: "results-pre", select: { "training.epochs": epochs } }], "tags.transfer": ["finetune"], "training.lr": [0.1, 0.01] },
  { upstream: [{ recipe: "results-pre", select: { "training.epochs": epochs } }], "tags.transfer": ["linear-probe"], "training.mode": ["linear-probe"] },
  { upstream: [null], "tags.transfer": ["scratch"] },
];
export default defineRecipe({
  name: "results-down", description: "transfer of each pretrained model", template: ${TEMPLATE},
  grid: [1, 2, 3].flatMap((epochs) => tasks.flatMap((task) => transfers(epochs).map((transfer) => ({ ...task, ...transfer, "tags.model": ["tiny-e" + epochs] })))),
});
`;

const ENVIRONMENT: EnvironmentRecord = { backend: "cpu", backendVersion: "4.22.0", threads: 1, runtime: "node", platform: "linux", versions: {} } as unknown as EnvironmentRecord;

/** Publishes a run as `xfer run` would leave it, with the scores given (one epoch, a one-tensor checkpoint). */
async function publish(store: FsRunStore, run: PlannedRun, val: number, test: number): Promise<void> {
  const attempt = await store.begin(run.hash, run.spec as unknown as JsonObject, ENVIRONMENT);
  const epoch = { epoch: 1, trainLoss: 1, selection: { accuracy: val }, seconds: 0 };
  await attempt.appendEpoch(epoch);
  await attempt.putCheckpoint([{ name: "w", shape: [1], data: new Float32Array([test]) }]);
  const result = { hash: run.hash, recipe: run.spec.recipe, epochs: [epoch], bestEpoch: 1, best: { accuracy: val }, test: { accuracy: test }, params: 100, seconds: 0, seeds: {}, environment: ENVIRONMENT };
  expect((await attempt.finish(result as unknown as RunResult)).published).toBe(true);
}

/** Downstream scores: fine-tuning at lr 0.01 wins on val; every value a binary fraction, so the percent cells are exact. */
function downstreamScores(spec: JsonObject): { val: number; test: number } {
  const epochs = Number(String(getPath(spec, "tags.model")).slice("tiny-e".length));
  const shift = getPath(spec, "tags.task") === "few" ? -0.125 : 0;
  switch (getPath(spec, "tags.transfer")) {
    case "finetune":
      return getPath(spec, "training.lr") === 0.01 ? { val: 0.75, test: 0.5 + 0.0625 * epochs + shift } : { val: 0.5, test: 0.9375 };
    case "linear-probe":
      return { val: 0.5, test: 0.25 + 0.0625 * epochs + shift };
    default:
      return { val: 0.5, test: 0.375 + shift };
  }
}

let dir: string;
let out: string;
let upstreamOfE1: string;
const recipeDir = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "xfer-results-"));
  out = join(dir, "runs");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  for (const [name, source] of [["pre", PRE], ["down", DOWN]]) {
    mkdirSync(recipeDir(name));
    writeFileSync(join(recipeDir(name), "recipe.ts"), source);
  }
  const load = async (name: string) => ((await import(pathToFileURL(join(recipeDir(name), "recipe.ts")).href)) as { default: TrainRecipe }).default;
  const pre = plan(await load("pre"));
  // The library's planning puts the selected upstream run's identity into each downstream spec.
  const down = plan(await load("down"), {
    upstream: (ref) => pre.find((run) => Object.entries(ref.select).every(([path, value]) => canonicalJson(getPath(run.spec as unknown as JsonObject, path) ?? null) === canonicalJson(value)))!.hash,
  });
  expect(down).toHaveLength(3 * 2 * 4); // models x tasks x (2 fine-tuning lrs, linear probe, scratch: tagged per model, so one run each)
  const preStore = new FsRunStore(join(out, "results-pre"));
  for (const run of pre) {
    const epochs = run.spec.training.epochs;
    await publish(preStore, run, 0.5 + 0.125 * epochs, 0.5 + 0.125 * epochs);
  }
  // The downstream runs also in a folder without their upstream runs.
  for (const downStore of [new FsRunStore(join(out, "results-down")), new FsRunStore(join(dir, "no-upstream", "results-down"))]) {
    for (const run of down) {
      const { val, test } = downstreamScores(run.spec as unknown as JsonObject);
      await publish(downStore, run, val, test);
    }
  }
  upstreamOfE1 = pre.find((run) => run.spec.training.epochs === 1)!.hash;
}, 120_000);

describe("xfer results of a pretrain -> transfer study", () => {
  it("writes one row per tagged model: the upstream run's test accuracy (%), each task's best run on val", () => {
    const csv = join(dir, "best.csv");
    const exported = xfer(["results", recipeDir("down"), "--out", out, "--csv", csv]);
    expect(exported.code, exported.err).toBe(0);
    expect(exported.out.trim()).toBe(`results-down: best of 24 run(s) for 3 model(s)\n3 model(s) written to ${csv}`);
    // Over every other axis (transfer included), fine-tuning at lr 0.01 has the best val score.
    expect(readFileSync(csv, "utf8")).toBe(
      "model,upstream_accuracy,params,log10_params,few,near\n" +
        "tiny-e1,62.5,100,2,0.4375,0.5625\n" +
        "tiny-e2,75,100,2,0.5,0.625\n" +
        "tiny-e3,87.5,100,2,0.5625,0.6875\n",
    );
  });

  it("exports several recipes into one table (Table 4 + Table 16 runs for Table 15), and refuses a model in two of them", () => {
    const csv = join(dir, "both.csv");
    const both = xfer(["results", recipeDir("down"), recipeDir("pre"), "--out", out, "--csv", csv]);
    expect(both.code, both.err).toBe(0);
    expect(both.out.trim().split("\n")).toEqual(["results-down: best of 24 run(s) for 3 model(s)", "results-pre: best of 3 run(s) for 1 model(s)", `4 model(s) written to ${csv}`]);
    const lines = readFileSync(csv, "utf8").trim().split("\n");
    expect(lines.map((l) => l.split(",")[0])).toEqual(["model", "tiny-e1", "tiny-e2", "tiny-e3", "tinycnn.random"]);
    const twice = xfer(["results", recipeDir("down"), recipeDir("down"), "--out", out, "--csv", join(dir, "twice.csv")]);
    expect(twice.code).not.toBe(0);
    expect(twice.err).toContain(`model "tiny-e1" has runs in both "results-down" and "results-down"; export them separately`);
  });

  it("--by transfer keeps the transfer modes apart, task/mode, and transfer-trends reads the file with --x upstream_accuracy", () => {
    const csv = join(dir, "by-transfer.csv");
    const exported = xfer(["results", recipeDir("down"), "--out", out, "--csv", csv, "--by", "transfer"]);
    expect(exported.code, exported.err).toBe(0);
    expect(readFileSync(csv, "utf8")).toBe(
      "model,upstream_accuracy,params,log10_params,few/finetune,few/linear-probe,few/scratch,near/finetune,near/linear-probe,near/scratch\n" +
        "tiny-e1,62.5,100,2,0.4375,0.1875,0.25,0.5625,0.3125,0.375\n" +
        "tiny-e2,75,100,2,0.5,0.25,0.25,0.625,0.375,0.375\n" +
        "tiny-e3,87.5,100,2,0.5625,0.3125,0.25,0.6875,0.4375,0.375\n",
    );

    const report = join(dir, "report");
    const trends = xfer(["run", "transfer-trends", "--results", csv, "--x", "upstream_accuracy", "--out", report]);
    expect(trends.code, trends.err).toBe(0);
    const json = JSON.parse(readFileSync(join(report, "transfer-trends", "report.json"), "utf8"));
    expect(json.x).toBe("upstream_accuracy");
    // Fine-tuned accuracy rises 6.25 points per 12.5 points upstream: slope 0.5 on the 0-100 scale, r = 1.
    expect(json.trends["near/finetune"].slope_all.recomputed).toBeCloseTo(0.5, 10);
    expect(json.trends["near/finetune"].r_all.recomputed).toBeCloseTo(1, 10);
    // Scratch does not depend on the upstream model: a flat line.
    expect(json.trends["few/scratch"].slope_all.recomputed).toBeCloseTo(0, 10);
  });

  it("refuses an unknown --by axis, naming the axes there are, and runs whose upstream runs are not in --out", () => {
    const csv = join(dir, "never.csv");
    const unknown = xfer(["results", recipeDir("down"), "--out", out, "--csv", csv, "--by", "augmentation"]);
    expect(unknown.code).toBe(1);
    expect(unknown.err.trim()).toBe(
      "xfer: --by augmentation: no such axis in the 24 run(s); their grid axes: dataset, training.lr, training.mode, upstream; tags: model, task, transfer (any spec path works too, e.g. training.mode)",
    );
    const alone = join(dir, "no-upstream");
    const missing = xfer(["results", recipeDir("down"), "--out", alone, "--csv", csv]);
    expect(missing.code).toBe(1);
    expect(missing.err.trim()).toMatch(
      new RegExp(`^xfer: model "tiny-e1": run [0-9a-f]{64} loads run ${upstreamOfE1} of recipe "results-pre": no finished result in ${join(alone, "results-pre")}; \`xfer run results-down\` runs its upstream stage first$`),
    );
    expect(existsSync(csv)).toBe(false);
  });
});

describe("xfer results --by augment keeps Table 3's augmentation axis", () => {
  it("gives one APTOS column per fine-tuning augmentation on aptos-augmentation's smoke runs", () => {
    const aptos = join(dir, "aptos");
    const run = xfer(["run", "aptos-augmentation", "--smoke", "--backend", "cpu", "--out", aptos]);
    expect(run.code, run.err).toBe(0);
    const csv = join(dir, "table3.csv");
    const exported = xfer(["results", "aptos-augmentation", "--out", aptos, "--csv", csv, "--by", "augment"]);
    expect(exported.code, exported.err).toBe(0);
    const [header, row, ...rest] = readFileSync(csv, "utf8").trimEnd().split("\n");
    expect(rest).toEqual([]);
    expect(header).toBe(
      "model,params,log10_params,APTOS/random-resized-crop+horizontal-flip,APTOS/random-resized-crop+horizontal-flip+augmix,APTOS/random-resized-crop+horizontal-flip+rand-augment",
    );
    // Each cell is its run's QWK (the smoke fixture has no test split: the selection split's), one run per augmentation.
    const store = join(aptos, "aptos-augmentation");
    const byExtra = new Map(readdirSync(store).filter((id) => /^[0-9a-f]{64}$/.test(id)).map((id) => {
      const spec = JSON.parse(readFileSync(join(store, id, "spec.json"), "utf8"));
      const result = JSON.parse(readFileSync(join(store, id, "result.json"), "utf8")) as RunResult;
      return [spec.augment.train.slice(2).map((a: { name: string }) => a.name).join(","), result.test?.qwk ?? result.best.qwk];
    }));
    const cells = row.split(",");
    expect(cells[0]).toBe("resnet18_mini.random");
    expect(cells.slice(3).map(Number)).toEqual([byExtra.get(""), byExtra.get("augmix"), byExtra.get("rand-augment")]);
  }, 300_000);
});
