/**
 * `xfer slurm submit --dry-run` as a process (the script it prints, the MaxArraySize bound), and
 * the batch script's signal handling run under bash with a stand-in worker and a stand-in
 * scontrol, so none of this needs a cluster (test/slurm/cluster.test.ts submits for real).
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMaxArraySize, sbatchScript, shellQuote } from "../../plugins/platform/node/slurm.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");
const RECIPE = join(ROOT, "fixtures/recipes/three-tiny-runs");

function xfer(args: string[]) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", cwd: ROOT, timeout: 120_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe("xfer slurm submit --dry-run", () => {
  it("prints a job array of xfer run workers on the shared store, with every option, and writes nothing", () => {
    const out = mkdtempSync(join(tmpdir(), "xfer-slurm-dry-"));
    const run = xfer([
      "slurm", "submit", RECIPE, "--out", out, "--workers", "3", "--throttle", "2", "--filter", "training.lr=0.05", "--seed", "7",
      "--partition", "cpu", "--time", "01:00:00", "--cpus-per-task", "2", "--mem", "4G", "--gres", "gpu:1", "--account", "lab",
      "--sbatch-line=--qos=long", "--signal-seconds", "300", "--max-attempts", "5", "--lease", "600", "--dry-run",
    ]);
    expect(run.code, run.err).toBe(0);
    const lines = run.out.split("\n");
    const sbatch = lines.filter((l) => l.startsWith("#SBATCH "));
    const logs = join(out, "three-tiny-runs", "slurm", "logs");
    expect(sbatch).toEqual([
      "#SBATCH --job-name=xfer-three-tiny-runs",
      "#SBATCH --array=0-2%2",
      `#SBATCH --output=${logs}/%A_%a.out`,
      `#SBATCH --error=${logs}/%A_%a.out`,
      "#SBATCH --open-mode=append",
      "#SBATCH --requeue",
      "#SBATCH --signal=B:USR1@300",
      `#SBATCH --chdir=${ROOT}`,
      "#SBATCH --ntasks=1",
      "#SBATCH --partition=cpu",
      "#SBATCH --time=01:00:00",
      "#SBATCH --cpus-per-task=2",
      "#SBATCH --mem=4G",
      "#SBATCH --gres=gpu:1",
      "#SBATCH --account=lab",
      "#SBATCH --qos=long",
    ]);
    // sbatch stops reading options at the first command: every #SBATCH line comes first.
    expect(lines.findIndex((l) => l !== "" && !l.startsWith("#"))).toBeGreaterThan(lines.indexOf(sbatch.at(-1)!));
    // The worker: the node and the xfer.mjs that ran the submit, on the absolute store and recipe folder.
    expect(lines).toContain(
      `${process.execPath} ${XFER} run ${RECIPE} --out ${out} --jobs 1 --filter training.lr=0.05 --seed 7 --max-attempts 5 --lease 600 &`,
    );
    expect(run.out).toMatch(/scontrol requeue "\$\{SLURM_ARRAY_JOB_ID\}_\$\{SLURM_ARRAY_TASK_ID\}"/);
    expect(run.err).toMatch(/dry run: 1 run\(s\), 3 worker\(s\); nothing written or submitted/);
    expect(readdirSync(out)).toEqual([]);
    const syntax = spawnSync("bash", ["-n"], { input: run.out, encoding: "utf8" });
    expect(syntax.status, syntax.stderr).toBe(0);
  }, 120_000);

  it("rejects an array above MaxArraySize, analysis recipes, and a bad option with a clear error", () => {
    // The local cluster and SLURM's default both say 1001: indices 0..1000.
    expect(xfer(["slurm", "submit", RECIPE, "--workers", "1001", "--dry-run"]).code).toBe(0);
    const big = xfer(["slurm", "submit", RECIPE, "--workers", "1002", "--dry-run"]);
    expect(big.code).toBe(1);
    expect(big.err).toMatch(/^xfer: --workers 1002: MaxArraySize is 1001 \((scontrol show config|SLURM's default, as scontrol did not answer)\), so an array has at most 1001 tasks/m);
    const analysis = xfer(["slurm", "submit", "transfer-trends", "--workers", "2", "--dry-run"]);
    expect(analysis.code).toBe(1);
    expect(analysis.err).toMatch(/transfer-trends is an analysis recipe: it trains nothing, so there is nothing to submit/);
    const throttle = xfer(["slurm", "submit", RECIPE, "--workers", "2", "--throttle", "0", "--dry-run"]);
    expect(throttle.code).toBe(1);
    expect(throttle.err).toMatch(/--throttle: expected a positive integer, got "0"/);
    const partition = xfer(["slurm", "submit", RECIPE, "--workers", "2", "--partition", "a b", "--dry-run"]);
    expect(partition.code).toBe(1);
    expect(partition.err).toMatch(/--partition: expected a value without blanks, got "a b"/);
    expect(xfer(["slurm", "submit", RECIPE, "--dry-run"]).code).toBe(2); // --workers is required
  }, 120_000);

  it("xfer slurm status: the run store's report and this user's queued tasks of the recipe's jobs", () => {
    const out = mkdtempSync(join(tmpdir(), "xfer-slurm-status-"));
    const status = xfer(["slurm", "status", RECIPE, "--out", out]);
    expect(status.code, status.err).toBe(0);
    expect(status.out).toMatch(/^three-tiny-runs in .*: 3 run\(s\): 0 done, 0 running, 0 stale, 0 failed, 3 pending$/m);
    // Without SLURM's commands, or its controller, it says so; with them it lists the recipe's jobs (none here).
    expect(status.out).toMatch(/^squeue \(your jobs named xfer-three-tiny-runs\):( squeue is not installed here \(PATH\)| squeue failed: .+|\n  \(none queued or running\))$/m);
    const json = xfer(["slurm", "status", RECIPE, "--out", out, "--json"]);
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out).counts.pending).toBe(3);
  }, 120_000);

  it("reads MaxArraySize from scontrol show config, and quotes words for bash", () => {
    expect(parseMaxArraySize("MaxArraySize            = 40001\nMaxJobCount = 10000\n")).toBe(40001);
    expect(parseMaxArraySize("MaxJobCount = 10000\n")).toBe(1001);
    expect(shellQuote("/a/b-c_d.mjs")).toBe("/a/b-c_d.mjs");
    expect(shellQuote("it's here")).toBe(`'it'\\''s here'`);
  });
});

describe("the batch script's signals (bash, a stand-in worker and scontrol)", () => {
  /** Runs the script outside SLURM: `scontrol` records its arguments; the worker exits 138 on USR1, 143 on TERM, after a moment. */
  async function runScript(signal: "SIGUSR1" | "SIGTERM"): Promise<{ code: number | null; requeued: string; log: string }> {
    const dir = mkdtempSync(join(tmpdir(), "xfer-slurm-script-"));
    const bin = join(dir, "bin");
    spawnSync("mkdir", [bin]);
    writeFileSync(join(bin, "scontrol"), `#!/bin/sh\necho "$@" >> ${dir}/scontrol.args\n`);
    chmodSync(join(bin, "scontrol"), 0o755);
    const worker = join(dir, "worker.mjs");
    writeFileSync(worker, [
      `import { writeFileSync } from "node:fs";`,
      `writeFileSync(${JSON.stringify(join(dir, "ready"))}, "");`,
      `const codes = { SIGUSR1: 138, SIGTERM: 143 };`,
      `for (const [s, c] of Object.entries(codes)) process.on(s, () => { console.log("worker got " + s); setTimeout(() => process.exit(c), 200); });`,
      `setInterval(() => {}, 1000);`,
    ].join("\n"));
    const script = sbatchScript({ jobName: "t", workers: 1, throttle: 1, logDir: dir, chdir: dir, signalSeconds: 60, sbatchLines: [], worker: [process.execPath, worker] });
    const shell = spawn("bash", ["-c", script], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, SLURM_ARRAY_JOB_ID: "42", SLURM_ARRAY_TASK_ID: "3" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    shell.stdout.on("data", (chunk) => (log += chunk));
    shell.stderr.on("data", (chunk) => (log += chunk));
    const deadline = Date.now() + 30_000;
    while (!existsSync(join(dir, "ready")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    shell.kill(signal);
    const code = await new Promise<number | null>((done) => shell.on("exit", (c) => done(c)));
    const args = join(dir, "scontrol.args");
    return { code, requeued: existsSync(args) ? readFileSync(args, "utf8") : "", log };
  }

  it("USR1: forwarded to the worker; when it stops with runs left (138) the task requeues itself and exits 138", async () => {
    const { code, requeued, log } = await runScript("SIGUSR1");
    expect(log).toMatch(/worker got SIGUSR1/);
    expect(requeued).toBe("requeue 42_3\n");
    expect(code, log).toBe(138);
  }, 60_000);

  it("TERM: forwarded to the worker, no requeue, the worker's 143 is the task's exit code", async () => {
    const { code, requeued, log } = await runScript("SIGTERM");
    expect(log).toMatch(/worker got SIGTERM/);
    expect(requeued).toBe("");
    expect(code, log).toBe(143);
  }, 60_000);
});
