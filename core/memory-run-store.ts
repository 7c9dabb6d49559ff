/**
 * A RunStore that keeps everything in memory: for tests, for runtimes without a file system (the
 * Deno tests), and for swapping the store of a container to train without writing files
 * (docs/examples/swap-services.ts). Stored values are copied in and out, so a caller that mutates
 * what it passed or got back cannot change what is stored; like the file store, a run counts as
 * done only once its result is put.
 */
import type { EpochRecord, JsonObject, NamedTensor, RunResult, RunStore, StoredRun } from "./contracts.ts";
import { XferError } from "./errors.ts";

interface Entry {
  spec: JsonObject;
  epochs: EpochRecord[];
  checkpoint?: NamedTensor[];
  result?: RunResult;
}

export class MemoryRunStore implements RunStore {
  readonly #runs = new Map<string, Entry>();

  #entry(hash: string): Entry {
    const entry = this.#runs.get(hash);
    if (!entry) throw new XferError(`in-memory run store: run ${hash} was never begun`);
    return entry;
  }

  has(hash: string): Promise<boolean> {
    return Promise.resolve(this.#runs.get(hash)?.result !== undefined);
  }

  begin(hash: string, spec: JsonObject): Promise<void> {
    this.#runs.set(hash, { spec: structuredClone(spec), epochs: [] });
    return Promise.resolve();
  }

  appendEpoch(hash: string, epoch: EpochRecord): Promise<void> {
    this.#entry(hash).epochs.push(structuredClone(epoch));
    return Promise.resolve();
  }

  putCheckpoint(hash: string, tensors: readonly NamedTensor[]): Promise<void> {
    const names = new Set<string>();
    for (const t of tensors) {
      if (names.has(t.name)) throw new XferError(`checkpoint of run ${hash}: tensor name "${t.name}" appears twice`);
      names.add(t.name);
    }
    this.#entry(hash).checkpoint = tensors.map((t) => ({ name: t.name, shape: [...t.shape], data: t.data.slice() }));
    return Promise.resolve();
  }

  put(hash: string, spec: JsonObject, result: RunResult): Promise<void> {
    const entry = this.#runs.get(hash) ?? { spec, epochs: [] };
    this.#runs.set(hash, { ...entry, spec: structuredClone(spec), result: structuredClone(result) });
    return Promise.resolve();
  }

  get(hash: string): Promise<StoredRun | undefined> {
    const entry = this.#runs.get(hash);
    return Promise.resolve(entry?.result ? { spec: structuredClone(entry.spec), result: structuredClone(entry.result) } : undefined);
  }

  list(): Promise<string[]> {
    return Promise.resolve([...this.#runs].filter(([, e]) => e.result !== undefined).map(([hash]) => hash).sort());
  }

  /** The epochs streamed for a run so far (also for runs without a result). */
  epochs(hash: string): EpochRecord[] {
    return structuredClone(this.#entry(hash).epochs);
  }

  /** The best epoch's tensors of a run, or undefined before training stored them. */
  checkpoint(hash: string): NamedTensor[] | undefined {
    return this.#entry(hash).checkpoint?.map((t) => ({ name: t.name, shape: [...t.shape], data: t.data.slice() }));
  }
}
