/**
 * A recipe that takes its backbone from another recipe's run, through the CLI as a user meets it:
 * two recipe folders side by side, `xfer plan` showing both stages, `xfer run` of the downstream
 * recipe training the one upstream run it selects first (into <out>/<upstream recipe>), a sweep
 * stopped during the upstream stage going on where it stopped, `xfer status` over both stages,
 * and downstream runs left out, not failed, when their upstream run fails.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { epochLines, published, waitFor } from "./sweep-fixture.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const CORE = resolve(import.meta.dirname, "../../core/index.ts");

const BACKBONE = `{ name: "tinycnn.random", options: { inputSize: 16, widths: [8, 16], hidden: 16 } }`;

/** <root>/up-pre and <root>/up-down; `failing`: the upstream run throws at its first image. */
async function writeRecipes(epochs: number, failing = false): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "xfer-upstream-"));
  await writeFile(join(root, "package.json"), `{ "type": "module" }\n`);
  const recipe = (name: string, body: string) => mkdir(join(root, name)).then(() => writeFile(join(root, name, "recipe.ts"), body));
  await recipe("up-pre", `
import { definePlugin, defineRecipe } from ${JSON.stringify(CORE)};
export const plugins = [definePlugin({
  meta: { kind: "augmentation", name: "test-boom", version: "0.0.0", description: "always throws" },
  create: () => ({ apply: () => { throw new Error("test-boom: upstream fails"); } }),
})];
export default defineRecipe({
  name: "up-pre",
  description: "upstream: 3 synthetic classes",
  template: {
    dataset: { name: "synthetic", options: { classes: 3, perClass: 64, size: 16 } },
    splitter: { name: "stratified-holdout", options: { valFraction: 0.25 } },
    backbone: ${BACKBONE},
    optimizer: { name: "sgd", options: { momentum: 0.9 } },
    schedule: { name: "constant" },
    augment: { train: ${failing ? `[{ name: "test-boom" }]` : "[]"}, eval: [] },
    metrics: ["accuracy"],
    training: { epochs: ${epochs}, batchSize: 8, lr: 0.05, weightDecay: 0 },
    seed: 3,
  },
  grid: { "training.lr": [0.05, 0.01] },
});
`);
  await recipe("up-down", `
import { defineRecipe } from ${JSON.stringify(CORE)};
export default defineRecipe({
  name: "up-down",
  description: "downstream: 4 other synthetic classes, from the upstream run or from scratch",
  template: {
    dataset: { name: "synthetic", options: { classes: 4, perClass: 16, size: 16, dataSeed: 5 } },
    splitter: { name: "stratified-holdout", options: { valFraction: 0.25 } },
    backbone: ${BACKBONE},
    optimizer: { name: "sgd", options: { momentum: 0.9 } },
    schedule: { name: "constant" },
    augment: { train: [], eval: [] },
    metrics: ["accuracy"],
    training: { epochs: 2, batchSize: 8, lr: 0.01, weightDecay: 0 },
    seed: 3,
  },
  grid: [
    { upstream: [{ recipe: "up-pre", select: { "training.lr": 0.05 } }], "tags.transfer": ["finetune"] },
    { upstream: [null], "tags.transfer": ["scratch"] },
  ],
});
`);
  return root;
}

function startIn(cwd: string, args: readonly string[]) {
  const child = spawn(process.execPath, [XFER, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (d: Buffer) => (output.stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<{ code: number | null } & typeof output>((done) => child.on("close", (code) => done({ code, ...output })));
  return { child, exited };
}

const xferIn = (cwd: string, args: readonly string[]) => startIn(cwd, args).exited;

describe("xfer run of a recipe whose backbone comes from another recipe's run", () => {
  it("plans and runs the upstream stage first, records the upstream run in the spec, and reports both stages", async () => {
    const root = await writeRecipes(2);
    const out = join(root, "runs");
    const plan = await xferIn(root, ["plan", "up-down", "--out", out]);
    expect(plan.code, plan.stderr).toBe(0);
    const lines = plan.stdout.split("\n");
    expect(lines[0]).toBe("stage 1/2 (upstream of up-down):");
    expect(lines[1]).toBe(`up-pre: 1 run(s), 0 already done in ${join(out, "up-pre")}`);
    expect(lines).toContain("stage 2/2:");
    expect(lines).toContain(`up-down: 2 run(s), 0 already done in ${join(out, "up-down")}`);

    // Two workers share both stages through claims: the second waits for the upstream run, then both go on downstream.
    const run = await xferIn(root, ["run", "up-down", "--out", out, "--jobs", "2", "--lease", "10", "--backend", "wasm"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^up-pre: 1 trained, 0 already done; results in /m);
    expect(run.stdout).toMatch(/^up-down: 2 trained, 0 already done; results in /m);
    const [upstreamId] = published(join(out, "up-pre"));
    const specs = published(join(out, "up-down")).map((id) => JSON.parse(readFileSync(join(out, "up-down", id, "spec.json"), "utf8")));
    expect(specs.map((s) => s.upstream?.run ?? null).sort()).toEqual([upstreamId, null].sort());

    const status = await xferIn(root, ["status", "up-down", "--out", out]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`up-pre (upstream of up-down) in ${join(out, "up-pre")}: 1 run(s): 1 done,`);
    expect(status.stdout).toContain(`up-down in ${join(out, "up-down")}: 2 run(s): 2 done,`);

    // Run again: nothing left to do in either stage.
    const again = await xferIn(root, ["run", "up-down", "--out", out, "--jobs", "1", "--backend", "wasm"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^up-pre: 0 trained, 1 already done/m);
    expect(again.stdout).toMatch(/^up-down: 0 trained, 2 already done/m);
  }, 180_000);

  it("a sweep stopped in the upstream stage resumes it there and then runs the downstream stage", async () => {
    const root = await writeRecipes(40);
    const out = join(root, "runs");
    const first = startIn(root, ["run", "up-down", "--out", out, "--jobs", "1", "--backend", "wasm"]);
    await waitFor("the upstream run's first epoch", () => epochLines(join(out, "up-pre")).some(([, , n]) => n >= 1));
    first.child.kill("SIGTERM");
    const stopped = await first.exited;
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(existsSync(join(out, "up-down"))).toBe(false);

    const rest = await xferIn(root, ["run", "up-down", "--out", out, "--jobs", "1", "--backend", "wasm"]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stderr).toMatch(/xfer: resumed [0-9a-f]{64} from epoch \d+/);
    expect(published(join(out, "up-pre"))).toHaveLength(1);
    expect(published(join(out, "up-down"))).toHaveLength(2);
  }, 120_000);

  it("leaves out the downstream runs of a failed upstream run and says so", async () => {
    const root = await writeRecipes(2, true);
    const out = join(root, "runs");
    const run = await xferIn(root, ["run", "up-down", "--out", out, "--jobs", "1", "--backend", "wasm"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`1 run(s) of recipe "up-down" left out: the upstream run they load is not done`);
    expect(run.stdout).toMatch(/^up-pre: 0 trained, 0 already done, 1 failed;/m);
    // The from-scratch run needs no upstream: done; the fine-tuned one was never tried (no error.json of its own).
    expect(run.stdout).toMatch(/^up-down: 1 trained, 0 already done, 1 not done;/m);
  }, 120_000);
});
