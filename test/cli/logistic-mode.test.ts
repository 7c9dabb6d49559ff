// training.mode "logistic-regression" as a user meets it: `xfer run` of a recipe in that mode, the
// run folder it leaves, `xfer evaluate` of its checkpoint, and a second `xfer run` finding it done.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { kornblithLambdaGrid, readSafetensors, type RunResult } from "../../core/index.ts";
import { decodePredictions } from "../../core/train/predictions.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");

function xfer(args: string[]) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", cwd: ROOT, timeout: 120_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

let recipe: string;
let out: string;
let id: string;
let runDir: string;
let result: RunResult;

beforeAll(async () => {
  recipe = await mkdtemp(join(tmpdir(), "xfer-logistic-recipe-"));
  out = await mkdtemp(join(tmpdir(), "xfer-logistic-out-"));
  writeFileSync(join(recipe, "package.json"), JSON.stringify({ type: "module" }));
  // tiny-test-split's run in this mode (its optimizer, schedule, lr and epochs stay, unused).
  writeFileSync(join(recipe, "recipe.ts"), `import { defineRecipe } from ${JSON.stringify(join(ROOT, "core/index.ts"))};
import base from ${JSON.stringify(join(ROOT, "fixtures/recipes/tiny-test-split/recipe.ts"))};
export default defineRecipe({
  ...base,
  name: "logistic-mode",
  description: "fixed-feature logistic regression on a tiny CNN's features",
  template: { ...base.template, training: { ...base.template.training, mode: "logistic-regression" } },
});
`);
  const ran = xfer(["run", recipe, "--out", out, "--backend", "wasm"]);
  expect(ran.code, ran.err).toBe(0);
  [id] = readdirSync(join(out, "logistic-mode")).filter((e) => /^[0-9a-f]{64}$/.test(e));
  runDir = join(out, "logistic-mode", id);
  result = JSON.parse(readFileSync(join(runDir, "result.json"), "utf8"));
}, 180_000);

describe('xfer run of a recipe in training.mode "logistic-regression"', () => {
  it("records one epoch, the chosen lambda among Kornblith's 45, the classifier as the checkpoint and the test predictions", () => {
    expect(result.bestEpoch).toBe(1);
    expect(result.epochs).toHaveLength(1);
    expect(result.epochs[0].selection).toEqual(result.best);
    expect(result.regularisation!.candidates).toBe(45);
    expect(kornblithLambdaGrid()).toContain(result.regularisation!.lambda);
    const checkpoint = readSafetensors(readFileSync(join(runDir, result.checkpoint!.path)), "best.safetensors");
    // tinycnn's penultimate layer has `hidden` = 8 features; 3 classes.
    expect([...checkpoint].map(([name, t]) => [name, t.shape])).toEqual([["linear/kernel", [8, 3]], ["linear/bias", [3]]]);
    const predictions = decodePredictions(readFileSync(join(runDir, result.predictions!.path)), "predictions.safetensors");
    expect(predictions.split).toBe("test");
    expect(predictions.ids).toHaveLength(result.data!.test!);
    const hits = predictions.scores.filter((row, i) => row.indexOf(Math.max(...row)) === predictions.labels[i]).length;
    expect(hits / predictions.ids.length).toBe(result.test!.accuracy);
  });

  it("xfer evaluate reproduces the stored test metrics from the checkpoint, and says what val means here", () => {
    const test = xfer(["evaluate", recipe, id.slice(0, 12), "--out", out, "--split", "test", "--json"]);
    expect(test.code, test.err).toBe(0);
    const scored = JSON.parse(test.out);
    expect(scored.metrics).toEqual(result.test);
    expect(scored.evaluation).toEqual(result.evaluation!.test);
    const val = xfer(["evaluate", recipe, id.slice(0, 12), "--out", out, "--split", "val"]);
    expect(val.code, val.err).toBe(0);
    expect(val.out).toContain("the checkpoint was refitted on train + val");
    expect(val.out).not.toContain("stored:");
  });

  it("is done for a second xfer run, which trains nothing", () => {
    const again = xfer(["run", recipe, "--out", out, "--backend", "wasm"]);
    expect(again.code, again.err).toBe(0);
    expect(again.out + again.err).toMatch(/0 trained, 1 already done/);
    expect(JSON.parse(readFileSync(join(runDir, "result.json"), "utf8"))).toEqual(result);
  });
});
