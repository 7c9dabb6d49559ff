/**
 * Two `xfer run` processes side by side on one --out, one on cpu and one on wasm (so their numbers
 * differ): each attempt writes only its own folder, every run is published exactly once and stays
 * self-consistent (result, checkpoint hash, environment and epochs of one attempt), and the run
 * both processes started is settled once.
 *
 * The race is forced, not hoped for: the cpu process is frozen (SIGSTOP) while it trains its first
 * run, holding its claim; the wasm process trains the other runs, waits for the held one until its
 * heartbeat is older than the lease, takes it over and publishes it; then the cpu process goes on
 * (SIGCONT) and either learns at its next heartbeat that it lost the run and stops training it, or,
 * if it finished before that heartbeat, finds the result published and discards its own.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRunFolders } from "./run-folders.ts";
import { TINY_RECIPE, XFER, xfer, type Finished } from "./helpers.ts";

/** Run folders in which an attempt has started but nothing is published yet. */
function startedUnpublished(recipeDir: string): string[] {
  if (!existsSync(recipeDir)) return [];
  return readdirSync(recipeDir).filter((id) =>
    /^[0-9a-f]{64}$/.test(id) && existsSync(join(recipeDir, id, "attempts")) && !existsSync(join(recipeDir, id, "result.json")));
}

async function frozenWhileTraining(out: string, recipeDir: string) {
  const child = spawn(process.execPath, [XFER, "run", TINY_RECIPE, "--out", out, "--backend", "cpu", "--jobs", "1", "--lease", "2"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const finished = new Promise<Finished>((done) => child.on("close", (status) => done({ status, stdout, stderr })));
  const deadline = Date.now() + 60_000;
  while (startedUnpublished(recipeDir).length === 0) {
    if (Date.now() > deadline) throw new Error(`the cpu process never started a run: ${stderr}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill("SIGSTOP");
  return { child, finished, started: startedUnpublished(recipeDir) };
}

describe("concurrent writers on one run store", () => {
  it("never mixes attempts and settles each run once: a frozen holder's run is taken over after the lease", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-concurrent-"));
    const recipeDir = join(out, "three-tiny-runs");
    const frozen = await frozenWhileTraining(out, recipeDir);
    // Frozen before it could publish: the run it is on has an attempt and no result.
    expect(frozen.started).toHaveLength(1);
    const [contested] = frozen.started;

    const wasm = await xfer(["run", TINY_RECIPE, "--out", out, "--backend", "wasm", "--jobs", "1", "--lease", "2"]);
    expect(wasm.status, wasm.stderr).toBe(0);
    expect(wasm.stdout).toMatch(/3 trained/);
    expect(wasm.stdout).toMatch(/1 taken over from a stale claim/);
    frozen.child.kill("SIGCONT");
    const cpu = await frozen.finished;
    expect(cpu.status, cpu.stderr).toBe(0);

    const { published, unpublished } = checkRunFolders(recipeDir);
    expect(published.size).toBe(3);
    expect(published.get(contested)!.environment.backend).toBe("wasm");
    // The cpu attempt on the contested run is left unpublished: stopped at a heartbeat, or finished and discarded.
    expect(unpublished.filter((u) => u.id !== contested)).toEqual([]);
    const lost = cpu.stderr.includes(`run ${contested}: its claim was taken over by another worker; this worker stopped training it`);
    const discarded = cpu.stderr.includes(`run ${contested} was finished by two attempts: kept ${published.get(contested)!.attempt} (published first)`);
    expect(lost || discarded, cpu.stderr).toBe(true);
    // A discarded result still counts as trained by the process that computed it.
    expect(cpu.stdout).toMatch(lost ? /0 trained, 3 already done/ : /1 trained, 2 already done, 1 discarded/);
  }, 180_000);
});
