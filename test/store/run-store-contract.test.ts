/**
 * The RunStore contract (core/contracts.ts), held by the file store and the in-memory store alike:
 * attempts keep their writes apart, a result is published once and never replaced, the later
 * finisher's result is discarded (and says who won), and the result names its checkpoint by the
 * SHA-256 of the same safetensors bytes. The resume state is stored whole and validated when read,
 * only the latest kept, and dropped once the run is published; an attempt that goes on from it
 * begins with its epochs.
 */
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contentHash, MemoryRunStore, type EnvironmentRecord, type EpochRecord, type JsonObject, type ResumeState, type RunResult, type RunStore } from "../../core/index.ts";
import { encodeResume, trainerResumeMetaJson } from "../../core/train/resume.ts";
import { FsRunStore } from "../../plugins/platform/node/run-store.ts";

const spec: JsonObject = { recipe: "contract", seed: 0, point: {} };
const id = contentHash(spec);
const environment = (backend: string): EnvironmentRecord => ({ backend, backendVersion: "1", threads: 1, runtime: "test", platform: "test", versions: {} });
const result = (backend: string, accuracy: number): RunResult => ({
  hash: id, recipe: "contract", bestEpoch: 1, best: { accuracy }, seconds: 1, seeds: { root: "0" }, environment: environment(backend),
  epochs: [{ epoch: 1, trainLoss: 1, selection: { accuracy }, seconds: 1 }],
});
const tensors = (value: number) => [{ name: "w", shape: [2], data: new Float32Array([value, value]) }];
const epoch = (n: number): EpochRecord => ({ epoch: n, trainLoss: 1 / n, selection: { accuracy: n / 10 }, seconds: 0.5, valLoss: 0.25, lr: { start: 0.1, end: 0.1 } });
/** A valid resume state after `epochsDone` epochs (as the trainer writes one). */
const resumeState = (runId: string, epochsDone: number): ResumeState => ({
  runId,
  epochsDone,
  tensors: [
    { name: "model/w", shape: [2], data: new Float32Array([epochsDone, 1]) },
    { name: "best/w", shape: [2], data: new Float32Array([1, epochsDone]) },
    { name: "val/scores", shape: [1, 2], data: new Float32Array([0.5, 0.5]) },
  ],
  meta: trainerResumeMetaJson({
    history: Array.from({ length: epochsDone }, (_, i) => epoch(i + 1)), bestEpoch: 1, best: { accuracy: 0.1 }, bestValLoss: 0.25,
    trainingDone: false, optimizer: {}, streams: {},
  }),
});

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

describe.each(stores)("%s resume state", (_name, make) => {
  it("keeps only the latest resume state, validated when read, and drops it once the run is published", async () => {
    const store = await make();
    expect(await store.resume(id)).toBeUndefined();
    const attempt = await store.begin(id, spec, environment("cpu"));
    await expect(attempt.putResume(resumeState(contentHash({ other: 1 }), 1))).rejects.toThrow(/was given the resume state of run/);
    await attempt.putResume(resumeState(id, 1));
    await attempt.putResume(resumeState(id, 2));
    const got = await store.resume(id);
    expect(got).toEqual(resumeState(id, 2));
    await attempt.appendEpoch(result("cpu", 1).epochs[0]);
    await attempt.putCheckpoint(tensors(1));
    expect((await attempt.finish(result("cpu", 1))).published).toBe(true);
    expect(await store.resume(id)).toBeUndefined();
  });

  it("begins a resumed attempt with the resume state's epochs, and refuses a history that is not epochs 1..epochsDone", async () => {
    const store = await make();
    const from = { attempt: "earlier-attempt", epochsDone: 2, epochs: [epoch(1), epoch(2)] };
    const attempt = await store.begin(id, spec, environment("cpu"), from);
    await attempt.appendEpoch(epoch(3));
    await attempt.putCheckpoint(tensors(1));
    const finished = await attempt.finish({ ...result("cpu", 1), epochs: [epoch(1), epoch(2), epoch(3)] });
    expect(finished.published).toBe(true);
    const found = await store.lookup(id);
    expect(found.state === "done" && found.run.result.epochs).toEqual([epoch(1), epoch(2), epoch(3)]);
    await expect(store.begin(id, spec, environment("cpu"), { epochsDone: 2, epochs: [epoch(2), epoch(1)] })).rejects.toThrow(/needs epochs 1\.\.2 of its resume state, got \[2, 1\]/);
    await expect(store.begin(id, spec, environment("cpu"), { epochsDone: 3, epochs: [epoch(1)] })).rejects.toThrow(/needs epochs 1\.\.3/);
  });
});

describe("FsRunStore resume files", () => {
  it("writes resume.safetensors and resumed.json with epochs.jsonl as appendEpoch would; a damaged resume state is kept aside, named, and not used", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-contract-"));
    const warnings: string[] = [];
    const store = new FsRunStore(dir, { warn: (m) => warnings.push(m) });
    const first = await store.begin(id, spec, environment("cpu"));
    await first.appendEpoch(epoch(1));
    await first.appendEpoch(epoch(2));
    await first.putResume(resumeState(id, 2));
    expect(await readFile(join(dir, id, "resume.safetensors"))).toEqual(Buffer.from(encodeResume(resumeState(id, 2))));

    const second = await store.begin(id, spec, environment("cpu"), { attempt: first.id, epochsDone: 2, epochs: [epoch(1), epoch(2)] });
    const own = join(dir, id, "attempts", second.id);
    expect(JSON.parse(await readFile(join(own, "resumed.json"), "utf8"))).toEqual({ attempt: first.id, epochsDone: 2 });
    expect(await readFile(join(own, "epochs.jsonl"), "utf8")).toBe(await readFile(join(dir, id, "attempts", first.id, "epochs.jsonl"), "utf8"));

    const bytes = encodeResume(resumeState(id, 2));
    await writeFile(join(dir, id, "resume.safetensors"), bytes.subarray(0, bytes.length - 3));
    expect(await store.resume(id)).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/resume\.safetensors.*the run starts from scratch \(the file is kept as .*resume\.damaged-\d{8}T\d{6}Z-[0-9a-f]{4}\.safetensors\)/)]);
    expect((await readdir(join(dir, id))).filter((f) => f.startsWith("resume"))).toEqual([expect.stringMatching(/^resume\.damaged-/)]);
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
