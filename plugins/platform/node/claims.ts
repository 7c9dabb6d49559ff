/**
 * Claims of the file run store: which worker trains a run, safe on a shared file system (NFS,
 * Lustre), where flock is unreliable but link(2) is atomic and fails when the name exists.
 *
 *   runs/<recipe>/<id>/claim.<n>    n = 1, 2, ...; the highest n is the run's current claim
 *
 * A claim file holds a ClaimRecord (core/run-schemas.ts ClaimFileSchema). It is created whole:
 * written to a temp file, fsynced, then linked to `claim.<n>`, so of two workers creating the same
 * n exactly one wins and nobody ever reads a half-written claim. The holder refreshes its
 * heartbeat by rewriting its own `claim.<n>` (temp + rename). A claim whose heartbeat is older
 * than the lease, or whose worker is a process of this host that no longer runs, or that does not
 * parse, is stale: taking it over means creating `claim.<n+1>`, which only one taker can do. A
 * holder that finds `claim.<n+1>`, its own file gone, or the run's result published at a heartbeat
 * has lost the run (a published run's holder removes its own claim file, in case a heartbeat under
 * way when the publisher cleaned up wrote it back).
 * Releasing creates `claim.<n+1>` marked `"released": true`; once the run's result is published,
 * the releasing holder removes the claim files up to its own instead (lowest first, so a worker
 * listing the folder meanwhile still sees a live claim until the last one goes).
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ClaimOutcome, ClaimRecord, JsonObject, RunClaim, WorkerIdentity } from "../../../core/index.ts";
import { sortKeys, XferError } from "../../../core/index.ts";
import { parseClaim, type ClaimFile } from "../../../core/run-schemas.ts";
import { exists, HOST, isCode, listDir, processAlive, publishOnce, readText, writeJsonAtomic } from "./store-files.ts";

const CLAIM = /^claim\.([1-9]\d{0,15})$/;

export interface ClaimClock {
  /** Wall-clock milliseconds (heartbeats are compared across hosts: keep clocks within a small fraction of the lease). */
  now(): number;
  /** Names a damaged claim file (once per file). */
  warn(message: string): void;
}

/** This process as a worker: host, pid and a random part (unique across restarts that reuse a pid), plus its SLURM array task if any. */
export function workerIdentity(env: NodeJS.ProcessEnv = process.env): WorkerIdentity {
  const jobId = env.SLURM_JOB_ID;
  const slurm = jobId
    ? { jobId, ...(env.SLURM_ARRAY_JOB_ID ? { arrayJobId: env.SLURM_ARRAY_JOB_ID } : {}), ...(env.SLURM_ARRAY_TASK_ID ? { arrayTaskId: env.SLURM_ARRAY_TASK_ID } : {}) }
    : undefined;
  return { id: `${HOST}-${process.pid}-${randomBytes(4).toString("hex")}`, host: HOST, pid: process.pid, ...(slurm ? { slurm } : {}) };
}

interface Current {
  readonly n: number;
  readonly path: string;
  /** Undefined when the file is damaged (`problem` says why). */
  readonly file?: ClaimFile;
  readonly problem?: string;
}

/** The run folder's highest claim, read and validated; undefined when it has none. */
async function currentClaim(dir: string): Promise<Current | undefined> {
  for (let tries = 0; tries < 10; tries++) {
    const numbers = (await listDir(dir)).map((name) => CLAIM.exec(name)).filter((m) => m !== null).map((m) => Number(m[1]));
    if (numbers.length === 0) return undefined;
    const n = Math.max(...numbers);
    const path = join(dir, `claim.${n}`);
    const text = await readText(path);
    if (text === undefined) continue; // removed after the run was published: list again
    const parsed = parseClaim(text);
    return parsed.ok ? { n, path, file: parsed.value } : { n, path, problem: parsed.problem };
  }
  throw new XferError(`${dir}: its claim files keep disappearing while being read`);
}

const record = ({ released: _released, ...rest }: ClaimFile): ClaimRecord => rest;
const iso = (ms: number) => new Date(ms).toISOString();

/** Why a live-looking claim is stale, or undefined while it is fresh. */
function staleness(file: ClaimFile, ageMs: number, leaseMs: number): string | undefined {
  if (ageMs > leaseMs) return `heartbeat ${Math.round(ageMs / 1000)} s old, lease ${Math.round(leaseMs / 1000)} s`;
  if (file.worker.host === HOST && !processAlive(file.worker.pid)) return `process ${file.worker.pid} of this host no longer runs`;
  return undefined;
}

export class FsClaims {
  /** Damaged claim files already named in a warning. */
  readonly #warned = new Set<string>();

  constructor(readonly clock: ClaimClock) {}

  async claim(dir: string, worker: WorkerIdentity, leaseMs: number): Promise<ClaimOutcome> {
    await mkdir(dir, { recursive: true });
    for (let tries = 0; tries < 20; tries++) {
      const current = await currentClaim(dir);
      let tookOver: ClaimRecord | undefined;
      if (current?.file && !current.file.released) {
        const age = this.clock.now() - Date.parse(current.file.heartbeat);
        if (staleness(current.file, age, leaseMs) === undefined) return { state: "held", by: record(current.file), heartbeatAgeMs: age };
        tookOver = record(current.file);
      } else if (current && !current.file) {
        this.#warnDamaged(current);
      }
      const n = (current?.n ?? 0) + 1;
      const now = iso(this.clock.now());
      const mine: ClaimRecord = { worker, since: now, heartbeat: now };
      if (await createExclusive(join(dir, `claim.${n}`), mine)) {
        return { state: "claimed", claim: new FsClaim(dir, n, mine, this.clock), ...(tookOver ? { tookOver } : {}) };
      }
      // Another worker created claim.<n> first: read again (it now holds the run, or let it go).
    }
    throw new XferError(`${dir}: could not claim the run: its claim files kept changing (20 tries)`);
  }

  /** The current claim unless released (damaged: undefined, named in a warning). */
  async claimOf(dir: string): Promise<{ readonly by: ClaimRecord; readonly heartbeatAgeMs: number } | undefined> {
    const current = await currentClaim(dir);
    if (current && !current.file) this.#warnDamaged(current);
    if (!current?.file || current.file.released) return undefined;
    return { by: record(current.file), heartbeatAgeMs: this.clock.now() - Date.parse(current.file.heartbeat) };
  }

  /** Whether a claim `claimOf` returned is stale (so `xfer status` does not count it as running). */
  isStale(claim: { readonly by: ClaimRecord; readonly heartbeatAgeMs: number }, leaseMs: number): boolean {
    return staleness(claim.by, claim.heartbeatAgeMs, leaseMs) !== undefined;
  }

  #warnDamaged(current: Current): void {
    if (this.#warned.has(current.path)) return;
    this.#warned.add(current.path);
    this.clock.warn(`${current.path}: damaged claim file (${current.problem}); it counts as stale, so the run is taken over (the file is left as it is)`);
  }
}

class FsClaim implements RunClaim {
  #record: ClaimRecord;
  #lost = false;
  #released = false;
  /** Heartbeats and the release run one at a time, so a late heartbeat never lands after the release. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    readonly n: number,
    record: ClaimRecord,
    readonly clock: ClaimClock,
  ) {
    this.#record = record;
  }

  get record(): ClaimRecord {
    return this.#record;
  }

  #path(n: number): string {
    return join(this.dir, `claim.${n}`);
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  heartbeat(update?: { readonly attempt?: string }): Promise<boolean> {
    return this.#serial(async () => {
      if (this.#lost || this.#released) return false;
      if (await exists(join(this.dir, "result.json"))) {
        // Published: nothing is left to hold. A heartbeat that was under way (a frozen or slow
        // process) when the publisher removed the claims may have written ours back: remove it.
        this.#lost = true;
        await this.#removeUpToMine();
        return false;
      }
      if ((await exists(this.#path(this.n + 1))) || !(await exists(this.#path(this.n)))) {
        this.#lost = true;
        return false;
      }
      this.#record = { ...this.#record, ...(update?.attempt !== undefined ? { attempt: update.attempt } : {}), heartbeat: iso(this.clock.now()) };
      await writeJsonAtomic(this.#path(this.n), this.#record as unknown as JsonObject);
      return true;
    });
  }

  /** The run is done: its claims mean nothing any more. Only claim files up to ours, lowest first. */
  async #removeUpToMine(): Promise<void> {
    const numbers = (await listDir(this.dir)).map((name) => CLAIM.exec(name)).filter((m) => m !== null).map((m) => Number(m[1]));
    for (const k of numbers.filter((k) => k <= this.n).sort((a, b) => a - b)) await rm(this.#path(k), { force: true });
  }

  release(): Promise<void> {
    return this.#serial(async () => {
      if (this.#released) return;
      this.#released = true;
      if (await exists(join(this.dir, "result.json"))) {
        await this.#removeUpToMine();
        return;
      }
      if (this.#lost || (await exists(this.#path(this.n + 1)))) return; // taken over: nothing of ours to let go
      const now = iso(this.clock.now());
      await createExclusive(this.#path(this.n + 1), { ...this.#record, heartbeat: now, released: true });
    });
  }
}

/** Creates `path` whole or not at all, failing (false) when it exists: a fsynced temp file, then link(2). */
async function createExclusive(path: string, content: ClaimFile): Promise<boolean> {
  const tmp = `${path}.${HOST}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const file = await open(tmp, "wx");
    try {
      await file.writeFile(JSON.stringify(sortKeys(content as unknown as JsonObject), null, 2) + "\n");
      await file.sync();
    } finally {
      await file.close();
    }
    return await publishOnce(tmp, path);
  } finally {
    await rm(tmp, { force: true }).catch((error: unknown) => (isCode(error, "ENOENT") ? undefined : Promise.reject(error)));
  }
}
