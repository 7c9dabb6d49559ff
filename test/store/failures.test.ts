/**
 * Failed attempts (RunAttempt.fail, RunStore.failures) in both stores: error.json holds the
 * message, stack, attempt, environment, time and how many attempts of the run failed so far; the
 * file store reads them back validated, and a damaged one is kept aside and named, not counted.
 * The file store's `report` (what `xfer status` needs) tells each state of a run apart.
 */
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contentHash, MemoryRunStore, type EnvironmentRecord, type JsonObject, type RunStore } from "../../core/index.ts";
import { trainerResumeMetaJson } from "../../core/train/resume.ts";
import { FsRunStore } from "../../plugins/platform/node/run-store.ts";

const spec: JsonObject = { recipe: "failures", seed: 0, point: {} };
const id = contentHash(spec);
const environment = (backend: string): EnvironmentRecord => ({ backend, backendVersion: "1", threads: 1, runtime: "test", platform: "test", versions: {} });

/** 1 s apart, so the oldest-first order is the order of failing. */
function stepClock() {
  let now = Date.parse("2026-02-03T04:05:06Z");
  return () => (now += 1000);
}

const stores: [string, () => Promise<RunStore>][] = [
  ["MemoryRunStore", async () => new MemoryRunStore({ now: stepClock() })],
  ["FsRunStore", async () => new FsRunStore(await mkdtemp(join(tmpdir(), "xfer-failures-")), { now: stepClock() })],
];

describe.each(stores)("%s", (_name, make) => {
  it("records each failed attempt with its message, stack, environment and the count of failures so far", async () => {
    const store = await make();
    expect(await store.failures(id)).toEqual([]);
    const a = await store.begin(id, spec, environment("cpu"));
    const error = new Error("dataset root missing: /data/x\nsecond line");
    const first = await a.fail(error);
    expect(first).toEqual({
      message: "dataset root missing: /data/x\nsecond line", stack: error.stack, attempt: a.id, failedAttempts: 1,
      at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/), environment: environment("cpu"),
    });
    // A successful attempt in between does not count; a second failure counts the first.
    await store.begin(id, spec, environment("cpu"));
    const c = await store.begin(id, spec, environment("wasm"));
    const second = await c.fail({ message: "out of memory" });
    expect(second).toMatchObject({ attempt: c.id, failedAttempts: 2, environment: environment("wasm") });
    expect(second.stack).toBeUndefined();
    expect(await store.failures(id)).toEqual([first, second]);
    expect(await store.failures(contentHash({ other: 1 }))).toEqual([]);
  });
});

describe("FsRunStore error.json", () => {
  it("is written in the failed attempt's folder and read back validated; a damaged one is kept aside, named and not counted", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-failures-"));
    const warnings: string[] = [];
    const store = new FsRunStore(dir, { warn: (m) => warnings.push(m) });
    const a = await store.begin(id, spec, environment("cpu"));
    const failure = await a.fail(new Error("boom"));
    const path = join(dir, id, "attempts", a.id, "error.json");
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual(failure);

    const b = await store.begin(id, spec, environment("cpu"));
    const other = join(dir, id, "attempts", b.id, "error.json");
    await writeFile(other, JSON.stringify({ ...failure, attempt: b.id, failedAttempts: "two" }));
    expect(await store.failures(id)).toEqual([failure]);
    expect(warnings).toEqual([expect.stringContaining(`${other}: damaged (failedAttempts: `)]);
    expect((await readdir(join(dir, id, "attempts", b.id))).filter((f) => f.startsWith("error."))).toEqual([expect.stringMatching(/^error\.damaged-\d{8}T\d{6}Z-[0-9a-f]{4}\.json$/)]);

    // An error.json copied into another attempt's folder is not that attempt's failure.
    const c = await store.begin(id, spec, environment("cpu"));
    await writeFile(join(dir, id, "attempts", c.id, "error.json"), JSON.stringify(failure));
    expect(await store.failures(id)).toEqual([failure]);
    expect(warnings[1]).toContain(`names attempt ${a.id}, but lies in the folder of attempt ${c.id}`);
  });
});

describe("FsRunStore report", () => {
  it("tells done, running, stale, failed, exhausted, resumable and pending runs apart", async () => {
    let now = Date.parse("2026-02-03T04:05:06Z");
    const store = new FsRunStore(await mkdtemp(join(tmpdir(), "xfer-report-")), { now: () => now, warn: () => {} });
    const options = { leaseMs: 1000, maxAttempts: 2 };
    const run = (n: number) => contentHash({ ...spec, seed: n });
    const specOf = (n: number): JsonObject => ({ ...spec, seed: n });
    const remote = { id: "remote-worker", host: "elsewhere", pid: 1 };

    const done = await store.begin(run(1), specOf(1), environment("cpu"));
    const epoch = { epoch: 1, trainLoss: 1, selection: { accuracy: 1 }, seconds: 1 };
    await done.appendEpoch(epoch);
    await done.putCheckpoint([{ name: "w", shape: [1], data: new Float32Array([1]) }]);
    await done.finish({ hash: run(1), recipe: "failures", bestEpoch: 1, best: { accuracy: 1 }, seconds: 1, seeds: {}, environment: environment("cpu"), epochs: [epoch] });
    await store.claim(run(2), remote, options.leaseMs);
    now += 600;
    const failedOnce = await store.begin(run(4), specOf(4), environment("cpu"));
    await failedOnce.fail({ message: "boom\nmore" });
    for (let i = 0; i < 2; i++) await (await store.begin(run(5), specOf(5), environment("cpu"))).fail({ message: `failure ${i + 1}` });
    const interrupted = await store.begin(run(6), specOf(6), environment("cpu"));
    await interrupted.putResume({
      runId: run(6), epochsDone: 1,
      tensors: [{ name: "model/w", shape: [1], data: new Float32Array([1]) }, { name: "best/w", shape: [1], data: new Float32Array([1]) }, { name: "val/scores", shape: [1, 1], data: new Float32Array([1]) }],
      meta: trainerResumeMetaJson({ history: [epoch], bestEpoch: 1, best: { accuracy: 1 }, bestValLoss: 1, trainingDone: false, optimizer: {}, streams: {} }),
    });
    now += 600; // run 2's claim is now 1200 ms old, over the lease: stale

    const reports = await Promise.all([1, 2, 4, 5, 6, 7].map((n) => store.report(run(n), options)));
    expect(reports.map((r) => [r.state, r.started, r.resumable, r.failures.length, r.claim?.stale])).toEqual([
      ["done", true, false, 0, undefined],
      ["pending", false, false, 0, true],
      ["failed", true, false, 1, undefined],
      ["exhausted", true, false, 2, undefined],
      ["pending", true, true, 0, undefined],
      ["pending", false, false, 0, undefined],
    ]);
    expect(reports[1].claim?.by.worker).toEqual(remote);
    expect(reports[2].failures[0].message).toBe("boom\nmore");
    const fresh = await store.claim(run(7), remote, options.leaseMs);
    expect(fresh.state).toBe("claimed");
    expect(await store.report(run(7), options)).toMatchObject({ state: "running", claim: { stale: false, heartbeatAgeMs: 0, by: { worker: remote } } });
  });
});
