/**
 * A run that fails at step time, as processes (xfer.mjs, through ./sweep-fixture.ts): its error.json is written while the sweep finishes
 * the others (exit 1, the summary names it and its error.json); a later xfer run retries it up to
 * --max-attempts, then reports it exhausted without trying again; --fail-fast stops at it, with
 * one worker and with two (the other worker's run stops at a step boundary, resumable).
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { attemptsOf, published, runIds, writeSweepRecipe, xfer } from "./sweep-fixture.ts";

const BOOM = "test-boom: this augmentation always fails";

function failingRun(dir: string): string {
  return runIds(dir).find((id) => JSON.parse(readFileSync(join(dir, id, "spec.json"), "utf8")).augment.train[0]?.name === "test-boom")!;
}

describe("failing runs", () => {
  it("error.json while the sweep finishes the others; retried up to --max-attempts, then exhausted", async () => {
    const recipe = await writeSweepRecipe({ name: "failures", lrs: [0.02, 0.01], epochs: 3, failing: "last" });
    const out = await mkdtemp(join(tmpdir(), "xfer-failures-"));
    const dir = join(out, "failures");
    const args = ["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "1"];
    const first = await xfer(args);
    expect(first.code, first.stderr).toBe(1);
    const id = failingRun(dir);
    const [attempt] = attemptsOf(dir, id);
    const errorFile = join(dir, id, "attempts", attempt, "error.json");
    const error = JSON.parse(readFileSync(errorFile, "utf8"));
    expect(error).toMatchObject({ message: `${BOOM}\nsecond line of the message`, attempt, failedAttempts: 1, environment: { backend: "wasm" } });
    expect(error.stack).toContain("recipe.ts");
    expect(published(dir)).toHaveLength(2);
    expect(first.stdout).toMatch(/^failures: 2 trained, 0 already done, 1 failed; results in /);
    expect(first.stdout).toContain(`  ${id.slice(0, 12)}  training.lr=0.1 augment.train=[{"name":"test-boom"}]  failed (attempt 1 of 3): ${BOOM}; see ${errorFile}`);
    expect(first.stderr).toContain("xfer: 1 failed of 3 run(s) (named above); the same command retries failed runs (up to --max-attempts 3)");

    const second = await xfer([...args, "--max-attempts", "2"]);
    expect(second.code, second.stderr).toBe(1);
    expect(attemptsOf(dir, id)).toHaveLength(2);
    expect(second.stdout).toMatch(/^failures: 0 trained, 2 already done, 1 failed \(1 exhausted\); /);
    expect(second.stdout).toContain(`failed 2 time(s), not tried again (--max-attempts 2): ${BOOM}; see `);

    const third = await xfer([...args, "--max-attempts", "2"]);
    expect(third.code, third.stderr).toBe(1);
    expect(attemptsOf(dir, id)).toHaveLength(2); // exhausted: not tried again
    expect(third.stderr).toMatch(new RegExp(`${id.slice(0, 12)} exhausted: ${BOOM}`));
  }, 180_000);

  it("two xfer run processes on one --out: a run one failed is not tried again by the other in the same sweep", async () => {
    const recipe = await writeSweepRecipe({ name: "failures-two", lrs: [0.02, 0.01], epochs: 3, failing: "last" });
    const out = await mkdtemp(join(tmpdir(), "xfer-failures-two-"));
    const dir = join(out, "failures-two");
    const args = ["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "1"];
    const [a, b] = await Promise.all([xfer(args), xfer(args)]);
    expect(published(dir)).toHaveLength(2);
    // One process failed it; the other, finding the failure recorded since it started, left it.
    expect(attemptsOf(dir, failingRun(dir))).toHaveLength(1);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([1, 1]);
    for (const p of [a, b]) expect(p.stdout).toMatch(/1 failed; results in /);
  }, 180_000);

  it("--fail-fast stops the sweep at the failed run", async () => {
    const recipe = await writeSweepRecipe({ name: "fail-fast", lrs: [0.02, 0.01], epochs: 3, failing: "first" });
    const out = await mkdtemp(join(tmpdir(), "xfer-fail-fast-"));
    const dir = join(out, "fail-fast");
    const run = await xfer(["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "1", "--fail-fast"]);
    expect(run.code, run.stderr).toBe(1);
    const id = failingRun(dir);
    expect(runIds(dir)).toEqual([id]); // nothing after it was started
    expect(run.stderr).toContain(`xfer: --fail-fast: the sweep stopped at the failed run ${id} (named above); 2 run(s) not done`);
    expect(run.stdout).toMatch(/^fail-fast: 0 trained, 0 already done, 1 failed, 2 not done; /);
    expect(run.stdout.match(/ not done: not started$/gm)).toHaveLength(2);
  }, 120_000);

  it("--fail-fast with --jobs 2 stops the other worker too, at a step boundary", async () => {
    const recipe = await writeSweepRecipe({ name: "fail-fast-jobs", lrs: [0.02, 0.01], epochs: 200, failing: "first" });
    const out = await mkdtemp(join(tmpdir(), "xfer-fail-fast-jobs-"));
    const dir = join(out, "fail-fast-jobs");
    const run = await xfer(["run", recipe, "--out", out, "--backend", "wasm", "--jobs", "2", "--fail-fast"]);
    expect(run.code, run.stderr).toBe(1);
    const id = failingRun(dir);
    expect(run.stderr).toContain(`xfer: --fail-fast: the sweep stopped at the failed run ${id}`);
    // 200 epochs take far longer than the failure: the other worker was halted, no run finished;
    // the halted run keeps whatever epochs it completed (none, if the failure came first).
    expect(published(dir)).toEqual([]);
    const notDone = run.stdout.match(/ not done: (stopped after epoch (\d+); the next xfer run resumes it|not started)$/gm);
    expect(notDone, run.stdout).toHaveLength(2);
    for (const line of notDone!.filter((l) => l.includes("stopped after"))) {
      expect(runIds(dir).some((r) => existsSync(join(dir, r, "resume.safetensors"))), line).toBe(true);
    }
  }, 120_000);
});
