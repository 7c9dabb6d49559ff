/**
 * The RunStore contract (core/contracts.ts), held by the file store and the in-memory store alike:
 * attempts keep their writes apart, a result is published once and never replaced, the later
 * finisher's result is discarded (and says who won), and the result names its checkpoint by the
 * SHA-256 of the same safetensors bytes.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contentHash, MemoryRunStore, type EnvironmentRecord, type JsonObject, type RunResult, type RunStore } from "../../core/index.ts";
import { FsRunStore } from "../../plugins/platform/node/run-store.ts";

const spec: JsonObject = { recipe: "contract", seed: 0, point: {} };
const id = contentHash(spec);
const environment = (backend: string): EnvironmentRecord => ({ backend, backendVersion: "1", threads: 1, runtime: "test", platform: "test", versions: {} });
const result = (backend: string, accuracy: number): RunResult => ({
  hash: id, recipe: "contract", bestEpoch: 1, best: { accuracy }, seconds: 1, seeds: { root: "0" }, environment: environment(backend),
  epochs: [{ epoch: 1, trainLoss: 1, selection: { accuracy }, seconds: 1 }],
});
const tensors = (value: number) => [{ name: "w", shape: [2], data: new Float32Array([value, value]) }];

const stores: [string, () => Promise<RunStore>][] = [
  ["MemoryRunStore", async () => new MemoryRunStore()],
  ["FsRunStore", async () => new FsRunStore(await mkdtemp(join(tmpdir(), "xfer-contract-")))],
];

describe.each(stores)("%s", (_name, make) => {
  it("publishes the first finished attempt once and discards the second, whose writes never mix in", async () => {
    const store = await make();
    expect(await store.lookup(id)).toEqual({ state: "absent" });
    const a = await store.begin(id, spec, environment("wasm"));
    const b = await store.begin(id, spec, environment("cpu"));
    expect(a.id).not.toBe(b.id);
    for (const [attempt, backend, value] of [[a, "wasm", 0.5], [b, "cpu", 0.25]] as const) {
      await attempt.appendEpoch(result(backend, value).epochs[0]);
      await attempt.putCheckpoint(tensors(value));
    }
    const second = await b.finish(result("cpu", 0.25));
    expect(second.published).toBe(true);
    const first = await a.finish(result("wasm", 0.5));
    expect(first.published).toBe(false);
    if (first.published) return;
    expect(first.winner).toEqual(second.result);
    expect(first.result.attempt).toBe(a.id);

    const found = await store.lookup(id);
    expect(found.state).toBe("done");
    if (found.state !== "done") return;
    expect(found.run.spec).toEqual(spec);
    expect(found.run.result).toEqual(second.result);
    expect(found.run.result.environment.backend).toBe("cpu");
    expect(found.run.result.checkpoint).toEqual({ path: `attempts/${b.id}/best.safetensors`, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await store.list()).toEqual([id]);
    expect(await store.get(id)).toEqual(found.run);
  });

  it("refuses to finish an attempt that stored no checkpoint", async () => {
    const store = await make();
    const attempt = await store.begin(id, spec, environment("cpu"));
    await expect(attempt.finish(result("cpu", 1))).rejects.toThrow(/finished without storing a checkpoint/);
    expect(await store.lookup(id)).toEqual({ state: "absent" });
  });
});

describe("both stores", () => {
  it("record the same checkpoint hash for the same tensors", async () => {
    const hashes = await Promise.all(stores.map(async ([, make]) => {
      const store = await make();
      const attempt = await store.begin(id, spec, environment("cpu"));
      await attempt.appendEpoch(result("cpu", 1).epochs[0]);
      await attempt.putCheckpoint(tensors(3));
      return (await attempt.finish(result("cpu", 1))).result.checkpoint!.sha256;
    }));
    expect(hashes[0]).toBe(hashes[1]);
  });
});
