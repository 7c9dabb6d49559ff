/**
 * A RunStore that keeps everything in memory: for tests, for runtimes without a file system (the
 * Deno tests), and for swapping the store of a container to train without writing files
 * (docs/examples/swap-services.ts). It keeps the file store's semantics (core/contracts.ts
 * RunStore): attempts keep their epochs, checkpoint and environment apart, a result is published
 * once and never replaced (a later finisher's is discarded), and the result names its checkpoint
 * by the SHA-256 of the same safetensors bytes the file store writes, checked when read. Claims,
 * failures and resume states follow the file store too: a claim is held while its heartbeat (on
 * this store's clock) is younger than the lease, a released or stale one is claimed anew (only
 * the newest claim counts, so a holder learns at its next heartbeat that it lost the run), the
 * resume state is kept as the same encoded bytes and validated when read, and it is dropped once
 * the run is published. Worker processes are not checked for life (all workers of one memory
 * store share a process). Values are copied in and out, so a caller that mutates what it passed or
 * got back cannot change what is stored.
 */
import type {
  CheckpointRecord, ClaimOutcome, ClaimRecord, EnvironmentRecord, EpochRecord, JsonObject, NamedTensor, PublishOutcome, ResumedFrom, ResumeState, RunAttempt,
  RunClaim, RunFailure, RunLookup, RunPredictions, RunResult, RunStore, StoredRun, WorkerIdentity,
} from "./contracts.ts";
import { XferError } from "./errors.ts";
import { writeSafetensors } from "./formats/safetensors.ts";
import { sha256Hex } from "./hash.ts";
import { decodePredictions, encodePredictions } from "./train/predictions.ts";
import { decodeResume, encodeResume } from "./train/resume.ts";

interface AttemptEntry {
  readonly environment: EnvironmentRecord;
  readonly epochs: EpochRecord[];
  readonly resumedFrom?: { readonly attempt?: string; readonly epochsDone: number };
  checkpoint?: { tensors: NamedTensor[]; record: CheckpointRecord };
  /** encodePredictions bytes, as the file store writes them. */
  predictions?: { bytes: Uint8Array; record: CheckpointRecord };
  result?: RunResult;
  failure?: RunFailure;
}

interface RunEntry {
  readonly spec: JsonObject;
  readonly attempts: Map<string, AttemptEntry>;
  /** The attempt whose result is published. */
  published?: string;
  /** encodeResume bytes of the latest resume state. */
  resume?: Uint8Array;
}

/** The newest claim of a run: claim number n, like the file store's claim.<n>. */
interface ClaimEntry {
  readonly n: number;
  record: ClaimRecord;
  released: boolean;
}

export interface MemoryRunStoreOptions {
  /** Wall-clock milliseconds for claims and failure times (default Date.now). */
  readonly now?: () => number;
}

export class MemoryRunStore implements RunStore {
  readonly #runs = new Map<string, RunEntry>();
  readonly #claims = new Map<string, ClaimEntry>();
  readonly #now: () => number;
  #attempts = 0;

  constructor(options: MemoryRunStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  lookup(id: string): Promise<RunLookup> {
    const entry = this.#runs.get(id);
    const attempt = entry?.published === undefined ? undefined : entry.attempts.get(entry.published);
    if (!entry || !attempt?.result) return Promise.resolve({ state: "absent" });
    const recorded = attempt.result.checkpoint?.sha256;
    if (attempt.checkpoint === undefined || recorded !== checkpointSha256(attempt.checkpoint.tensors)) {
      // Like the file store: the result stays with its attempt, the run counts as not done.
      entry.published = undefined;
      return Promise.resolve({ state: "damaged", problem: `run ${id}: the checkpoint of attempt ${attempt.result.attempt} differs from its result's`, keptAs: [] });
    }
    return Promise.resolve({ state: "done", run: { spec: structuredClone(entry.spec), result: structuredClone(attempt.result) } });
  }

  async get(id: string): Promise<StoredRun | undefined> {
    const found = await this.lookup(id);
    return found.state === "done" ? found.run : undefined;
  }

  begin(id: string, spec: JsonObject, environment: EnvironmentRecord, resumedFrom?: ResumedFrom): Promise<RunAttempt> {
    if (resumedFrom && (resumedFrom.epochsDone < 1 || resumedFrom.epochs.length !== resumedFrom.epochsDone || resumedFrom.epochs.some((e, i) => e.epoch !== i + 1))) {
      return Promise.reject(new XferError(`run ${id}: a resumed attempt needs epochs 1..${resumedFrom.epochsDone} of its resume state, got [${resumedFrom.epochs.map((e) => e.epoch).join(", ")}]`));
    }
    let entry = this.#runs.get(id);
    if (!entry) this.#runs.set(id, (entry = { spec: structuredClone(spec), attempts: new Map() }));
    const attemptId = `memory-${++this.#attempts}`;
    const attempt: AttemptEntry = {
      environment: structuredClone(environment),
      epochs: structuredClone([...(resumedFrom?.epochs ?? [])]),
      ...(resumedFrom ? { resumedFrom: { ...(resumedFrom.attempt !== undefined ? { attempt: resumedFrom.attempt } : {}), epochsDone: resumedFrom.epochsDone } } : {}),
    };
    entry.attempts.set(attemptId, attempt);
    const run = entry;
    const now = this.#now;
    const failures = () => this.failures(id);
    return Promise.resolve({
      id: attemptId,
      appendEpoch(epoch: EpochRecord): Promise<void> {
        attempt.epochs.push(structuredClone(epoch));
        return Promise.resolve();
      },
      putCheckpoint(tensors: readonly NamedTensor[]): Promise<void> {
        const copy = tensors.map((t) => ({ name: t.name, shape: [...t.shape], data: t.data.slice() }));
        attempt.checkpoint = { tensors: copy, record: { path: `attempts/${attemptId}/best.safetensors`, sha256: checkpointSha256(copy, id) } };
        return Promise.resolve();
      },
      finish(result: RunResult): Promise<PublishOutcome> {
        if (!attempt.checkpoint) return Promise.reject(new XferError(`run ${id}: attempt ${attemptId} finished without storing a checkpoint`));
        const complete: RunResult = structuredClone({
          ...result, attempt: attemptId, checkpoint: attempt.checkpoint.record, ...(attempt.predictions ? { predictions: attempt.predictions.record } : {}),
        });
        attempt.result = complete;
        const winner = run.published === undefined ? undefined : run.attempts.get(run.published)?.result;
        run.resume = undefined;
        if (winner) return Promise.resolve({ published: false, result: structuredClone(complete), winner: structuredClone(winner) });
        run.published = attemptId;
        return Promise.resolve({ published: true, result: structuredClone(complete) });
      },
      putPredictions(predictions: RunPredictions): Promise<void> {
        const bytes = encodePredictions(predictions);
        attempt.predictions = { bytes, record: { path: `attempts/${attemptId}/predictions.safetensors`, sha256: sha256Hex(bytes) } };
        return Promise.resolve();
      },
      putResume(state: ResumeState): Promise<void> {
        if (state.runId !== id) return Promise.reject(new XferError(`run ${id}: attempt ${attemptId} was given the resume state of run ${state.runId}`));
        run.resume = encodeResume(state);
        return Promise.resolve();
      },
      async fail(error: { readonly message: string; readonly stack?: string }): Promise<RunFailure> {
        const earlier = (await failures()).filter((f) => f.attempt !== attemptId);
        attempt.failure = {
          message: error.message,
          ...(error.stack !== undefined ? { stack: error.stack } : {}),
          attempt: attemptId,
          failedAttempts: earlier.length + 1,
          at: new Date(now()).toISOString(),
          environment: structuredClone(attempt.environment),
        };
        return structuredClone(attempt.failure);
      },
    });
  }

  claim(id: string, worker: WorkerIdentity, leaseMs: number): Promise<ClaimOutcome> {
    const current = this.#claims.get(id);
    let tookOver: ClaimRecord | undefined;
    if (current && !current.released) {
      const age = this.#now() - Date.parse(current.record.heartbeat);
      if (age <= leaseMs) return Promise.resolve({ state: "held", by: structuredClone(current.record), heartbeatAgeMs: age });
      tookOver = structuredClone(current.record);
    }
    const at = new Date(this.#now()).toISOString();
    const entry: ClaimEntry = { n: (current?.n ?? 0) + 1, record: { worker: structuredClone(worker), since: at, heartbeat: at }, released: false };
    this.#claims.set(id, entry);
    const claims = this.#claims;
    const now = this.#now;
    const runs = this.#runs;
    const ours = () => claims.get(id) === entry && !entry.released;
    const claim: RunClaim = {
      get record() {
        return structuredClone(entry.record);
      },
      heartbeat(update?: { readonly attempt?: string }): Promise<boolean> {
        if (!ours()) return Promise.resolve(false);
        entry.record = { ...entry.record, ...(update?.attempt !== undefined ? { attempt: update.attempt } : {}), heartbeat: new Date(now()).toISOString() };
        return Promise.resolve(true);
      },
      release(): Promise<void> {
        if (claims.get(id) !== entry) return Promise.resolve(); // taken over: nothing of ours to let go
        if (runs.get(id)?.published !== undefined) claims.delete(id);
        else entry.released = true;
        return Promise.resolve();
      },
    };
    return Promise.resolve({ state: "claimed", claim, ...(tookOver ? { tookOver } : {}) });
  }

  claimOf(id: string): Promise<{ readonly by: ClaimRecord; readonly heartbeatAgeMs: number } | undefined> {
    const current = this.#claims.get(id);
    if (!current || current.released) return Promise.resolve(undefined);
    return Promise.resolve({ by: structuredClone(current.record), heartbeatAgeMs: this.#now() - Date.parse(current.record.heartbeat) });
  }

  /** Decoded (and so validated) from the stored bytes, like the file store's resume.safetensors. */
  resume(id: string): Promise<ResumeState | undefined> {
    const bytes = this.#runs.get(id)?.resume;
    if (bytes === undefined) return Promise.resolve(undefined);
    try {
      return Promise.resolve(decodeResume(bytes, `in-memory resume state of run ${id}`, id));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  failures(id: string): Promise<RunFailure[]> {
    const failures = [...(this.#runs.get(id)?.attempts.values() ?? [])].flatMap((a) => (a.failure ? [structuredClone(a.failure)] : []));
    return Promise.resolve(failures.sort((a, b) => a.at.localeCompare(b.at) || a.attempt.localeCompare(b.attempt)));
  }

  /** What begin recorded of the resume state an attempt went on from (the file store's resumed.json). */
  resumedFrom(id: string, attempt: string): { readonly attempt?: string; readonly epochsDone: number } | undefined {
    return structuredClone(this.#runs.get(id)?.attempts.get(attempt)?.resumedFrom);
  }

  list(): Promise<string[]> {
    return Promise.resolve([...this.#runs].filter(([, e]) => e.published !== undefined).map(([id]) => id).sort());
  }

  /** The epochs of the run's published attempt, else of its latest attempt (a run still training or failed). */
  epochs(id: string): EpochRecord[] {
    return structuredClone(this.#shownAttempt(id).epochs);
  }

  /** The checkpoint of the run's published attempt, else of its latest; undefined before training stored one. */
  attemptCheckpoint(id: string): NamedTensor[] | undefined {
    return this.#shownAttempt(id).checkpoint?.tensors.map((t) => ({ name: t.name, shape: [...t.shape], data: t.data.slice() }));
  }

  async checkpoint(id: string): Promise<ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }> | undefined> {
    if ((await this.lookup(id)).state !== "done") return undefined;
    return new Map(this.attemptCheckpoint(id)!.map((t) => [t.name, { shape: t.shape, data: t.data }]));
  }

  async predictions(id: string): Promise<RunPredictions | undefined> {
    if ((await this.lookup(id)).state !== "done") return undefined;
    const stored = this.#shownAttempt(id).predictions;
    if (stored === undefined) return undefined;
    if (sha256Hex(stored.bytes) !== stored.record.sha256) throw new XferError(`run ${id}: its predictions differ from those its result names`);
    return decodePredictions(stored.bytes, `run ${id} predictions`);
  }

  #shownAttempt(id: string): AttemptEntry {
    const entry = this.#runs.get(id);
    if (!entry) throw new XferError(`in-memory run store: run ${id} was never begun`);
    return entry.attempts.get(entry.published ?? [...entry.attempts.keys()].at(-1)!)!;
  }
}

/** SHA-256 of the safetensors bytes the file store would write for these tensors. */
function checkpointSha256(tensors: readonly NamedTensor[], id = ""): string {
  const map = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const t of tensors) {
    if (map.has(t.name)) throw new XferError(`checkpoint of run ${id}: tensor name "${t.name}" appears twice`);
    map.set(t.name, t);
  }
  return sha256Hex(writeSafetensors(map));
}
