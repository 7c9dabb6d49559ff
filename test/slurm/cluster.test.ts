/**
 * xfer on a real SLURM: the one-node cluster of scripts/slurm-local.sh (CI starts it and sets
 * XFER_TEST_SLURM=1, which makes these tests required: without a cluster they fail, never skip).
 * Elsewhere they run when `sinfo` answers and are skipped when it does not.
 *
 * A sweep submitted as an array of 2 workers trains every run once, with the bytes of the same
 * sweep run locally; an array task requeued mid-run (`scontrol requeue`), or sent USR1 as before
 * its time limit, comes back and resumes its run from the last completed epoch, again with the
 * local run's bytes.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { attemptFree } from "../helpers/attempt-free.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");
const RUN_ID = /^[0-9a-f]{64}$/;

const sinfo = spawnSync("sinfo", ["-h", "-o", "%t"], { encoding: "utf8", timeout: 20_000 });
const clusterAnswers = sinfo.status === 0;
const required = process.env.XFER_TEST_SLURM === "1";

/** A recipe folder in a temp dir: tiny CNNs on the synthetic dataset (no files to read). */
function recipeFolder(name: string, body: { perClass: number; size: number; epochs: number; grid: Record<string, unknown[]> }): string {
  const dir = mkdtempSync(join(tmpdir(), `xfer-${name}-`));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(join(dir, "recipe.ts"), `import { defineRecipe } from ${JSON.stringify(join(ROOT, "core/index.ts"))};
export default defineRecipe({
  name: ${JSON.stringify(name)},
  description: "xfer's SLURM test",
  template: {
    dataset: { name: "synthetic", options: { classes: 3, perClass: ${body.perClass}, size: ${body.size} } },
    splitter: { name: "stratified-holdout", options: { valFraction: 0.25 } },
    backbone: { name: "tinycnn.random", options: { inputSize: ${body.size}, widths: [8, 16], hidden: 16 } },
    optimizer: { name: "sgd" },
    schedule: { name: "constant" },
    augment: { train: [{ name: "horizontal-flip" }], eval: [] },
    metrics: ["accuracy"],
    training: { epochs: ${body.epochs}, batchSize: 8, lr: 0.05, weightDecay: 0 },
    seed: 1,
  },
  grid: ${JSON.stringify(body.grid)},
});
`);
  return dir;
}

function xfer(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [XFER, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (err += chunk));
    child.on("exit", (code) => done({ code, out, err }));
  });
}

/**
 * Submits with a short lease: a worker whose last runs are held by the other polls every
 * heartbeat (lease/10, so 2 s here instead of 30 s) until they are done.
 */
async function submit(args: string[]): Promise<string> {
  const run = await xfer(["slurm", "submit", ...args, "--lease", "20"]);
  expect(run.code, run.err).toBe(0);
  const job = /submitted job (\d+)/.exec(run.out)?.[1];
  expect(job, run.out).toBeDefined();
  return job!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls squeue until the job has left the queue (done, failed or cancelled); fails after `timeoutMs`. */
async function waitForJob(job: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const q = spawnSync("squeue", ["-h", "-j", job, "-o", "%i %T %r"], { encoding: "utf8", timeout: 20_000 });
    // squeue forgets a finished job after MinJobAge and then calls its id invalid.
    if ((q.status === 0 && q.stdout.trim() === "") || /Invalid job id/i.test(q.stderr)) return;
    if (Date.now() > deadline) {
      spawnSync("scancel", [job]);
      throw new Error(`job ${job} still queued after ${timeoutMs / 1000}s (cancelled): ${q.stdout.trim() || q.stderr.trim()}`);
    }
    await sleep(1000);
  }
}

/** The run folders of a recipe's store, by id. */
function runIds(storeDir: string): string[] {
  return existsSync(storeDir) ? readdirSync(storeDir).filter((e) => RUN_ID.test(e)).sort() : [];
}

function attempts(runDir: string): string[] {
  const dir = join(runDir, "attempts");
  return existsSync(dir) ? readdirSync(dir).filter((a) => !a.startsWith(".")).sort() : [];
}

/** A published run as bytes that must not depend on where, when or in how many attempts it trained. */
function published(runDir: string): { result: unknown; epochs: unknown[]; best: string; predictions: string } {
  const result = JSON.parse(readFileSync(join(runDir, "result.json"), "utf8"));
  const attemptDir = join(runDir, "attempts", result.attempt);
  const stripSeconds = (e: { seconds?: number }) => ({ ...e, seconds: 0 });
  return {
    result: attemptFree(result),
    epochs: readFileSync(join(attemptDir, "epochs.jsonl"), "utf8").trim().split("\n").map((l) => stripSeconds(JSON.parse(l))),
    best: readFileSync(join(runDir, result.checkpoint.path)).toString("base64"),
    predictions: readFileSync(join(runDir, result.predictions.path)).toString("base64"),
  };
}

/** Every run of `a` and `b` published, with identical bytes (wall-clock and attempt aside). */
function expectSameRuns(a: string, b: string, count: number): void {
  expect(runIds(a)).toHaveLength(count);
  expect(runIds(a)).toEqual(runIds(b));
  for (const id of runIds(a)) expect(published(join(a, id)), id).toEqual(published(join(b, id)));
}

function logsOf(storeDir: string, job: string): string {
  const dir = join(storeDir, "slurm", "logs");
  return readdirSync(dir).filter((f) => f.startsWith(`${job}_`)).sort().map((f) => `--- ${f}\n${readFileSync(join(dir, f), "utf8")}`).join("\n");
}

describe.skipIf(!required && !clusterAnswers)("xfer on a real SLURM (scripts/slurm-local.sh)", () => {
  // Required but absent: every test fails at once (sbatch would retry its controller for minutes).
  beforeEach(() => {
    if (!clusterAnswers) throw new Error(`XFER_TEST_SLURM=1 but sinfo fails: start the cluster with scripts/slurm-local.sh`);
  });

  it("the cluster answers and has a node up", () => {
    expect(clusterAnswers, `XFER_TEST_SLURM=1 but sinfo fails (${sinfo.error?.message ?? sinfo.stderr.trim()}): start the cluster with scripts/slurm-local.sh`).toBe(true);
    expect(sinfo.stdout.split("\n").some((state) => /^(idle|mix|alloc)/.test(state.trim())), `sinfo: ${sinfo.stdout}`).toBe(true);
  });

  it("an array of 2 workers trains each of 8 runs once, with the bytes of the same sweep run locally", async () => {
    const recipe = recipeFolder("slurm-sweep", { perClass: 16, size: 8, epochs: 2, grid: { "training.lr": [0.1, 0.05, 0.02, 0.01], "training.batchSize": [4, 8] } });
    const clusterOut = mkdtempSync(join(tmpdir(), "xfer-slurm-out-"));
    const localOut = mkdtempSync(join(tmpdir(), "xfer-local-out-"));
    const job = await submit([recipe, "--out", clusterOut, "--workers", "2", "--throttle", "2"]);
    const local = xfer(["run", recipe, "--out", localOut, "--jobs", "1"]);
    await waitForJob(job, 150_000);
    const store = join(clusterOut, "slurm-sweep");
    const logs = logsOf(store, job);
    expect(logs).toMatch(new RegExp(`xfer: task ${job}_0 `));
    expect(logs).toMatch(new RegExp(`xfer: task ${job}_1 `));
    expect((await local).code).toBe(0);
    // Once: one attempt per run, and it is the published one.
    for (const id of runIds(store)) {
      const result = JSON.parse(readFileSync(join(store, id, "result.json"), "utf8"));
      expect(attempts(join(store, id)), `${id}\n${logs}`).toEqual([result.attempt]);
    }
    expectSameRuns(store, join(localOut, "slurm-sweep"), 8);
    const status = await xfer(["slurm", "status", recipe, "--out", clusterOut]);
    expect(status.code, status.err).toBe(0);
    expect(status.out).toMatch(/: 8 run\(s\): 8 done, 0 running, 0 stale, 0 failed, 0 pending/);
    expect(status.out).toMatch(/^squeue \(your jobs named xfer-slurm-sweep\):\n  \(none queued or running\)$/m);
  }, 240_000);

  // One run of 10 epochs, long enough to be interrupted after 2; its local run is the reference of both tests below.
  let longRecipeDir: string | undefined;
  const longRecipe = () => (longRecipeDir ??= recipeFolder("slurm-requeue", { perClass: 200, size: 16, epochs: 10, grid: {} }));
  let localLong: Promise<string> | undefined;
  function localLongRun(): Promise<string> {
    localLong ??= (async () => {
      const out = mkdtempSync(join(tmpdir(), "xfer-local-out-"));
      const run = await xfer(["run", longRecipe(), "--out", out, "--jobs", "1"]);
      expect(run.code, run.err).toBe(0);
      return join(out, "slurm-requeue");
    })();
    return localLong;
  }

  /**
   * Submits the long run as one task, interrupts the task once the run has completed 2 epochs, and
   * checks that the task came back (same log, appended) and resumed the run from a completed
   * epoch to the local run's bytes. Returns the task's log.
   */
  async function interruptedMidRun(interrupt: (task: string, store: string, recipe: string) => Promise<void>): Promise<string> {
    const clusterOut = mkdtempSync(join(tmpdir(), "xfer-slurm-out-"));
    const job = await submit([longRecipe(), "--out", clusterOut, "--workers", "1"]);
    const store = join(clusterOut, "slurm-requeue");
    const local = localLongRun();

    const deadline = Date.now() + 90_000;
    let first: string | undefined;
    for (;;) {
      const id = runIds(store)[0];
      const attempt = id === undefined ? undefined : attempts(join(store, id))[0];
      const epochs = attempt === undefined ? "" : readIfExists(join(store, id!, "attempts", attempt, "epochs.jsonl"));
      if (epochs.trim().split("\n").filter((l) => l !== "").length >= 2) {
        first = attempt;
        break;
      }
      if (Date.now() > deadline) {
        spawnSync("scancel", [job]);
        throw new Error(`no run of job ${job} reached 2 epochs in 90s\n${logsOf(store, job)}`);
      }
      await sleep(100);
    }
    await interrupt(`${job}_0`, clusterOut, longRecipe());
    await waitForJob(job, 150_000);

    const logs = logsOf(store, job);
    // One log file, appended across the requeue: the task started twice.
    expect(readdirSync(join(store, "slurm", "logs"))).toEqual([`${job}_0.out`]);
    expect(logs).toMatch(/restart 0\n[\s\S]*restart 1\n/);
    const [id] = runIds(store);
    const runDir = join(store, id);
    const all = attempts(runDir);
    expect(all, logs).toHaveLength(2);
    const second = all.find((a) => a !== first)!;
    // The stopped attempt is no failure, and the new one went on from a completed epoch.
    expect(existsSync(join(runDir, "attempts", first!, "error.json")), logs).toBe(false);
    const resumed = JSON.parse(readFileSync(join(runDir, "attempts", second, "resumed.json"), "utf8"));
    expect(resumed.epochsDone, logs).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(readFileSync(join(runDir, "result.json"), "utf8")).attempt).toBe(second);
    // The run store dropped the resume state once the result was published.
    expect(existsSync(join(runDir, "resume.safetensors"))).toBe(false);
    expectSameRuns(store, await local, 1);
    return logs;
  }

  it("a task requeued mid-run (scontrol requeue) comes back and resumes its run from the last completed epoch, to the same bytes", async () => {
    const logs = await interruptedMidRun(async (task, out, recipe) => {
      const requeue = spawnSync("scontrol", ["requeue", task], { encoding: "utf8", timeout: 20_000 });
      expect(requeue.status, requeue.stderr).toBe(0);
      // Requeued, the task waits in the queue (cred_expire, see docs/clusters.md): xfer slurm status lists it.
      const status = await xfer(["slurm", "status", recipe, "--out", out]);
      expect(status.code, status.err).toBe(0);
      expect(status.out).toMatch(new RegExp(`^  ${task} (PENDING|COMPLETING|RUNNING) `, "m"));
    });
    expect(logs).toMatch(/CANCELLED AT .* DUE TO JOB REQUEUE/);
  }, 300_000);

  it("USR1 to the batch shell (what --signal=B:USR1@S sends before the time limit): the worker stops, the task requeues itself and resumes", async () => {
    const logs = await interruptedMidRun(async (task) => {
      const signal = spawnSync("scancel", ["--batch", "--signal=USR1", task], { encoding: "utf8", timeout: 20_000 });
      expect(signal.status, signal.stderr).toBe(0);
    });
    expect(logs).toMatch(/SIGUSR1/);
    expect(logs).toMatch(new RegExp(`xfer: requeueing task \\d+_0\n`));
  }, 300_000);
});

function readIfExists(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}
