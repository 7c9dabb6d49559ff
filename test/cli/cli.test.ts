import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../plugins/platform/node/cli/main.ts";
import { createBackbone } from "../../plugins/backbones/index.ts";

async function xfer(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "xfer", ...args], { out: (t) => void (out += t.endsWith("\n") ? t : `${t}\n`), err: (t) => void (err += t.endsWith("\n") ? t : `${t}\n`) });
  return { code, out, err };
}

describe("xfer CLI", () => {
  it("lists plugins by kind and recipes", async () => {
    const { code, out } = await xfer("list");
    expect(code).toBe(0);
    expect(out).toMatch(/dataset\s+synthetic/);
    expect(out).toMatch(/recipes:\n(.*\n)*\s+hello-transfer/);
    expect((await xfer("list", "bogus")).err).toMatch(/unknown "bogus"; expected plugins, recipes or all/);
  });

  it("plans a recipe by name or path, as JSON with hashes", async () => {
    const byName = await xfer("plan", "hello-transfer", "--json");
    const byPath = await xfer("plan", "recipes/hello-transfer", "--json");
    expect(byName.code).toBe(0);
    const runs = JSON.parse(byName.out) as { hash: string; spec: { point: object } }[];
    expect(runs).toHaveLength(4);
    expect(runs.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    expect(JSON.parse(byPath.out)).toEqual(runs);
    const filtered = JSON.parse((await xfer("plan", "hello-transfer", "--json", "--filter", "training.lr=0.01")).out) as unknown[];
    expect(filtered).toHaveLength(2);
  });

  it("names the valid recipes when one is unknown, and rejects a bad seed", async () => {
    const unknown = await xfer("plan", "no-such-recipe");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/unknown recipe "no-such-recipe"; valid recipe names: .*hello-transfer/);
    expect((await xfer("plan", "hello-transfer", "--seed", "-3")).err).toMatch(/--seed: expected a non-negative integer/);
    expect((await xfer("env", "--wasm-threads", "0")).err).toMatch(/--wasm-threads must be a positive integer, got "0"/);
  });

  it("runs a recipe's smoke mode, then resumes without retraining", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-cli-"));
    const first = await xfer("run", "hello-transfer", "--smoke", "--out", out, "--backend", "cpu");
    expect(first.err).toMatch(/^xfer: backend cpu /);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/1 trained, 0 already done/);
    const runDirs = await readdir(join(out, "hello-transfer"));
    expect(runDirs).toHaveLength(1);
    const second = await xfer("run", "hello-transfer", "--smoke", "--out", out, "--backend", "cpu");
    expect(second.out).toMatch(/0 trained, 1 already done/);
    const csv = join(out, "table.csv");
    const exported = await xfer("results", "hello-transfer", "--out", out, "--csv", csv);
    expect(exported.code, exported.err).toBe(0);
    const { readFile } = await import("node:fs/promises");
    // No catalog ImageNet top-1 for a random-init tinycnn: no imagenet_top1 column; the run records its parameter count.
    expect((await readFile(csv, "utf8")).split("\n")[0]).toBe("model,params,log10_params,synthetic");
    // One backbone configuration: the model is its id (options name a model only where they differ between runs).
    expect((await readFile(csv, "utf8")).split("\n")[1]).toMatch(/^tinycnn\.random,\d+,\d+(\.\d+)?,\d+(\.\d+)?$/);
  });

  it("converts a PyTorch checkpoint into a tfjs weights directory that loads back", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-weights-"));
    const checkpoint = join(import.meta.dirname, "../../fixtures/parity/backbones/resnet18_mini.safetensors");
    const converted = await xfer("weights", "convert", "resnet18_mini.random", checkpoint, join(out, "tfjs"));
    expect(converted.code, converted.err).toBe(0);
    expect(converted.out).toMatch(/resnet18_mini.random: \d+ tensors \([\d,]+ parameters\)/);
    const backbone = await createBackbone("resnet18_mini.random", { numClasses: 10, weights: join(out, "tfjs") });
    expect(backbone.stateVariables().length).toBeGreaterThan(0);
    backbone.dispose();
    const wrong = await xfer("weights", "convert", "vgg_bn_mini.random", checkpoint, join(out, "wrong"));
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/resnet18_mini.safetensors/);
  });

  it("refuses to start a run whose recipe names an unknown augmentation, listing the valid ones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-bad-"));
    const { writeFile } = await import("node:fs/promises");
    await writeFile(
      join(dir, "recipe.ts"),
      `import { defineRecipe } from ${JSON.stringify(join(import.meta.dirname, "../../core/index.ts"))};
export default defineRecipe({ name: "bad", description: "typo", template: {
  dataset: { name: "synthetic" }, splitter: { name: "stratified-holdout" }, backbone: { name: "tinycnn.random" },
  optimizer: { name: "sgd" }, schedule: { name: "constant" }, augment: { train: [{ name: "horizontal-flipp" }], eval: [] },
  metrics: [], training: { epochs: 1, batchSize: 4, lr: 0.1, weightDecay: 0 } } });
`,
    );
    const run = await xfer("run", dir, "--out", join(dir, "out"), "--backend", "cpu");
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/unknown augmentation "horizontal-flipp"; did you mean "horizontal-flip"\? valid augmentation names: .*horizontal-flip/);
    expect((await readdir(dir)).sort()).toEqual(["recipe.ts"]);
  });

  it("prints help for every command", async () => {
    for (const command of ["list", "plan", "run", "env"]) {
      const { out } = await xfer(command, "--help");
      expect(out).toMatch(new RegExp(`Usage: xfer ${command}`));
    }
  });
});
