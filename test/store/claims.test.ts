/**
 * Claims (core/contracts.ts RunStore.claim), held by both stores: of workers racing for the same
 * runs each run goes to exactly one; a claim is held while its heartbeat is younger than the lease
 * and taken over once it is not, and the old holder learns so at its next heartbeat; a released
 * claim is claimed anew. The file store's claim files (plugins/platform/node/claims.ts): created
 * whole, damaged ones stale and named, a dead process of this host stale at once, removed once the
 * run is published.
 */
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contentHash, MemoryRunStore, parseClaim, type RunStore, type WorkerIdentity } from "../../core/index.ts";
import { workerIdentity } from "../../plugins/platform/node/claims.ts";
import { FsRunStore, HOST } from "../../plugins/platform/node/run-store.ts";
import { deadPid } from "./helpers.ts";

const ids = Array.from({ length: 20 }, (_, i) => contentHash({ run: i }));
const worker = (name: string): WorkerIdentity => ({ id: `${name}-worker`, host: "elsewhere", pid: 1 });
const LEASE = 1000;

/** A clock the test moves by hand. */
function fakeClock() {
  let now = Date.parse("2026-01-01T00:00:00Z");
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** Two handles on one store, as two workers see it (two FsRunStore objects on one folder: two processes). */
type Pair = (now: () => number) => Promise<[RunStore, RunStore]>;
const pairs: [string, Pair][] = [
  ["MemoryRunStore", async (now) => {
    const store = new MemoryRunStore({ now });
    return [store, store];
  }],
  ["FsRunStore", async (now) => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-claims-"));
    return [new FsRunStore(dir, { now, warn: () => {} }), new FsRunStore(dir, { now, warn: () => {} })];
  }],
];

describe.each(pairs)("%s", (_name, make) => {
  it("gives each of 20 runs to exactly one of two workers racing for all of them", async () => {
    const [a, b] = await make(Date.now);
    const outcomes = await Promise.all(ids.flatMap((id) => [a.claim(id, worker("a"), LEASE), b.claim(id, worker("b"), LEASE)]));
    for (const [i, id] of ids.entries()) {
      const pair = outcomes.slice(2 * i, 2 * i + 2);
      expect(pair.filter((o) => o.state === "claimed"), id).toHaveLength(1);
      const held = pair.find((o) => o.state === "held");
      const claimed = pair.find((o) => o.state === "claimed");
      if (held?.state !== "held" || claimed?.state !== "claimed") throw new Error("expected one claimed, one held");
      expect(held.by.worker).toEqual(claimed.claim.record.worker);
      expect((await a.claimOf(id))?.by.worker).toEqual(claimed.claim.record.worker);
    }
    const won = outcomes.filter((o) => o.state === "claimed").map((o) => o.claim.record.worker.id);
    // Both workers got runs here is not promised, but each run went to one and only one.
    expect(won).toHaveLength(20);
  });

  it("holds a claim while its heartbeat is fresh, takes it over after the lease, and the old holder learns it lost", async () => {
    const clock = fakeClock();
    const [a, b] = await make(clock.now);
    const id = ids[0];
    const first = await a.claim(id, worker("a"), LEASE);
    if (first.state !== "claimed") throw new Error("a must claim a free run");
    expect(first.tookOver).toBeUndefined();
    clock.advance(800);
    expect(await first.claim.heartbeat({ attempt: "attempt-a" })).toBe(true);
    clock.advance(800); // 1600 ms since the claim, 800 ms since its heartbeat: still held
    const blocked = await b.claim(id, worker("b"), LEASE);
    expect(blocked).toMatchObject({ state: "held", heartbeatAgeMs: 800, by: { worker: worker("a"), attempt: "attempt-a" } });
    expect(await b.claimOf(id)).toMatchObject({ heartbeatAgeMs: 800, by: { worker: worker("a") } });

    clock.advance(LEASE);
    const taken = await b.claim(id, worker("b"), LEASE);
    if (taken.state !== "claimed") throw new Error("a stale claim must be taken over");
    expect(taken.tookOver).toMatchObject({ worker: worker("a"), attempt: "attempt-a" });
    expect(await first.claim.heartbeat()).toBe(false);
    expect(await first.claim.heartbeat()).toBe(false);
    await first.claim.release(); // the loser's release leaves the new holder's claim alone
    expect((await a.claimOf(id))?.by.worker).toEqual(worker("b"));
    expect(await a.claim(id, worker("a"), LEASE)).toMatchObject({ state: "held", by: { worker: worker("b") } });
    expect(await taken.claim.heartbeat()).toBe(true);
  });

  it("lets a released run be claimed anew (not as a takeover), and reports no claim for it", async () => {
    const [a, b] = await make(Date.now);
    const id = ids[1];
    expect(await a.claimOf(id)).toBeUndefined();
    const first = await a.claim(id, worker("a"), LEASE);
    if (first.state !== "claimed") throw new Error("a must claim a free run");
    await first.claim.release();
    expect(await first.claim.heartbeat()).toBe(false);
    expect(await b.claimOf(id)).toBeUndefined();
    const second = await b.claim(id, worker("b"), LEASE);
    expect(second.state).toBe("claimed");
    expect(second.state === "claimed" && second.tookOver).toBeUndefined();
  });
});

describe("FsRunStore claim files", () => {
  it("are claim.<n> files holding the record, a release marker after them, all removed once the run is published", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-claims-"));
    const store = new FsRunStore(dir);
    const id = ids[2];
    const me = workerIdentity({ SLURM_JOB_ID: "77", SLURM_ARRAY_JOB_ID: "70", SLURM_ARRAY_TASK_ID: "3" });
    expect(me).toMatchObject({ host: HOST, pid: process.pid, slurm: { jobId: "77", arrayJobId: "70", arrayTaskId: "3" } });
    const first = await store.claim(id, me, LEASE);
    if (first.state !== "claimed") throw new Error("must claim");
    await first.claim.heartbeat({ attempt: "att-1" });
    const one = parseClaim(await readFile(join(dir, id, "claim.1"), "utf8"));
    expect(one.ok && one.value).toMatchObject({ worker: me, attempt: "att-1" });
    await first.claim.release();
    const two = parseClaim(await readFile(join(dir, id, "claim.2"), "utf8"));
    expect(two.ok && two.value).toMatchObject({ worker: me, released: true });

    const again = await store.claim(id, me, LEASE);
    if (again.state !== "claimed") throw new Error("must claim a released run");
    expect((await readdir(join(dir, id))).sort()).toEqual(["claim.1", "claim.2", "claim.3"]);
    // Published (by this holder or any other): the release removes the claims, leaving the folder as before claims existed.
    await writeFile(join(dir, id, "result.json"), "{}");
    await again.claim.release();
    expect((await readdir(join(dir, id))).sort()).toEqual(["result.json"]);

  });

  it("tells a holder whose claim was taken over and cleaned up by the publishing worker that it lost the run", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-claims-"));
    const clock = fakeClock();
    const store = new FsRunStore(dir, { now: clock.now });
    const id = ids[6];
    const slow = await store.claim(id, worker("slow"), LEASE);
    clock.advance(2 * LEASE);
    const taker = await store.claim(id, worker("taker"), LEASE);
    if (slow.state !== "claimed" || taker.state !== "claimed") throw new Error("both must claim in turn");
    await writeFile(join(dir, id, "result.json"), "{}");
    await taker.claim.release();
    expect(await readdir(join(dir, id))).toEqual(["result.json"]);
    expect(await slow.claim.heartbeat()).toBe(false);
    await slow.claim.release();
    expect(await readdir(join(dir, id))).toEqual(["result.json"]);
  });

  it("removes a holder's claim file that a heartbeat under way wrote back after the publisher cleaned up, and tells it it lost", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-claims-"));
    const clock = fakeClock();
    const store = new FsRunStore(dir, { now: clock.now });
    const id = ids[7];
    const frozen = await store.claim(id, worker("frozen"), LEASE);
    if (frozen.state !== "claimed") throw new Error("must claim");
    const written = await readFile(join(dir, id, "claim.1"), "utf8");
    clock.advance(2 * LEASE);
    const taker = await store.claim(id, worker("taker"), LEASE);
    if (taker.state !== "claimed") throw new Error("must take over");
    await writeFile(join(dir, id, "result.json"), "{}");
    await taker.claim.release();
    // The frozen holder's heartbeat had checked before the takeover; its rename lands now.
    await writeFile(join(dir, id, "claim.1"), written);
    expect(await frozen.claim.heartbeat()).toBe(false);
    expect(await readdir(join(dir, id))).toEqual(["result.json"]);
  });

  it("treats a damaged claim file as stale, naming it in a warning once, and leaves the file as it is", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-claims-"));
    const warnings: string[] = [];
    const store = new FsRunStore(dir, { warn: (m) => warnings.push(m) });
    const id = ids[3];
    const held = await store.claim(id, worker("a"), LEASE);
    expect(held.state).toBe("claimed");
    await writeFile(join(dir, id, "claim.1"), '{"worker": {"id": "a-worker"}, "since": "yesterday"');
    expect(await store.claimOf(id)).toBeUndefined();
    const taken = await store.claim(id, worker("b"), LEASE);
    expect(taken.state).toBe("claimed");
    expect(taken.state === "claimed" && taken.tookOver).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`${join(dir, id, "claim.1").replace(/[.\\/]/g, "\\$&")}: damaged claim file \\(not JSON`))]);
    expect(await readFile(join(dir, id, "claim.1"), "utf8")).toContain("yesterday");
    if (held.state === "claimed") expect(await held.claim.heartbeat()).toBe(false);
  });

  it("treats a claim by a process of this host that no longer runs as stale at once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-claims-"));
    const store = new FsRunStore(dir);
    const id = ids[4];
    const dead: WorkerIdentity = { id: "dead-worker", host: HOST, pid: deadPid() };
    expect((await store.claim(id, dead, LEASE)).state).toBe("claimed");
    const taken = await store.claim(id, workerIdentity(), LEASE);
    expect(taken).toMatchObject({ state: "claimed", tookOver: { worker: dead } });
    // A live process of another host keeps its claim for the whole lease.
    const other = await store.claim(ids[5], worker("remote"), LEASE);
    expect(other.state).toBe("claimed");
    expect((await store.claim(ids[5], workerIdentity(), LEASE)).state).toBe("held");
  });
});
