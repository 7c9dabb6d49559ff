/**
 * `xfer status` as a process (xfer.mjs, through ./sweep-fixture.ts), on a run store that holds a run of each state: done, running (its
 * worker frozen with SIGSTOP while holding the claim), failed (error.json) and pending; then the
 * frozen worker killed (a dead pid on this host: stale), and --max-attempts 1 (exhausted).
 */
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { slurmJobs, squeue, type SweepRunRow } from "../../plugins/platform/node/cli/commands/status.ts";
import { epochLines, startXfer, waitFor, writeSweepRecipe, xfer } from "./sweep-fixture.ts";

interface Row {
  id: string;
  state: string;
  axes: Record<string, string>;
  claim?: { worker: { pid: number; host: string }; heartbeatAgeSeconds: number; why?: string };
  failedAttempts: number;
  exhausted?: boolean;
  error?: { firstLine: string; file: string };
}

describe("xfer status", () => {
  it("reports done, running (worker, heartbeat age), failed (first error line, attempts) and pending runs, also as JSON", async () => {
    const recipe = await writeSweepRecipe({ name: "status-mix", lrs: [0.02, 0.01, 0.005], epochs: 40, failing: "last" });
    const out = await mkdtemp(join(tmpdir(), "xfer-status-"));
    const dir = join(out, "status-mix");
    const run = (lr: string) => ["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "1", "--filter", `training.lr=${lr}`];
    // lr 0.02 for 5 epochs only would change its spec: the done run trains all 40 (a few seconds).
    expect((await xfer(run("0.02"))).code).toBe(0);
    const failing = await xfer(run("0.1"));
    expect(failing.code, failing.stderr).toBe(1);
    const holder = startXfer(run("0.01"));
    await waitFor("the held run's first epoch", () => epochLines(dir).some(([, , lines]) => lines >= 1 && lines < 40));
    holder.child.kill("SIGSTOP");
    try {
      const text = await xfer(["status", recipe, "--out", out]);
      expect(text.code, text.stderr).toBe(0);
      const lines = text.stdout.trimEnd().split("\n");
      expect(lines[0]).toBe(`status-mix in ${dir}: 4 run(s): 1 done, 1 running, 0 stale, 1 failed, 1 pending`);
      expect(lines[1]).toMatch(/^ {2}id +training\.lr +augment\.train +status +worker +heartbeat +failed +note$/);
      const row = (lr: string) => lines.slice(2).find((l) => new RegExp(` ${lr.replace(".", "\\.")} `).test(l))!;
      expect(row("0.02")).toMatch(/ done$/);
      expect(row("0.01")).toMatch(new RegExp(` running +[^ ]+:${holder.child.pid} +\\d+s ago$`));
      expect(row("0.1")).toMatch(/ failed +1 +test-boom: this augmentation always fails \(.*\/attempts\/[^/]+\/error\.json\)$/);
      expect(row("0.005")).toMatch(/ pending$/);

      const json = await xfer(["status", recipe, "--out", out, "--json"]);
      const report = JSON.parse(json.stdout) as { counts: Record<string, number>; runs: Row[]; leaseSeconds: number; maxAttempts: number };
      expect(report.counts).toEqual({ done: 1, running: 1, stale: 0, failed: 1, pending: 1, exhausted: 0 });
      expect(report).toMatchObject({ leaseSeconds: 300, maxAttempts: 3 });
      const byLr = (lr: string) => report.runs.find((r) => r.axes["training.lr"] === lr)!;
      expect(byLr("0.01").claim!.worker.pid).toBe(holder.child.pid);
      expect(byLr("0.01").claim!.heartbeatAgeSeconds).toBeLessThan(300);
      expect(byLr("0.1")).toMatchObject({ state: "failed", failedAttempts: 1, error: { firstLine: "test-boom: this augmentation always fails" } });
      expect(existsSync(byLr("0.1").error!.file)).toBe(true);
      expect(byLr("0.005")).toMatchObject({ state: "pending", failedAttempts: 0 });
    } finally {
      holder.child.kill("SIGKILL");
    }
    await holder.exited;

    // Its worker gone, the claim is stale at once on this host; --max-attempts 1 exhausts the failed run.
    const after = await xfer(["status", recipe, "--out", out, "--json", "--max-attempts", "1"]);
    const report = JSON.parse(after.stdout) as { counts: Record<string, number>; runs: Row[] };
    expect(report.counts).toEqual({ done: 1, running: 0, stale: 1, failed: 1, pending: 1, exhausted: 1 });
    const stale = report.runs.find((r) => r.state === "stale")!;
    expect(stale.claim!.why).toBe(`its process ${holder.child.pid} on this host is gone`);
    const text = await xfer(["status", recipe, "--out", out, "--max-attempts", "1"]);
    expect(text.stdout.split("\n")[0]).toMatch(/: 1 done, 0 running, 1 stale, 1 failed \(1 exhausted\), 1 pending$/);
    expect(text.stdout).toMatch(/ exhausted +1 +exhausted: failed 1 time\(s\), not tried again \(--max-attempts 1\); test-boom/);
    expect(text.stdout).toMatch(/ stale +[^ ]+ +\d+s ago +stale: its process \d+ on this host is gone; the next worker takes it over/);
  }, 240_000);
});

describe("xfer status and squeue", () => {
  const row = (state: SweepRunRow["state"], slurm?: { jobId: string; arrayJobId?: string; arrayTaskId?: string }): SweepRunRow => ({
    id: "a", specHash: "a", axes: {}, state, failedAttempts: 0,
    claim: { worker: { id: "w", host: "h", pid: 1, ...(slurm ? { slurm } : {}) }, heartbeatAgeSeconds: 1 },
  });

  it("asks about the jobs of live claims only: an array task by its array's job id", () => {
    expect(slurmJobs([
      row("running", { jobId: "120", arrayJobId: "100", arrayTaskId: "3" }), row("running", { jobId: "121", arrayJobId: "100", arrayTaskId: "4" }),
      row("running", { jobId: "7" }), row("stale", { jobId: "8" }), row("running"),
    ])).toEqual(["100", "7"]);
  });

  it("runs squeue -h -j <jobs> -o '%i %T %M %R', and says so when squeue is missing or fails", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-squeue-"));
    const fake = join(dir, "squeue");
    writeFileSync(fake, `#!/bin/sh\necho "args: $*"\necho "100_3 RUNNING 1:02 vm"\n`);
    chmodSync(fake, 0o755);
    expect(await squeue(["100", "7"], fake)).toEqual({ jobs: ["100", "7"], lines: ["args: -h -j 100,7 -o %i %T %M %R", "100_3 RUNNING 1:02 vm"] });
    expect((await squeue(["100"], join(dir, "no-such-squeue"))).problem).toBe(`${join(dir, "no-such-squeue")} is not installed here (PATH): cannot ask SLURM about job(s) 100`);
    const failing = join(dir, "failing");
    writeFileSync(failing, `#!/bin/sh\necho "slurm_load_jobs error: Invalid job id specified" >&2\nexit 1\n`);
    chmodSync(failing, 0o755);
    expect((await squeue(["100"], failing)).problem).toBe(`${failing} failed: slurm_load_jobs error: Invalid job id specified`);
  });
});
