/**
 * Run store on the file system: runs/<recipe>/<hash>/{spec.json, epochs.jsonl, environment.json,
 * result.json}. result.json is written last, to a temporary name and renamed into place, so its
 * presence means the run finished; a run killed before the rename has no result and is run again
 * (its epochs.jsonl, streamed while it trained, is started afresh).
 */
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeSafetensors } from "../../../core/formats/safetensors.ts";
import { sortKeys, type EpochRecord, type JsonObject, type NamedTensor, type JsonValue, type RunResult, type RunStore, type StoredRun } from "../../../core/index.ts";

export class FsRunStore implements RunStore {
  constructor(readonly dir: string) {}

  #runDir(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`run store: "${hash}" is not a SHA-256 hex hash`);
    return join(this.dir, hash);
  }

  async has(hash: string): Promise<boolean> {
    return (await this.get(hash)) !== undefined;
  }

  async get(hash: string): Promise<StoredRun | undefined> {
    const dir = this.#runDir(hash);
    let resultText: string;
    try {
      resultText = await readFile(join(dir, "result.json"), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const spec = JSON.parse(await readFile(join(dir, "spec.json"), "utf8")) as JsonObject;
    return { spec, result: JSON.parse(resultText) as RunResult };
  }

  async begin(hash: string, spec: JsonObject): Promise<void> {
    const dir = this.#runDir(hash);
    await mkdir(dir, { recursive: true });
    await writeJsonAtomic(join(dir, "spec.json"), spec);
    await rm(join(dir, "epochs.jsonl"), { force: true });
  }

  async appendEpoch(hash: string, epoch: EpochRecord): Promise<void> {
    await appendFile(join(this.#runDir(hash), "epochs.jsonl"), JSON.stringify(epoch) + "\n");
  }

  /** best.safetensors: float32 tensors by name, tfjs layouts (HWIO kernels). */
  async putCheckpoint(hash: string, tensors: readonly NamedTensor[]): Promise<void> {
    const map = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const t of tensors) {
      if (map.has(t.name)) throw new Error(`checkpoint of run ${hash}: tensor name "${t.name}" appears twice`);
      map.set(t.name, t);
    }
    await writeBytesAtomic(join(this.#runDir(hash), "best.safetensors"), writeSafetensors(map));
  }

  async put(hash: string, spec: JsonObject, result: RunResult): Promise<void> {
    const dir = this.#runDir(hash);
    await mkdir(dir, { recursive: true });
    await writeJsonAtomic(join(dir, "spec.json"), spec);
    await writeJsonAtomic(join(dir, "environment.json"), result.environment as unknown as JsonObject);
    await writeJsonAtomic(join(dir, "result.json"), result as unknown as JsonObject);
  }

  async list(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const done = await Promise.all(entries.filter((e) => /^[0-9a-f]{64}$/.test(e)).map(async (e) => ((await this.has(e)) ? e : undefined)));
    return done.filter((e): e is string => e !== undefined).sort();
  }
}

/** Writes JSON (sorted keys) to `path` via a temporary file and rename, never half-written. */
export async function writeJsonAtomic(path: string, value: JsonValue): Promise<void> {
  await writeBytesAtomic(path, JSON.stringify(sortKeys(value), null, 2) + "\n");
}

async function writeBytesAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
