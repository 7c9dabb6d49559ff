/**
 * runPlan as a sweep worker, in process, on both run stores: a failing run leaves its error and the
 * sweep finishes the others (or stops there with failFast), later sweeps retry it up to
 * maxAttempts; a stop request ends the sweep keeping the last completed epoch's resume state, and
 * the next sweep resumes from it to the same result and checkpoint bytes as an uninterrupted run;
 * runs held by another worker are waited for and taken over once stale; a worker that loses its
 * claim mid-run stops training that run and waits for it like any held run; a run its holder
 * failed meanwhile is reported, not retried.
 */
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DependencyContainer } from "tsyringe";
import { describe, expect, it } from "vitest";
import { attemptFree } from "../helpers/attempt-free.ts";
import {
  defineRecipe, definePlugin, MemoryRunStore, type JsonObject, parseConfig, plan, runPlan, TOKENS, type Logger, type PlanProgress, type PluginRegistry,
  type RunStartEvent, type RunStore, type WorkerIdentity,
} from "../../core/index.ts";
import { createNodeRoot } from "../../plugins/platform/node/services.ts";
import { helloLikeTemplate } from "../helpers/golden.ts";
import { cpuEnvironment, testRegistry } from "../helpers/plugins.ts";

/** The constant schedule, except that a run with lr 0.05 fails in its second epoch (after one completed epoch). */
const failingSchedule = definePlugin({
  meta: { kind: "schedule", name: "test-fails-at-lr-0.05", version: "0.0.0", description: "base lr; throws for lr 0.05 in epoch 2" },
  create: (_options, ctx) => ({
    lr: ({ epoch }) => {
      if (ctx.training!.lr === 0.05 && epoch === 1) throw new Error("schedule exploded in epoch 2\nsecond line of the error");
      return ctx.training!.lr;
    },
  }),
});

function registry(): PluginRegistry {
  const r = testRegistry();
  r.register(failingSchedule);
  return r;
}

const threeRuns = plan(defineRecipe({
  name: "sweep", description: "", template: { ...helloLikeTemplate, schedule: { name: "test-fails-at-lr-0.05" } }, grid: { "training.lr": [0.1, 0.05, 0.02] },
}));
const [r0, r1, r2] = threeRuns.map((r) => r.hash);
const oneRun = plan(defineRecipe({ name: "stop", description: "", template: { ...helloLikeTemplate, training: { ...helloLikeTemplate.training, epochs: 3 } } }));

interface Events {
  done: PlanProgress[];
  started: RunStartEvent[];
  warnings: string[];
}

async function root(store: "memory" | "fs", hooks: Partial<Logger> = {}): Promise<{ container: DependencyContainer; store: RunStore; dir: string; events: Events }> {
  const dir = await mkdtemp(join(tmpdir(), "xfer-sweep-"));
  const events: Events = { done: [], started: [], warnings: [] };
  const logger: Logger = {
    progress: (e) => hooks.progress?.(e),
    runDone: (e) => events.done.push(e),
    runStart: (e) => events.started.push(e),
    warn: (m) => events.warnings.push(m),
  };
  const container = createNodeRoot({ config: parseConfig({}, "test"), runDir: dir, registry: registry(), environment: await cpuEnvironment(), logger });
  if (store === "memory") container.register(TOKENS.runStore, { useValue: new MemoryRunStore() });
  return { container, store: container.resolve(TOKENS.runStore), dir, events };
}

const me: WorkerIdentity = { id: "worker-under-test", host: "in-process", pid: 0 };
const other: WorkerIdentity = { id: "other-worker", host: "elsewhere", pid: 1 };


describe.each(["memory", "fs"] as const)("runPlan on the %s store", (kind) => {
  it("records a failing run's error and finishes the others; later sweeps retry it up to maxAttempts, then leave it exhausted", async () => {
    const { container, store, events } = await root(kind);
    const first = await runPlan(container, threeRuns, { worker: me });
    expect(first.trained).toEqual([r0, r2]);
    expect(first.results.map((r) => r.hash)).toEqual([r0, r2]);
    expect(first.failed).toEqual([{ id: r1, failure: expect.objectContaining({ message: "schedule exploded in epoch 2\nsecond line of the error", failedAttempts: 1 }) }]);
    expect(first.stopped).toBeUndefined();
    expect(events.done.map((e) => [e.hash, e.status, e.message])).toEqual([[r0, "trained", undefined], [r1, "failed", "schedule exploded in epoch 2"], [r2, "trained", undefined]]);
    expect(await store.claimOf(r1)).toBeUndefined();
    // The failed run keeps the resume state of its completed first epoch.
    expect((await store.resume(r1))?.epochsDone).toBe(1);

    const second = await runPlan(container, threeRuns, { worker: me, maxAttempts: 2 });
    expect(second.skipped).toEqual([r0, r2]);
    expect(second.resumed).toEqual([{ id: r1, fromEpoch: 1 }]);
    expect(second.failed.map((f) => [f.id, f.failure.failedAttempts])).toEqual([[r1, 2]]);

    events.done.length = 0;
    const third = await runPlan(container, threeRuns, { worker: me, maxAttempts: 2 });
    expect(third.trained).toEqual([]);
    expect(third.failed).toEqual([]);
    expect(third.exhausted).toEqual([{ id: r1, failure: (await store.failures(r1))[1] }]);
    expect(events.done.map((e) => e.status)).toEqual(["skipped", "exhausted", "skipped"]);
    expect(await store.failures(r1)).toHaveLength(2);
  });

  it("stops at the first failure with failFast, starting nothing after it", async () => {
    const { container, store } = await root(kind);
    const outcome = await runPlan(container, threeRuns, { worker: me, failFast: true });
    expect(outcome.trained).toEqual([r0]);
    expect(outcome.failed.map((f) => f.id)).toEqual([r1]);
    expect(outcome.stopped).toEqual({ reason: "fail-fast", id: r1 });
    expect(await store.lookup(r2)).toEqual({ state: "absent" });
    expect(await store.claimOf(r2)).toBeUndefined();
    expect(await store.claimOf(r1)).toBeUndefined();
  });

  it("stops on request at a step boundary keeping the last epoch's resume state, and a later sweep resumes it to an uninterrupted run's bytes", async () => {
    const [{ hash: id }] = oneRun;
    const whole = await root(kind);
    const uninterrupted = await runPlan(whole.container, oneRun, { worker: me });

    let stop = false;
    const cut = await root(kind, { progress: (e) => (stop ||= e.epoch === 2 && e.step === 1) });
    const stopped = await runPlan(cut.container, oneRun, { worker: me, shouldStop: () => stop });
    expect(stopped.stopped).toEqual({ reason: "signal", id, epochsDone: 2 });
    expect(stopped.trained).toEqual([]);
    expect(stopped.results).toEqual([]);
    expect(cut.events.done.map((e) => e.status)).toEqual(["stopped"]);
    expect((await cut.store.resume(id))?.epochsDone).toBe(2);
    expect(await cut.store.claimOf(id)).toBeUndefined();
    expect(await cut.store.failures(id)).toEqual([]);

    const resumed = await runPlan(cut.container, oneRun, { worker: me });
    expect(resumed.resumed).toEqual([{ id, fromEpoch: 2 }]);
    expect(resumed.trained).toEqual([id]);
    expect(cut.events.started.map((e) => e.resumedFrom)).toEqual([undefined, 2]);
    expect(resumed.results.map(attemptFree)).toEqual(uninterrupted.results.map(attemptFree));
    expect(await cut.store.resume(id)).toBeUndefined();
    if (kind === "fs") {
      const attempt = resumed.results[0].attempt!;
      const lines = async (dir: string, a: string) =>
        (await readFile(join(dir, id, "attempts", a, "epochs.jsonl"), "utf8")).trim().split("\n").map((l) => ({ ...JSON.parse(l), seconds: 0 }));
      expect(await lines(cut.dir, attempt)).toEqual(await lines(whole.dir, uninterrupted.results[0].attempt!));
      expect(JSON.parse(await readFile(join(cut.dir, id, "attempts", attempt, "resumed.json"), "utf8"))).toEqual({ epochsDone: 2 });
      expect((await readdir(join(cut.dir, id))).sort()).toEqual(["attempts", "result.json", "spec.json"]);
    }
  });

  it("waits for a run another worker holds and takes it over once its claim is stale", async () => {
    const { container, store, events } = await root(kind);
    const held = await store.claim(r0, other, 60_000);
    expect(held.state).toBe("claimed");
    const started = Date.now();
    const outcome = await runPlan(container, threeRuns.filter((r) => r.hash !== r1), { worker: me, leaseMs: 1500, heartbeatMs: 100 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(outcome.trained).toEqual([r2, r0]);
    expect(outcome.results.map((r) => r.hash)).toEqual([r0, r2]);
    expect(events.started.map((e) => [e.hash, e.tookOverFrom])).toEqual([[r2, undefined], [r0, other.id]]);
    if (held.state === "claimed") expect(await held.claim.heartbeat()).toBe(false);
  });

  it("reports a run that the worker it waited for failed, without retrying it, and stops waiting on request", async () => {
    const { container, store, events } = await root(kind);
    const held = await store.claim(r0, other, 60_000);
    if (held.state !== "claimed") throw new Error("the other worker must claim r0");
    setTimeout(() => {
      void (async () => {
        const attempt = await store.begin(r0, threeRuns[0].spec as unknown as JsonObject, await cpuEnvironment());
        await attempt.fail({ message: "the other worker's run failed\nstack" });
        await held.claim.release();
      })();
    }, 300);
    const outcome = await runPlan(container, [threeRuns[0], threeRuns[2]], { worker: me, heartbeatMs: 50 });
    expect(outcome.trained).toEqual([r2]);
    expect(outcome.failed.map((f) => [f.id, f.failure.message])).toEqual([[r0, "the other worker's run failed\nstack"]]);
    expect(await store.failures(r0)).toHaveLength(1);
    expect(events.done.map((e) => [e.hash, e.status, e.message])).toEqual([[r2, "trained", undefined], [r0, "failed", "the other worker's run failed"]]);

    const again = await store.claim(r0, other, 60_000);
    expect(again.state).toBe("claimed");
    let stop = false;
    setTimeout(() => (stop = true), 200);
    const stopped = await runPlan(container, [threeRuns[0]], { worker: me, heartbeatMs: 60_000, shouldStop: () => stop });
    expect(stopped.stopped).toEqual({ reason: "signal" });
    expect(stopped.trained).toEqual([]);
  });

  it("stops training a run whose claim another worker took over, and waits for that worker", async () => {
    let thief: Promise<unknown> | undefined;
    const ctx = await root(kind, {
      progress: () => {
        // The first step: another worker takes the run over (a lease of 0 makes any claim stale) and gives it back later.
        thief ??= ctx.store.claim(oneRun[0].hash, other, 0).then(async (taken) => {
          if (taken.state !== "claimed") throw new Error("the takeover must succeed");
          await new Promise((resolve) => setTimeout(resolve, 700));
          await taken.claim.release();
        });
      },
    });
    const outcome = await runPlan(ctx.container, oneRun, { worker: me, heartbeatMs: 50 });
    await thief;
    expect(ctx.events.warnings).toEqual([expect.stringContaining("its claim was taken over by another worker")]);
    expect(outcome.trained).toEqual([oneRun[0].hash]);
    expect(ctx.events.started).toHaveLength(2);
    expect(outcome.failed).toEqual([]);
  });
});
