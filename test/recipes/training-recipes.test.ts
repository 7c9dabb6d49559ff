// Every training recipe: its plan has the size its expected.json records (for imagenet-transfer,
// the paper's grid), every plugin it names exists where it can run today, and its smoke mode runs
// end to end on the committed fixtures through the CLI, as CI does.
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkPlugins, plan } from "../../core/index.ts";
import { main } from "../../plugins/platform/node/cli/main.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { BUILTIN_RECIPES } from "../../recipes/index.ts";
import { BACKBONE_CATALOG } from "../../plugins/backbones/index.ts";
import { TABLE16, TABLE4 } from "../../fixtures/paper/fang2023.ts";

const TRAINING = ["hello-transfer", "imagenet-transfer", "imagenet-transfer-appendix", "aptos-augmentation", "cct20-augmentation"];

function expected(name: string): { runs: number; smokeRuns: number } {
  return JSON.parse(readFileSync(resolve(import.meta.dirname, "../../recipes", name, "expected.json"), "utf8"));
}

describe.each(TRAINING)("recipe %s", (name) => {
  it("plans the number of runs its expected.json records", async () => {
    const recipe = (await BUILTIN_RECIPES[name]()).default;
    if (recipe.kind !== "train") throw new Error(`${name} is not a training recipe`);
    expect(plan(recipe)).toHaveLength(expected(name).runs);
    const smoke = plan(recipe, { smoke: true });
    expect(smoke).toHaveLength(expected(name).smokeRuns);
    expect(checkPlugins(builtinRegistry(), smoke)).toEqual([]);
  });

  it("runs its smoke mode end to end", async () => {
    const out = await mkdtemp(join(tmpdir(), `xfer-smoke-${name}-`));
    const lines: string[] = [];
    const code = await main(["node", "xfer", "run", name, "--smoke", "--out", out], { out: (t) => void lines.push(t), err: (t) => void lines.push(t) });
    expect(code, lines.join("\n")).toBe(0);
    expect(lines.join("\n")).toMatch(new RegExp(`${name}: ${expected(name).smokeRuns} trained, 0 already done`));
  }, 300_000);
});

it("imagenet-transfer plans the paper's grid: 19 backbones x 6 datasets x 60 settings", async () => {
  const recipe = (await BUILTIN_RECIPES["imagenet-transfer"]()).default;
  if (recipe.kind !== "train") throw new Error("not a training recipe");
  const runs = plan(recipe);
  const pairs = new Set(runs.map((r) => `${r.spec.backbone.name}|${r.spec.dataset.name}`));
  expect(pairs.size).toBe(19 * 6);
  const perPair = new Map<string, number>();
  for (const r of runs) perPair.set(`${r.spec.backbone.name}|${r.spec.dataset.name}`, (perPair.get(`${r.spec.backbone.name}|${r.spec.dataset.name}`) ?? 0) + 1);
  expect(new Set(perPair.values())).toEqual(new Set([60]));
  const melanoma = runs.filter((r) => r.spec.dataset.name === "melanoma");
  expect(new Set(melanoma.map((r) => r.spec.training.epochs))).toEqual(new Set([10]));
  expect(new Set(melanoma.map((r) => r.spec.splitSeed))).toEqual(new Set([23]));
  // Every backbone of Table 4 is built: none is left to stop a run or a plan.
  expect([...new Set(runs.map((r) => r.spec.backbone.name))].filter((id) => !BACKBONE_CATALOG.has(id))).toEqual([]);
  expect([...new Set(runs.map((r) => BACKBONE_CATALOG.get(r.spec.backbone.name)!.paperName))].sort()).toEqual(TABLE4.map((r) => r.model).sort());
});

it("imagenet-transfer-appendix plans Table 16's six models the same way", async () => {
  const recipe = (await BUILTIN_RECIPES["imagenet-transfer-appendix"]()).default;
  if (recipe.kind !== "train") throw new Error("not a training recipe");
  const runs = plan(recipe);
  expect([...new Set(runs.map((r) => BACKBONE_CATALOG.get(r.spec.backbone.name)?.paperName))].sort()).toEqual(TABLE16.map((r) => r.model).sort());
  expect(runs).toHaveLength(6 * 6 * 60);
});
