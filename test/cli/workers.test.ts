/**
 * Workers of one sweep: the sweep flags and worker messages in-process, then as processes (xfer.mjs, through ./sweep-fixture.ts): two
 * `xfer run` started by hand on one --out and `--jobs 2` train every run exactly once (one attempt
 * folder, with the published result, per run), `--jobs 2` with one progress display; a worker
 * killed (SIGKILL) mid-run leaves its run to the other at once (its pid is dead on this host),
 * one frozen (SIGSTOP: alive, not heartbeating) after the lease.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SWEEP } from "../../core/runner.ts";
import { SweepTally } from "../../plugins/platform/node/cli/sweep-summary.ts";
import { defaultJobs, isParentMessage, isWorkerMessage, stopExitCode, sweepSettings, throttledProgress } from "../../plugins/platform/node/cli/workers.ts";
import { attemptsOf, epochLines, published, runIds, startXfer, waitFor, writeSweepRecipe, xfer } from "./sweep-fixture.ts";

describe("sweep flags and worker messages", () => {
  it("parses --jobs, --max-attempts, --lease (heartbeat lease/10, at most 30 s) and rejects bad values naming the flag", () => {
    // A sweep starts when its process started, unless a parent gives its workers its own start.
    const started = Math.floor(performance.timeOrigin);
    expect(sweepSettings({})).toEqual({ leaseMs: DEFAULT_SWEEP.leaseMs, heartbeatMs: DEFAULT_SWEEP.heartbeatMs, maxAttempts: 3, failFast: false, since: started });
    expect(sweepSettings({ jobs: "4", maxAttempts: "2", lease: "3", failFast: true, sweepSince: "1700000000000" })).toEqual({
      jobs: 4, leaseMs: 3000, heartbeatMs: 300, maxAttempts: 2, failFast: true, since: 1_700_000_000_000,
    });
    expect(sweepSettings({ lease: "3600" }).heartbeatMs).toBe(30_000);
    expect(() => sweepSettings({ jobs: "0" })).toThrow('--jobs: expected a positive integer, got "0"');
    expect(() => sweepSettings({ jobs: "1.5" })).toThrow("--jobs: expected a positive integer");
    expect(() => sweepSettings({ maxAttempts: "x" })).toThrow('--max-attempts: expected a positive integer, got "x"');
    expect(() => sweepSettings({ lease: "-1" })).toThrow('--lease: expected a positive number of seconds, got "-1"');
  });

  it("defaults --jobs to cores / threads per worker, at least 1, at most the runs", () => {
    expect(defaultJobs(1, 100, 8)).toBe(8);
    expect(defaultJobs(4, 100, 8)).toBe(2);
    expect(defaultJobs(16, 100, 8)).toBe(1);
    expect(defaultJobs(1, 3, 8)).toBe(3);
    expect(defaultJobs(1, 0, 8)).toBe(1);
  });

  it("exit codes are 128 + the signal's number", () => {
    expect([stopExitCode("SIGINT"), stopExitCode("SIGTERM"), stopExitCode("SIGUSR1")]).toEqual([130, 143, 138]);
  });

  it("checks a message's shape before the parent uses it", () => {
    expect(isWorkerMessage({ kind: "runDone", event: { done: 1, total: 2, hash: "a", status: "trained" } })).toBe(true);
    expect(isWorkerMessage({ kind: "warn", message: "m" })).toBe(true);
    expect(isWorkerMessage({ kind: "outcome", discarded: [], damaged: [] })).toBe(true);
    expect(isWorkerMessage({ kind: "warn" })).toBe(false);
    expect(isWorkerMessage({ kind: "runDone" })).toBe(false);
    expect(isWorkerMessage({ kind: "other", event: {} })).toBe(false);
    expect(isWorkerMessage("runDone")).toBe(false);
    expect(isWorkerMessage(null)).toBe(false);
  });

  it("a parent's message is checked too: stop names a stop signal", () => {
    expect(isParentMessage({ kind: "stop", signal: "SIGUSR1" })).toBe(true);
    expect(isParentMessage({ kind: "stop", signal: "SIGKILL" })).toBe(false);
    expect(isParentMessage({ kind: "finish" })).toBe(true);
    expect(isParentMessage({ kind: "halt" })).toBe(true);
    expect(isParentMessage({ kind: "other" })).toBe(false);
  });

  it("tallies the workers' events: each run settled once, trained by one worker wins over found done by another", () => {
    const tally = new SweepTally();
    const done = (hash: string, status: "trained" | "skipped" | "failed" | "stopped", worker: number) => tally.runDone({ done: 0, total: 3, hash, status }, worker);
    tally.runStart({ index: 0, total: 3, hash: "a", attempt: "x", resumedFrom: 4, tookOverFrom: "w-old" }, 1);
    tally.runStart({ index: 1, total: 3, hash: "b", attempt: "y" }, 2);
    expect(tally.current.size).toBe(2);
    expect(done("b", "skipped", 2)).toBe(1);
    expect(done("a", "trained", 1)).toBe(2);
    expect(done("a", "skipped", 2)).toBe(2);
    expect(done("c", "stopped", 1)).toBe(2);
    expect(done("c", "failed", 2)).toBe(3);
    expect([...tally.trained]).toEqual(["a"]);
    expect(tally.resumed).toEqual(new Map([["a", 4]]));
    expect(tally.tookOver).toEqual(new Map([["a", "w-old"]]));
    expect(tally.current.size).toBe(0);
    tally.outcome({ discarded: [], damaged: [], stopped: { reason: "signal", id: "c", epochsDone: 2 } }, 1);
    tally.outcome({ discarded: [], damaged: [], stopped: { reason: "signal" } }, 2);
    tally.outcome({ discarded: [], damaged: [], stopped: { reason: "fail-fast", id: "d" } }, 2);
    expect(tally.stopped).toEqual([{ id: "c", epochsDone: 2 }]);
    expect(tally.failFastAt).toBe("d");
  });

  it("sends step progress at most every interval, and every epoch's end", () => {
    let clock = 0;
    const sent: number[] = [];
    const progress = throttledProgress((e) => sent.push(e.step), 200, () => clock);
    for (let step = 1; step <= 10; step++) {
      clock += 50;
      progress({ epoch: 0, epochs: 1, step, stepsPerEpoch: 10, loss: 1 });
    }
    expect(sent).toEqual([1, 5, 9, 10]);
  });
});

/** Every run has exactly one attempt folder, and the published result is that attempt's. */
function expectTrainedOnce(dir: string, runs: number): void {
  expect(published(dir)).toHaveLength(runs);
  for (const id of runIds(dir)) {
    const attempts = attemptsOf(dir, id);
    expect(attempts, `run ${id}`).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, id, "result.json"), "utf8")).attempt).toBe(attempts[0]);
  }
}

/** The claim holder's pid of a run (its highest claim.<n>). */
function claimPid(dir: string, id: string): number | undefined {
  const claims = readdirSync(join(dir, id)).filter((f) => /^claim\.\d+$/.test(f)).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  if (claims.length === 0) return undefined;
  try {
    return JSON.parse(readFileSync(join(dir, id, claims.at(-1)!), "utf8")).worker.pid;
  } catch {
    return undefined; // being rewritten or removed: look again
  }
}

describe("workers on one run store, as processes", () => {
  it("two xfer run processes started by hand split the runs: each trained exactly once", async () => {
    const recipe = await writeSweepRecipe({ name: "by-hand", lrs: [0.02, 0.01, 0.005, 0.002], epochs: 6 });
    const out = await mkdtemp(join(tmpdir(), "xfer-by-hand-"));
    const args = ["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "1", "--lease", "20"];
    const [a, b] = await Promise.all([xfer(args), xfer(args)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const trained = [a, b].map((p) => Number(/: (\d+) trained/.exec(p.stdout)![1]));
    expect(trained[0] + trained[1]).toBe(4);
    expectTrainedOnce(join(out, "by-hand"), 4);
  }, 180_000);

  it("--jobs 2: one progress display and one summary, each run trained exactly once", async () => {
    const recipe = await writeSweepRecipe({ name: "jobs-two", lrs: [0.02, 0.01, 0.005, 0.002], epochs: 6 });
    const out = await mkdtemp(join(tmpdir(), "xfer-jobs-"));
    const run = await xfer(["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "2"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^xfer: 2 workers \(pids \d+, \d+\) share the runs through claims in /m);
    // One backend line (the parent's), one progress line per settled run, each from one of the workers.
    expect(run.stderr.match(/xfer: backend /g)).toHaveLength(1);
    const progress = run.stderr.split("\n").filter((l) => l.startsWith("jobs-two "));
    expect(progress.map((l) => /^jobs-two (\d)\/4 /.exec(l)![1])).toEqual(["1", "2", "3", "4"]);
    expect(new Set(progress.map((l) => / (w[12]) [0-9a-f]{12} trained/.exec(l)![1])).size).toBe(2);
    expect(run.stdout.match(/^jobs-two: /gm)).toHaveLength(1);
    expect(run.stdout).toMatch(/^jobs-two: 4 trained, 0 already done; results in /);
    expectTrainedOnce(join(out, "jobs-two"), 4);
  }, 180_000);

  it("--jobs 2, one worker killed (SIGKILL) mid-run: the other takes its run over at once, not after the lease", async () => {
    const recipe = await writeSweepRecipe({ name: "jobs-kill", lrs: [0.02, 0.01, 0.005], epochs: 10 });
    const out = await mkdtemp(join(tmpdir(), "xfer-jobs-kill-"));
    const dir = join(out, "jobs-kill");
    const parent = startXfer(["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "2", "--lease", "100"]);
    const pids = await waitFor("the workers' pids", () => {
      const m = /xfer: 2 workers \(pids (\d+), (\d+)\)/.exec(parent.output.stderr);
      return m ? [Number(m[1]), Number(m[2])] : false;
    });
    const [id, victim] = await waitFor("a worker's run with 2 epochs", () => {
      for (const [run, , lines] of epochLines(dir)) {
        const pid = lines >= 2 && !existsSync(join(dir, run, "result.json")) ? claimPid(dir, run) : undefined;
        if (pid !== undefined && pids.includes(pid)) return [run, pid] as const;
      }
      return false;
    });
    process.kill(victim, "SIGKILL");
    const killedAt = Date.now();
    const done = await parent.exited;
    expect(done.code, done.stderr).toBe(0);
    // Waiting workers look again every heartbeat (lease/10 = 10 s); the lease itself is not waited for.
    expect(Date.now() - killedAt).toBeLessThan(100_000);
    const n = pids.indexOf(victim) + 1;
    expect(done.stderr).toContain(`xfer: worker ${n} (pid ${victim}) was killed by SIGKILL`);
    expect(done.stderr).toMatch(new RegExp(`xfer: \\[w${3 - n}\\] resumed ${id} from epoch \\d+ \\(took it over from worker [^ ]+-${victim}-[0-9a-f]{8}, whose claim went stale\\)`));
    expect(done.stdout).toMatch(/^jobs-kill: 3 trained, 0 already done, 1 resumed mid-run, 1 taken over from a stale claim; /);
    expect(published(dir)).toHaveLength(3);
    // The killed attempt and the one that took over; every other run once.
    for (const run of runIds(dir)) expect(attemptsOf(dir, run)).toHaveLength(run === id ? 2 : 1);
  }, 180_000);

  it("a worker frozen (SIGSTOP) while holding a run loses it after the lease; once thawed it stops training it", async () => {
    const recipe = await writeSweepRecipe({ name: "frozen", lrs: [0.02, 0.01, 0.005], epochs: 10 });
    const out = await mkdtemp(join(tmpdir(), "xfer-frozen-"));
    const dir = join(out, "frozen");
    // A lease longer than a worker's start-up: the second worker finds the claim live, trains the
    // other runs first, and takes the frozen one over once its heartbeat is 8 s old.
    const args = ["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "1", "--lease", "8"];
    const frozen = startXfer(args);
    const [id] = await waitFor("a run with 2 epochs", () => epochLines(dir).find(([, , lines]) => lines >= 2) ?? false);
    frozen.child.kill("SIGSTOP");
    try {
      const other = await xfer(args);
      expect(other.code, other.stderr).toBe(0);
      expect(other.stderr).toMatch(new RegExp(`xfer: resumed ${id} from epoch \\d+ \\(took it over from worker [^ ]+-${frozen.child.pid}-[0-9a-f]{8}, whose claim went stale\\)`));
      expect(other.stdout).toMatch(/^frozen: 3 trained, 0 already done/);
    } finally {
      frozen.child.kill("SIGCONT");
    }
    const thawed = await frozen.exited;
    expect(thawed.code, thawed.stderr).toBe(0);
    expect(thawed.stderr).toContain(`run ${id}: its claim was taken over by another worker; this worker stopped training it`);
    expect(thawed.stdout).toMatch(/^frozen: 0 trained, 3 already done/);
    // The published result is the taker's; the frozen worker's attempt stays unpublished.
    const result = JSON.parse(readFileSync(join(dir, id, "result.json"), "utf8"));
    expect(attemptsOf(dir, id)).toHaveLength(2);
    expect(result.attempt).not.toContain(`-${frozen.child.pid}-`);
    expect(published(dir)).toHaveLength(3);
  }, 180_000);
});

describe("a parent's stop signals", () => {
  it("--jobs 2 and SIGTERM: the parent forwards it, waits for both workers and exits 143; no claim is left held and the rerun resumes", async () => {
    const recipe = await writeSweepRecipe({ name: "parent-term", lrs: [0.02, 0.01], epochs: 40 });
    const out = await mkdtemp(join(tmpdir(), "xfer-parent-term-"));
    const dir = join(out, "parent-term");
    const args = ["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "2"];
    const parent = startXfer(args);
    await waitFor("both runs' second epoch", () => epochLines(dir).filter(([, , lines]) => lines >= 2).length === 2);
    parent.child.kill("SIGTERM");
    const stopped = await parent.exited;
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toContain("xfer: SIGTERM: asking the 2 workers to start nothing new and stop at the next step boundary");
    expect(stopped.stderr).toMatch(/xfer: interrupted: 0 of 2 run\(s\) of parent-term are kept in .* stopped by SIGTERM\)/);
    const kept = [...stopped.stderr.matchAll(/xfer: run ([0-9a-f]{64}) stopped after epoch (\d+): its resume state is kept/g)];
    expect(kept.map((m) => m[1]).sort()).toEqual(runIds(dir));
    const status = JSON.parse((await xfer(["status", recipe, "--out", out, "--json"])).stdout);
    expect(status.counts).toMatchObject({ running: 0, stale: 0, pending: 2 });

    const rerun = await xfer(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    for (const [, id, epoch] of kept) expect(rerun.stderr).toMatch(new RegExp(`xfer: \\[w[12]\\] resumed ${id} from epoch ${epoch}`));
    expect(rerun.stdout).toMatch(/^parent-term: 2 trained, 0 already done, 2 resumed mid-run; /);
  }, 180_000);

  it("Ctrl-C from a terminal reaches the whole process group: it counts once (exit 130, every run stopped at a step boundary, claims released)", async () => {
    const recipe = await writeSweepRecipe({ name: "group-int", lrs: [0.02, 0.01], epochs: 40 });
    const out = await mkdtemp(join(tmpdir(), "xfer-group-int-"));
    const dir = join(out, "group-int");
    const parent = startXfer(["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "2"], {}, true);
    await waitFor("both runs' second epoch", () => epochLines(dir).filter(([, , lines]) => lines >= 2).length === 2);
    process.kill(-parent.child.pid!, "SIGINT");
    const stopped = await parent.exited;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).not.toContain("exited at once");
    expect([...stopped.stderr.matchAll(/xfer: run [0-9a-f]{64} stopped after epoch \d+: its resume state is kept/g)]).toHaveLength(2);
    const status = JSON.parse((await xfer(["status", recipe, "--out", out, "--json"])).stdout);
    expect(status.counts).toMatchObject({ running: 0, stale: 0, pending: 2 });
  }, 180_000);
});
