/**
 * Run store on the file system (layout in docs/training.md, "Run folders"):
 *
 *   runs/<recipe>/<id>/spec.json                  the RunSpec, published once by the first attempt
 *   runs/<recipe>/<id>/result.json                the published result: a hard link to one attempt's
 *   runs/<recipe>/<id>/attempts/<attempt>/        everything one attempt writes, and only it:
 *     spec.json, environment.json, epochs.jsonl, best.safetensors, result.json,
 *     predictions.safetensors (the scored split's predictions, core/train/predictions.ts),
 *     error.json (a failed attempt), resumed.json (an attempt that went on from a resume state)
 *   runs/<recipe>/<id>/resume.safetensors         the latest completed epoch's resume state (until published)
 *   runs/<recipe>/<id>/claim.<n>                  who trains the run (./claims.ts)
 *
 * An attempt writes only inside its own folder, so concurrent attempts never mix. A result is
 * written to the attempt's folder (fsynced), then published with link(2), which fails when a
 * result is already published: a finished run is published exactly once and never rewritten; a
 * later finisher's result stays in its attempt folder, unpublished. Everything read back is
 * validated (core/run-schemas.ts, the checkpoint's SHA-256 against the result); a damaged result
 * is renamed aside (result.damaged-<time>.json), never deleted, and the run counts as not done.
 * Temp files of xfer's atomic writes left by a killed process of this host are removed when the
 * run is next looked at. A folder with a spec or attempts but no published result (an interrupted,
 * failed or running start) is "unfinished": `status` and `unfinished` name it, `list` leaves it out;
 * `report` tells running, failed, exhausted and pending runs apart for `xfer status`.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { appendFile, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { readSafetensors, writeSafetensors } from "../../../core/formats/safetensors.ts";
import { decodePredictions, encodePredictions } from "../../../core/train/predictions.ts";
import { canonicalJson, contentHash, XferError } from "../../../core/index.ts";
import type {
  CheckpointRecord, ClaimOutcome, ClaimRecord, EnvironmentRecord, EpochRecord, JsonObject, JsonValue, NamedTensor, PublishOutcome, ResumedFrom, ResumeState,
  RunAttempt, RunFailure, RunLookup, RunPredictions, RunResult, RunStore, StoredRun, WorkerIdentity,
} from "../../../core/index.ts";
import { runIdentity } from "../../../core/run-identity.ts";
import { parseEnvironment, parseEpochLines, parseFailure, parseResult, parseSpec } from "../../../core/run-schemas.ts";
import { decodeResume, encodeResume } from "../../../core/train/resume.ts";
import { FsClaims, type ClaimClock } from "./claims.ts";
import { exists, HOST, isCode, listDir, processAlive, publishOnce, readText, syncDir, writeBytesAtomic, writeJsonAtomic } from "./store-files.ts";

export { HOST, writeBytesAtomic, writeJsonAtomic };

const RESULT = "result.json";
const SPEC = "spec.json";
const ATTEMPTS = "attempts";
const ENVIRONMENT = "environment.json";
const EPOCHS = "epochs.jsonl";
const CHECKPOINT = "best.safetensors";
const ERROR = "error.json";
const RESUMED = "resumed.json";
const RESUME = "resume.safetensors";
const PREDICTIONS = "predictions.safetensors";

/** A run folder's state: a lookup's, or "unfinished" when it was started (spec, attempts) but holds no result. */
export type RunStatus = RunLookup | { readonly state: "unfinished"; readonly attempts: readonly string[] };

/**
 * One run as `xfer status` shows it. done: published; running: a fresh claim; exhausted: failed
 * `maxAttempts` times, not tried again; failed: failed before, to be retried; pending: none of
 * these (never started, or interrupted: `started`, `claim` stale, `resumable`).
 */
export interface RunReport {
  readonly id: string;
  readonly state: "done" | "running" | "failed" | "exhausted" | "pending";
  /** The current claim (not released), and whether it is stale (its worker died or stopped heartbeating). */
  readonly claim?: { readonly by: ClaimRecord; readonly heartbeatAgeMs: number; readonly stale: boolean };
  /** error.json of every failed attempt, oldest first. */
  readonly failures: readonly RunFailure[];
  /** Some attempt began (its folder exists). */
  readonly started: boolean;
  /** A resume state is stored: the next attempt goes on from its last completed epoch. */
  readonly resumable: boolean;
  /** A published result failed validation and was moved aside (the run counts as not done). */
  readonly damaged?: string;
}

export interface FsRunStoreOptions {
  /** Wall-clock milliseconds for claims and error.json times (default Date.now). */
  readonly now?: () => number;
  /** Damaged claim, resume and error files, named once each (default: standard error). */
  readonly warn?: (message: string) => void;
}

/** host-pid-random: unique across hosts and processes; the random part (crypto) across attempts of one process. */
export function newAttemptId(): string {
  return `${HOST}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

export class FsRunStore implements RunStore {
  /** Run folders whose leftover temp files this store already removed. */
  readonly #cleaned = new Set<string>();
  readonly #claims: FsClaims;
  readonly now: () => number;
  readonly warn: (message: string) => void;

  constructor(readonly dir: string, options: FsRunStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.warn = options.warn ?? ((message) => process.stderr.write(`xfer: warning: ${message}\n`));
    const clock: ClaimClock = { now: this.now, warn: this.warn };
    this.#claims = new FsClaims(clock);
  }

  #runDir(id: string): string {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`run store: "${id}" is not a SHA-256 hex run identity`);
    return join(this.dir, id);
  }

  async get(id: string): Promise<StoredRun | undefined> {
    const found = await this.lookup(id);
    return found.state === "done" ? found.run : undefined;
  }

  async lookup(id: string): Promise<RunLookup> {
    const dir = this.#runDir(id);
    await this.#removeLeftoverTemps(dir);
    let text: string;
    let ino: number;
    try {
      const file = await open(join(dir, RESULT), "r");
      try {
        ino = (await file.stat()).ino;
        text = await file.readFile("utf8");
      } finally {
        await file.close();
      }
    } catch (error) {
      if (isCode(error, "ENOENT")) return { state: "absent" };
      throw error;
    }
    const checked = await checkPublished(id, dir, text);
    if (typeof checked !== "string") return { state: "done", run: checked };
    const keptAs = await keepAside(join(dir, RESULT), ino);
    return { state: "damaged", problem: checked, keptAs: keptAs === undefined ? [] : [keptAs] };
  }

  async begin(id: string, spec: JsonObject, environment: EnvironmentRecord, resumedFrom?: ResumedFrom): Promise<RunAttempt> {
    const dir = this.#runDir(id);
    if (resumedFrom) checkResumedFrom(id, resumedFrom);
    await this.#removeLeftoverTemps(dir);
    const attempt = newAttemptId();
    const attemptDir = join(dir, ATTEMPTS, attempt);
    await mkdir(join(dir, ATTEMPTS), { recursive: true });
    await mkdir(attemptDir); // fails if the id were ever reused
    await writeJsonAtomic(join(attemptDir, SPEC), spec);
    await publishSpec(join(attemptDir, SPEC), join(dir, SPEC), spec);
    await writeJsonAtomic(join(attemptDir, ENVIRONMENT), environment as unknown as JsonObject);
    if (resumedFrom) {
      const { attempt: from, epochsDone } = resumedFrom;
      await writeJsonAtomic(join(attemptDir, RESUMED), { ...(from !== undefined ? { attempt: from } : {}), epochsDone });
      // The same lines appendEpoch would have written, so the attempt's epochs.jsonl is an uninterrupted run's.
      await writeBytesAtomic(join(attemptDir, EPOCHS), resumedFrom.epochs.map((e) => JSON.stringify(e) + "\n").join(""));
    }
    return new FsRunAttempt(this, id, attempt, dir, environment);
  }

  claim(id: string, worker: WorkerIdentity, leaseMs: number): Promise<ClaimOutcome> {
    return this.#claims.claim(this.#runDir(id), worker, leaseMs);
  }

  claimOf(id: string): Promise<{ readonly by: ClaimRecord; readonly heartbeatAgeMs: number } | undefined> {
    return this.#claims.claimOf(this.#runDir(id));
  }

  async resume(id: string): Promise<ResumeState | undefined> {
    const path = join(this.#runDir(id), RESUME);
    let bytes: Uint8Array;
    let ino: number;
    try {
      const file = await open(path, "r");
      try {
        ino = (await file.stat()).ino;
        bytes = await file.readFile();
      } finally {
        await file.close();
      }
    } catch (error) {
      if (isCode(error, "ENOENT")) return undefined;
      throw error;
    }
    try {
      return decodeResume(bytes, path, id);
    } catch (error) {
      const keptAs = await keepAside(path, ino);
      this.warn(`${(error as Error).message}; the run starts from scratch${keptAs ? ` (the file is kept as ${keptAs})` : ""}`);
      return undefined;
    }
  }

  async failures(id: string): Promise<RunFailure[]> {
    const dir = this.#runDir(id);
    const failures: RunFailure[] = [];
    for (const attempt of await listDir(join(dir, ATTEMPTS))) {
      const path = join(dir, ATTEMPTS, attempt, ERROR);
      const text = await readText(path);
      if (text === undefined) continue;
      const parsed = parseFailure(text);
      if (parsed.ok && parsed.value.attempt === attempt) {
        failures.push(parsed.value);
        continue;
      }
      const problem = parsed.ok ? `names attempt ${parsed.value.attempt}, but lies in the folder of attempt ${attempt}` : parsed.problem;
      const keptAs = await keepAside(path, (await stat(path)).ino);
      this.warn(`${path}: damaged (${problem}); not counted as a failed attempt${keptAs ? `, kept as ${keptAs}` : ""}`);
    }
    return failures.sort((a, b) => a.at.localeCompare(b.at) || a.attempt.localeCompare(b.attempt));
  }

  /** One run for `xfer status`: its state, claim, failures and whether it can resume (see RunReport). */
  async report(id: string, options: { readonly leaseMs: number; readonly maxAttempts: number }): Promise<RunReport> {
    const dir = this.#runDir(id);
    const found = await this.lookup(id);
    const failures = await this.failures(id);
    const held = found.state === "done" ? undefined : await this.claimOf(id);
    const claim = held && { ...held, stale: this.#claims.isStale(held, options.leaseMs) };
    const started = (await listDir(join(dir, ATTEMPTS))).length > 0;
    const resumable = found.state !== "done" && (await exists(join(dir, RESUME)));
    const state: RunReport["state"] = found.state === "done" ? "done"
      : claim && !claim.stale ? "running"
      : failures.length >= options.maxAttempts ? "exhausted"
      : failures.length > 0 ? "failed"
      : "pending";
    return { id, state, ...(claim ? { claim } : {}), failures, started, resumable, ...(found.state === "damaged" ? { damaged: found.problem } : {}) };
  }

  async list(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.dir);
    } catch (error) {
      if (isCode(error, "ENOENT")) return [];
      throw error;
    }
    const published = await Promise.all(
      entries.filter((e) => /^[0-9a-f]{64}$/.test(e)).map(async (e) => ((await exists(join(this.dir, e, RESULT))) ? e : undefined)),
    );
    return published.filter((e): e is string => e !== undefined).sort();
  }

  async checkpoint(id: string): Promise<ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }> | undefined> {
    const run = await this.get(id);
    if (run?.result.checkpoint === undefined) return undefined;
    const path = join(this.#runDir(id), run.result.checkpoint.path);
    return readSafetensors(await readChecked(path, run.result.checkpoint.sha256), path);
  }

  async predictions(id: string): Promise<RunPredictions | undefined> {
    const run = await this.get(id);
    if (run?.result.predictions === undefined) return undefined;
    const path = join(this.#runDir(id), run.result.predictions.path);
    return decodePredictions(await readChecked(path, run.result.predictions.sha256), path);
  }

  /** Like `lookup`, but tells a folder that was started and never finished ("unfinished") from one that is absent. */
  async status(id: string): Promise<RunStatus> {
    const found = await this.lookup(id);
    if (found.state !== "absent") return found;
    const dir = this.#runDir(id);
    const attempts = (await listDir(join(dir, ATTEMPTS))).filter((a) => !isAbandonedTemp(a)).sort();
    if (attempts.length > 0 || (await exists(join(dir, SPEC)))) return { state: "unfinished", attempts };
    return found;
  }

  /** Identities of run folders that were started but hold no published result (see `status`), sorted. */
  async unfinished(): Promise<string[]> {
    const entries = (await listDir(this.dir)).filter((e) => /^[0-9a-f]{64}$/.test(e)).sort();
    const states = await Promise.all(entries.map(async (e) => ((await exists(join(this.dir, e, RESULT))) ? undefined : e)));
    const started = await Promise.all(states.filter((e): e is string => e !== undefined).map(async (e) => ((await this.status(e)).state === "unfinished" ? e : undefined)));
    return started.filter((e): e is string => e !== undefined);
  }

  /** Removes temp files of xfer's atomic writes whose writer (a process of this host) is gone. */
  async #removeLeftoverTemps(dir: string): Promise<void> {
    if (this.#cleaned.has(dir)) return;
    this.#cleaned.add(dir);
    const folders = [dir, ...(await listDir(join(dir, ATTEMPTS))).map((a) => join(dir, ATTEMPTS, a))];
    for (const folder of folders) {
      for (const name of await listDir(folder)) {
        if (isAbandonedTemp(name)) await rm(join(folder, name), { force: true });
      }
    }
  }
}

class FsRunAttempt implements RunAttempt {
  #checkpoint?: CheckpointRecord;
  #predictions?: CheckpointRecord;

  constructor(
    readonly store: FsRunStore,
    readonly runId: string,
    readonly id: string,
    readonly runDir: string,
    readonly environment: EnvironmentRecord,
  ) {}

  get #dir(): string {
    return join(this.runDir, ATTEMPTS, this.id);
  }

  async appendEpoch(epoch: EpochRecord): Promise<void> {
    await appendFile(join(this.#dir, EPOCHS), JSON.stringify(epoch) + "\n");
  }

  /** best.safetensors: float32 tensors by name, tfjs layouts (HWIO kernels). */
  async putCheckpoint(tensors: readonly NamedTensor[]): Promise<void> {
    const bytes = writeSafetensors(checkpointMap(this.runId, tensors));
    await writeBytesAtomic(join(this.#dir, CHECKPOINT), bytes);
    this.#checkpoint = { path: `${ATTEMPTS}/${this.id}/${CHECKPOINT}`, sha256: createHash("sha256").update(bytes).digest("hex") };
  }

  async putPredictions(predictions: RunPredictions): Promise<void> {
    const bytes = encodePredictions(predictions);
    await writeBytesAtomic(join(this.#dir, PREDICTIONS), bytes);
    this.#predictions = { path: `${ATTEMPTS}/${this.id}/${PREDICTIONS}`, sha256: createHash("sha256").update(bytes).digest("hex") };
  }

  async finish(result: RunResult): Promise<PublishOutcome> {
    if (!this.#checkpoint) throw new XferError(`run ${this.runId}: attempt ${this.id} finished without storing a checkpoint`);
    const complete: RunResult = { ...result, attempt: this.id, checkpoint: this.#checkpoint, ...(this.#predictions ? { predictions: this.#predictions } : {}) };
    const mine = join(this.#dir, RESULT);
    await writeJsonAtomic(mine, complete as unknown as JsonObject);
    // A damaged published result is moved aside by lookup; then publishing is tried again.
    for (let tries = 0; tries < 3; tries++) {
      if (await publishOnce(mine, join(this.runDir, RESULT))) {
        await this.#dropResume();
        return { published: true, result: complete };
      }
      const found = await this.store.lookup(this.runId);
      if (found.state === "done") {
        await this.#dropResume();
        return { published: false, result: complete, winner: found.run.result };
      }
    }
    throw new XferError(`run ${this.runId}: could not publish the result of attempt ${this.id}: ${join(this.runDir, RESULT)} keeps appearing damaged`);
  }

  /** Replaces resume.safetensors whole (the only resume state kept is the latest). */
  async putResume(state: ResumeState): Promise<void> {
    if (state.runId !== this.runId) throw new XferError(`run ${this.runId}: attempt ${this.id} was given the resume state of run ${state.runId}`);
    await writeBytesAtomic(join(this.runDir, RESUME), encodeResume(state));
  }

  async fail(error: { readonly message: string; readonly stack?: string }): Promise<RunFailure> {
    const earlier = (await this.store.failures(this.runId)).filter((f) => f.attempt !== this.id);
    const failure: RunFailure = {
      message: error.message,
      ...(error.stack !== undefined ? { stack: error.stack } : {}),
      attempt: this.id,
      failedAttempts: earlier.length + 1,
      at: new Date(this.store.now()).toISOString(),
      environment: this.environment,
    };
    await writeJsonAtomic(join(this.#dir, ERROR), failure as unknown as JsonObject);
    return failure;
  }

  /** The run is done: a resume state could only be mistaken for work left. */
  async #dropResume(): Promise<void> {
    await rm(join(this.runDir, RESUME), { force: true });
  }
}

/** A resumed attempt's history must be the epochs 1..epochsDone, in order. */
function checkResumedFrom(id: string, from: ResumedFrom): void {
  if (!Number.isInteger(from.epochsDone) || from.epochsDone < 1 || from.epochs.length !== from.epochsDone || from.epochs.some((e, i) => e.epoch !== i + 1)) {
    throw new XferError(`run ${id}: a resumed attempt needs epochs 1..${from.epochsDone} of its resume state, got [${from.epochs.map((e) => e.epoch).join(", ")}]`);
  }
}

function checkpointMap(runId: string, tensors: readonly NamedTensor[]): Map<string, { shape: readonly number[]; data: Float32Array }> {
  const map = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const t of tensors) {
    if (map.has(t.name)) throw new Error(`checkpoint of run ${runId}: tensor name "${t.name}" appears twice`);
    map.set(t.name, t);
  }
  return map;
}

/** The published run, or why it cannot be trusted (naming the file). */
async function checkPublished(id: string, dir: string, text: string): Promise<StoredRun | string> {
  const where = (name: string) => join(dir, name);
  const result = parseResult(text);
  if (!result.ok) return `${where(RESULT)}: ${result.problem}`;
  const run = result.value;
  if (run.hash !== id) return `${where(RESULT)}: names run ${run.hash}, but lies in the folder of run ${id}`;
  const specText = await readText(where(SPEC));
  if (specText === undefined) return `${where(SPEC)}: missing`;
  const spec = parseSpec(specText);
  if (!spec.ok) return `${where(SPEC)}: ${spec.problem}`;
  if (runIdentity({ specHash: contentHash(spec.value), weights: run.weights }) !== id) {
    return `${where(SPEC)}: its hash${run.weights ? " with the result's weights" : ""} is not run ${id}`;
  }
  if (run.attempt === undefined && run.checkpoint === undefined) return { spec: spec.value, result: run }; // stored before attempts
  if (run.attempt === undefined || run.checkpoint === undefined) return `${where(RESULT)}: names ${run.attempt === undefined ? "a checkpoint but no attempt" : "an attempt but no checkpoint"}`;
  const attemptDir = `${ATTEMPTS}/${run.attempt}`;
  if (run.checkpoint.path !== `${attemptDir}/${CHECKPOINT}`) return `${where(RESULT)}: its checkpoint ${run.checkpoint.path} is not attempt ${run.attempt}'s`;
  const sha256 = await fileSha256(where(run.checkpoint.path));
  if (sha256 === undefined) return `${where(run.checkpoint.path)}: missing`;
  if (sha256 !== run.checkpoint.sha256) return `${where(run.checkpoint.path)}: SHA-256 ${sha256} differs from ${run.checkpoint.sha256} recorded in ${RESULT}`;
  if (run.predictions !== undefined) {
    if (run.predictions.path !== `${attemptDir}/${PREDICTIONS}`) return `${where(RESULT)}: its predictions ${run.predictions.path} are not attempt ${run.attempt}'s`;
    const predictionsSha256 = await fileSha256(where(run.predictions.path));
    if (predictionsSha256 === undefined) return `${where(run.predictions.path)}: missing`;
    if (predictionsSha256 !== run.predictions.sha256) return `${where(run.predictions.path)}: SHA-256 ${predictionsSha256} differs from ${run.predictions.sha256} recorded in ${RESULT}`;
  }
  const envText = await readText(where(`${attemptDir}/${ENVIRONMENT}`));
  const env = envText === undefined ? undefined : parseEnvironment(envText);
  if (env === undefined || !env.ok) return `${where(`${attemptDir}/${ENVIRONMENT}`)}: ${env === undefined ? "missing" : env.problem}`;
  if (canonicalJson(env.value as unknown as JsonObject) !== canonicalJson(run.environment as unknown as JsonObject)) {
    return `${where(`${attemptDir}/${ENVIRONMENT}`)}: differs from the environment recorded in ${RESULT}`;
  }
  const epochsText = await readText(where(`${attemptDir}/${EPOCHS}`));
  const epochs = epochsText === undefined ? undefined : parseEpochLines(epochsText);
  if (epochs === undefined || !epochs.ok) return `${where(`${attemptDir}/${EPOCHS}`)}: ${epochs === undefined ? "missing" : epochs.problem}`;
  if (canonicalJson(epochs.value as unknown as JsonValue) !== canonicalJson(run.epochs as unknown as JsonValue)) {
    return `${where(`${attemptDir}/${EPOCHS}`)}: differs from the epochs recorded in ${RESULT}`;
  }
  return { spec: spec.value, result: run };
}

/** Publishes the attempt's spec as the run's, or checks the one published equals it (moving a damaged one aside). */
async function publishSpec(attemptSpec: string, runSpec: string, spec: JsonObject): Promise<void> {
  for (let tries = 0; tries < 3; tries++) {
    if (await publishOnce(attemptSpec, runSpec)) return;
    const file = await open(runSpec, "r").catch((error) => (isCode(error, "ENOENT") ? undefined : Promise.reject(error)));
    if (file === undefined) continue;
    let ino: number;
    let text: string;
    try {
      ino = (await file.stat()).ino;
      text = await file.readFile("utf8");
    } finally {
      await file.close();
    }
    const published = parseSpec(text);
    if (published.ok && canonicalJson(published.value) === canonicalJson(spec)) return;
    await keepAside(runSpec, ino);
  }
  throw new XferError(`${runSpec}: could not publish the run's spec; the file keeps changing`);
}

/**
 * Renames a damaged file aside (name.damaged-<UTC time>-<random>.ext), if it is still the file
 * that was read; returns the new path, or undefined when another process moved it first.
 */
async function keepAside(path: string, ino: number): Promise<string | undefined> {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const name = basename(path);
  const dot = name.lastIndexOf(".");
  const target = join(dirname(path), `${name.slice(0, dot)}.damaged-${stamp}-${randomBytes(2).toString("hex")}${name.slice(dot)}`);
  try {
    if ((await stat(path)).ino !== ino) return undefined;
    await rename(path, target);
  } catch (error) {
    if (isCode(error, "ENOENT")) return undefined;
    throw error;
  }
  await syncDir(dirname(path));
  return target;
}

/** SHA-256 of a file's bytes, read in chunks (once per path, size and mtime per process). */
const fileHashes = new Map<string, string>();

async function fileSha256(path: string): Promise<string | undefined> {
  let key: string;
  try {
    const s = await stat(path);
    key = `${path}\u0000${s.ino}\u0000${s.size}\u0000${s.mtimeMs}`;
  } catch (error) {
    if (isCode(error, "ENOENT")) return undefined;
    throw error;
  }
  const known = fileHashes.get(key);
  if (known !== undefined) return known;
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const hex = hash.digest("hex");
  fileHashes.set(key, hex);
  return hex;
}

/** Temp names of writeBytesAtomic, and of xfer 0.2 (`<file>.<pid>.tmp`, same host assumed). */
const TEMP_NAME = /^.+\.([A-Za-z0-9-]+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;
const LEGACY_TEMP_NAME = /^(?:result\.json|spec\.json|environment\.json|best\.safetensors)\.(\d+)\.tmp$/;

/** Xfer's temp file whose writer, a process of this host, no longer runs (other hosts' are left alone). */
function isAbandonedTemp(name: string): boolean {
  const current = TEMP_NAME.exec(name);
  if (current) return current[1] === HOST && !processAlive(Number(current[2]));
  const legacy = LEGACY_TEMP_NAME.exec(name);
  return legacy !== null && !processAlive(Number(legacy[1]));
}

/** A file a published result names, read whole and checked against the SHA-256 it records (it may have changed since lookup). */
async function readChecked(path: string, sha256: string): Promise<Uint8Array> {
  const bytes = await readFile(path);
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== sha256) throw new XferError(`${path}: SHA-256 ${actual} differs from ${sha256} recorded in ${RESULT} (changed since it was checked)`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
