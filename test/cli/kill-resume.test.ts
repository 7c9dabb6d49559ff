/**
 * Runs that resume mid-run, as processes (xfer.mjs, through ./sweep-fixture.ts): an `xfer run` killed with SIGKILL after its run wrote two
 * epochs, or stopped with SIGUSR1, goes on from the last completed epoch's resume state when run
 * again, says so, and ends with the bytes of an uninterrupted sweep in another --out: epochs.jsonl
 * (seconds aside), best.safetensors and result.json (wall-clock, attempt and checkpoint path aside).
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { attemptsOf, epochLines, normalisedRun, published, runIds, startXfer, waitFor, writeSweepRecipe, xfer } from "./sweep-fixture.ts";

const NAME = "kill-resume";
let recipe: string;
let cleanDir: string;

/** Starts a sweep and returns it once one of its runs has written at least `epochs` epochs (and is not published). */
async function sweepAtEpoch(out: string, epochs: number) {
  const dir = join(out, NAME);
  const sweep = startXfer(["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "1"]);
  const [id] = await waitFor(`a run with ${epochs} epochs written (stderr: ${sweep.output.stderr})`, () => {
    const found = epochLines(dir).find(([run, , lines]) => lines >= epochs && !existsSync(join(dir, run, "result.json")));
    return found ?? false;
  });
  return { sweep, dir, id };
}

function expectSameAsClean(dir: string): void {
  expect(published(dir)).toEqual(published(cleanDir));
  for (const id of published(cleanDir)) expect(normalisedRun(dir, id), `run ${id}`).toEqual(normalisedRun(cleanDir, id));
}

beforeAll(async () => {
  recipe = await writeSweepRecipe({ name: NAME, lrs: [0.02, 0.01], epochs: 12 });
  const out = await mkdtemp(join(tmpdir(), "xfer-clean-"));
  const clean = await xfer(["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "1"]);
  expect(clean.code, clean.stderr).toBe(0);
  cleanDir = join(out, NAME);
  expect(published(cleanDir)).toHaveLength(2);
}, 120_000);

describe("a run killed or stopped mid-run resumes from its last completed epoch", () => {
  it("kill -9: the rerun says it resumed the run from epoch k and ends with the uninterrupted bytes", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-kill9-"));
    const { sweep, dir, id } = await sweepAtEpoch(out, 2);
    sweep.child.kill("SIGKILL");
    const killed = await sweep.exited;
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(join(dir, id, "result.json"))).toBe(false);
    // The claim of a dead process on this host is stale at once: the rerun does not wait for the lease.
    const started = Date.now();
    const rerun = await xfer(["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "1"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    const resumed = new RegExp(`resumed ${id} from epoch (\\d+)`).exec(rerun.stderr);
    expect(resumed, rerun.stderr).not.toBeNull();
    const from = Number(resumed![1]);
    expect(from).toBeGreaterThanOrEqual(1);
    expect(from).toBeLessThan(12);
    expect(rerun.stdout).toMatch(/: 2 trained, 0 already done, 1 resumed mid-run/);
    expect(rerun.stdout).toContain(`(resumed from epoch ${from})`);
    // Two attempts: the killed one and the one that resumed it (and published).
    expect(attemptsOf(dir, id)).toHaveLength(2);
    const result = JSON.parse(readFileSync(join(dir, id, "result.json"), "utf8"));
    expect(JSON.parse(readFileSync(join(dir, id, "attempts", result.attempt, "resumed.json"), "utf8"))).toMatchObject({ epochsDone: from });
    // The resume state is gone once the result is published.
    expect(existsSync(join(dir, id, "resume.safetensors"))).toBe(false);
    expectSameAsClean(dir);
  }, 180_000);

  it("SIGUSR1: exit 138 with what was kept, the claim released, and the rerun resumes to the same bytes", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-usr1-"));
    const { sweep, dir, id } = await sweepAtEpoch(out, 2);
    sweep.child.kill("SIGUSR1");
    const stopped = await sweep.exited;
    expect(stopped.code, stopped.stderr).toBe(138);
    const kept = new RegExp(`xfer: run ${id} stopped after epoch (\\d+): its resume state is kept, the next xfer run goes on with epoch (\\d+); its claim is released`).exec(stopped.stderr);
    expect(kept, stopped.stderr).not.toBeNull();
    const epochsDone = Number(kept![1]);
    expect(Number(kept![2])).toBe(epochsDone + 1);
    expect(epochsDone).toBeGreaterThanOrEqual(2);
    expect(stopped.stderr).toMatch(new RegExp(`xfer: interrupted: 0 of 2 run\\(s\\) of ${NAME} are kept in .* stopped by SIGUSR1\\)`));
    expect(stopped.stderr).toContain(`xfer: to resume, run the same command: xfer run ${recipe} --out ${out} --backend wasm --jobs 1`);
    expect(existsSync(join(dir, id, "resume.safetensors"))).toBe(true);

    // The store agrees: no live claim, a resume state after that epoch.
    const status = await xfer(["status", recipe, "--out", out, "--json"]);
    expect(status.code, status.stderr).toBe(0);
    const row = JSON.parse(status.stdout).runs.find((r: { id: string }) => r.id === id);
    expect(row).toMatchObject({ state: "pending", resumableAfterEpoch: epochsDone });
    expect(row.claim).toBeUndefined();

    const rerun = await xfer(["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "1"]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`resumed ${id} from epoch ${epochsDone}`);
    expect(runIds(dir)).toHaveLength(2);
    expectSameAsClean(dir);
  }, 180_000);
});
