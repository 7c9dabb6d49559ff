// CLIP LP-FT (Appendix I) as a user meets it: `xfer plan clip-transfer` plans the probes of
// clip-linear-probe first (6 towers x 6 datasets x 3 lr) and then the fine-tuning grid (3 lr x 5
// weight decay) on each pair's best probe; `xfer run clip-transfer --smoke` trains both stages on a
// mini tower, the fine-tuned run loading the better probe, head included; `xfer report
// clip-transfer` runs Tables 8-9's analysis on a given table or the printed ones.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { planStages, type PlannedRun, type RunResult, type TrainRecipe } from "../../core/index.ts";
import probe from "../../recipes/clip-linear-probe/recipe.ts";
import clipTransfer from "../../recipes/clip-transfer/recipe.ts";
import { CLIP_MODELS, FINETUNE_LRS, PROBE_LRS } from "../../recipes/shared/clip.ts";
import { WEIGHT_DECAYS } from "../../recipes/shared/paper.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const expected = JSON.parse(readFileSync(new URL("../../recipes/clip-transfer/expected.json", import.meta.url), "utf8")) as {
  probeRuns: number; runs: number; smokeProbeRuns: number; smokeRuns: number;
};
const lookups = { recipe: async (name: string): Promise<TrainRecipe> => (name === probe.name ? probe : Promise.reject(new Error(name))), identity: async (run: PlannedRun) => run.hash };

function xfer(...args: string[]) {
  return spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8" });
}

describe("clip-transfer", () => {
  it("plans Appendix I's LP-FT: 3 probes per (tower, dataset), then 3 lr x 5 weight decays on the best of them, head kept", async () => {
    const [probes, finetunes] = await planStages(clipTransfer, {}, lookups);
    expect([probes.runs.length, finetunes.runs.length]).toEqual([expected.probeRuns, expected.runs]);
    expect(probes.runs.length).toBe(CLIP_MODELS.length * 6 * PROBE_LRS.length);
    expect(finetunes.runs.length).toBe(CLIP_MODELS.length * 6 * FINETUNE_LRS.length * WEIGHT_DECAYS.length);
    expect(new Set(probes.runs.map((r) => r.spec.training.mode))).toEqual(new Set(["linear-probe"]));
    const byPair = new Map<string, PlannedRun[]>();
    for (const run of probes.runs) byPair.set(`${run.spec.backbone.name}|${run.spec.dataset.name}`, [...(byPair.get(`${run.spec.backbone.name}|${run.spec.dataset.name}`) ?? []), run]);
    for (const run of finetunes.runs) {
      const candidates = byPair.get(`${run.spec.backbone.name}|${run.spec.dataset.name}`)!;
      expect(run.spec.upstream).toMatchObject({ recipe: "clip-linear-probe", best: true, keepHead: true, runs: candidates.map((c) => c.hash) });
      // A third of the epochs probing, the rest fine-tuning: 10 + 20, Melanoma 3 + 7.
      expect(candidates[0].spec.training.epochs + run.spec.training.epochs).toBe(run.spec.dataset.name === "melanoma" ? 10 : 30);
      expect([run.spec.optimizer.name, run.spec.schedule.name]).toEqual(["adamw", "cosine"]);
    }
    const plan = xfer("plan", "clip-transfer");
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(new RegExp(`stage 1/2 \\(upstream of clip-transfer\\):\\nclip-linear-probe: ${expected.probeRuns} run\\(s\\)`));
    expect(plan.stdout).toMatch(new RegExp(`stage 2/2:\\nclip-transfer: ${expected.runs} run\\(s\\)`));
  });

  it("trains both stages in smoke mode; the fine-tuned run loads the better probe and records it", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-clip-"));
    const run = xfer("run", "clip-transfer", "--smoke", "--out", out, "--jobs", "1");
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`clip-linear-probe: ${expected.smokeProbeRuns} trained, 0 already done`);
    expect(run.stdout).toContain(`clip-transfer: ${expected.smokeRuns} trained, 0 already done`);
    const results = async (recipe: string) => Promise.all((await readdir(join(out, recipe))).filter((d) => /^[0-9a-f]{64}$/.test(d))
      .map(async (d) => JSON.parse(await readFile(join(out, recipe, d, "result.json"), "utf8")) as RunResult));
    const probes = await results("clip-linear-probe");
    const [finetuned] = await results("clip-transfer");
    const best = probes.reduce((a, b) => (b.best.accuracy > a.best.accuracy ? b : a));
    expect(probes.map((p) => p.best.accuracy).filter((a) => a === best.best.accuracy)).toHaveLength(1);
    expect(finetuned.upstreamRun).toBe(best.hash);
  }, 300_000);

  it("xfer report --paper and --results run Tables 8-9's analysis; a table of CLIP rows alone is compared with the printed ImageNet models", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-clip-report-"));
    const paper = xfer("report", "clip-transfer", "--paper", "--out", out);
    expect(paper.status, paper.stderr).toBe(0);
    expect(paper.stdout).toMatch(/CLIP-L14@336 better than all previous/);
    const file = join(out, "clip.csv");
    await writeFile(file, "model,imagenet_top1,CCT20,APTOS,HPA,Melanoma,Cassava,EuroSAT\nCLIP-RN50,73.3,74.45,0.9135,0.7053,0.9350,87.89,98.80\nCLIP-B16,80.2,77.81,0.9213,0.6365,0.9619,87.82,99.24\n");
    const given = xfer("report", "clip-transfer", "--results", file, "--out", out);
    expect(given.status, given.stderr).toBe(0);
    expect(given.stdout).toContain("has no ImageNet models: they come from the paper's printed Table 4");
    expect(given.stdout).toMatch(/Table 8: CLIP models fine-tuned \(your results vs printed\)/);
    const neither = xfer("report", "imagenet-transfer", "--paper", "--out", out);
    expect(neither.status).not.toBe(0);
    expect(neither.stderr).toContain(`"imagenet-transfer" has none`);
  });
});
