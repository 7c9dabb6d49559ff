/**
 * A RunStore that keeps everything in memory: for tests, for runtimes without a file system (the
 * Deno tests), and for swapping the store of a container to train without writing files
 * (docs/examples/swap-services.ts). It keeps the file store's semantics (core/contracts.ts
 * RunStore): attempts keep their epochs, checkpoint and environment apart, a result is published
 * once and never replaced (a later finisher's is discarded), and the result names its checkpoint
 * by the SHA-256 of the same safetensors bytes the file store writes, checked when read. Values
 * are copied in and out, so a caller that mutates what it passed or got back cannot change what is
 * stored.
 */
import type {
  CheckpointRecord, EnvironmentRecord, EpochRecord, JsonObject, NamedTensor, PublishOutcome, RunAttempt, RunLookup, RunResult, RunStore, StoredRun,
} from "./contracts.ts";
import { XferError } from "./errors.ts";
import { writeSafetensors } from "./formats/safetensors.ts";
import { sha256Hex } from "./hash.ts";

interface AttemptEntry {
  readonly environment: EnvironmentRecord;
  readonly epochs: EpochRecord[];
  checkpoint?: { tensors: NamedTensor[]; record: CheckpointRecord };
  result?: RunResult;
}

interface RunEntry {
  readonly spec: JsonObject;
  readonly attempts: Map<string, AttemptEntry>;
  /** The attempt whose result is published. */
  published?: string;
}

export class MemoryRunStore implements RunStore {
  readonly #runs = new Map<string, RunEntry>();
  #attempts = 0;

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

  begin(id: string, spec: JsonObject, environment: EnvironmentRecord): Promise<RunAttempt> {
    let entry = this.#runs.get(id);
    if (!entry) this.#runs.set(id, (entry = { spec: structuredClone(spec), attempts: new Map() }));
    const attemptId = `memory-${++this.#attempts}`;
    const attempt: AttemptEntry = { environment: structuredClone(environment), epochs: [] };
    entry.attempts.set(attemptId, attempt);
    const run = entry;
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
        const complete: RunResult = structuredClone({ ...result, attempt: attemptId, checkpoint: attempt.checkpoint.record });
        attempt.result = complete;
        const winner = run.published === undefined ? undefined : run.attempts.get(run.published)?.result;
        if (winner) return Promise.resolve({ published: false, result: structuredClone(complete), winner: structuredClone(winner) });
        run.published = attemptId;
        return Promise.resolve({ published: true, result: structuredClone(complete) });
      },
    });
  }

  list(): Promise<string[]> {
    return Promise.resolve([...this.#runs].filter(([, e]) => e.published !== undefined).map(([id]) => id).sort());
  }

  /** The epochs of the run's published attempt, else of its latest attempt (a run still training or failed). */
  epochs(id: string): EpochRecord[] {
    return structuredClone(this.#shownAttempt(id).epochs);
  }

  /** The checkpoint of the run's published attempt, else of its latest; undefined before training stored one. */
  checkpoint(id: string): NamedTensor[] | undefined {
    return this.#shownAttempt(id).checkpoint?.tensors.map((t) => ({ name: t.name, shape: [...t.shape], data: t.data.slice() }));
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
