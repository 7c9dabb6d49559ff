/**
 * Runs a plan against the run store of a container, as one worker of a sweep (see runPlan). Each
 * run is looked up by its identity (the spec's hash, plus its external weights:
 * core/run-identity.ts): a run whose result is published is skipped; a damaged one is reported and
 * trained again; every other run is claimed, gets its own child container and attempt, is trained
 * (from its last completed epoch when a resume state is stored), and its result is published unless
 * another process published one first (then this one is discarded and reported).
 */
import type { DependencyContainer } from "tsyringe";
import type { ClaimRecord, JsonObject, RunAttempt, RunClaim, RunFailure, RunResult, WeightsRecord, WorkerIdentity } from "./contracts.ts";
import { createRunContainer, executeRun, TOKENS, type PlanProgress } from "./di.ts";
import { RunStopped, UnknownNameError } from "./errors.ts";
import type { PluginKind, PluginRegistry } from "./plugin.ts";
import { type PlannedRun, upstreamRunIds } from "./recipe.ts";
import { externalWeights, runIdentity } from "./run-identity.ts";
import { parseTrainerResumeMeta } from "./train/resume.ts";

/** A run whose result this process computed but did not publish: another attempt had published first. */
export interface DiscardedResult {
  readonly id: string;
  /** The attempt whose result is published (and kept). */
  readonly kept: string;
  /** This process's attempt; its folder keeps what it wrote. */
  readonly discarded: string;
}

export interface DamagedRun {
  readonly id: string;
  readonly problem: string;
  readonly keptAs: readonly string[];
}

export interface PlanOutcome {
  /** Run identities trained by this call. */
  readonly trained: string[];
  readonly skipped: string[];
  /** The published result of every run that has one, in plan order (failed and stopped runs have none). */
  readonly results: RunResult[];
  readonly discarded: DiscardedResult[];
  readonly damaged: DamagedRun[];
  /** Runs whose attempt by this worker failed (error.json written), or by the worker it waited for. */
  readonly failed: FailedRun[];
  /** Runs not tried because they failed --max-attempts times already. */
  readonly exhausted: FailedRun[];
  /** Runs this worker went on with from a resume state. */
  readonly resumed: { readonly id: string; readonly fromEpoch: number }[];
  /** Set when the sweep ended early: a stop request (signal), or --fail-fast at a failure. */
  readonly stopped?: { readonly reason: "signal" | "fail-fast"; readonly id?: string; readonly epochsDone?: number };
}

export interface FailedRun {
  readonly id: string;
  readonly failure: RunFailure;
}

/** How a worker goes through a plan (`xfer run` options; defaults in DEFAULT_SWEEP). */
export interface SweepOptions {
  /** This process, as claims name it. */
  readonly worker: WorkerIdentity;
  /** A claim whose heartbeat is older than this is stale and may be taken over. */
  readonly leaseMs: number;
  /** How often a held claim's heartbeat is refreshed (well under the lease). */
  readonly heartbeatMs: number;
  /** Runs that failed this many times are not tried again. */
  readonly maxAttempts: number;
  /** Stop the sweep at the first failed run. */
  readonly failFast: boolean;
  /** Polled at every step boundary: true makes the worker stop there and start nothing new. */
  readonly shouldStop?: () => boolean;
  /**
   * Wall-clock milliseconds when the sweep began (default: when runPlan is called; a parent passes
   * its own to its workers): a failure recorded since then is this sweep's, so no worker of it
   * tries the run again; the next `xfer run` does (up to maxAttempts).
   */
  readonly since?: number;
}

/**
 * How often a worker looks again at runs other workers hold, at most: a look is a few small file
 * reads, and a stage of a sweep (or the sweep's end) waits for the slowest held run.
 */
const HELD_POLL_MS = 5_000;

/** Lease 5 min, heartbeat 30 s: ten missed heartbeats (a long synchronous step, NFS attribute caching, small clock skew) before a live worker's run is taken. */
export const DEFAULT_SWEEP = { leaseMs: 300_000, heartbeatMs: 30_000, maxAttempts: 3, failFast: false } as const;

/** The default worker: this call of runPlan, unique by a random id (a platform passes its own: host, pid, SLURM task). */
function inProcessWorker(): WorkerIdentity {
  return { id: `in-process-${crypto.randomUUID()}`, host: "in-process", pid: 0 };
}

/** What one try at a run came to: settled (done, failed, exhausted), held by another worker, or the sweep must end. */
type Step = "settled" | "held" | "end";

interface Planned {
  readonly index: number;
  readonly id: string;
  readonly spec: PlannedRun["spec"];
  readonly weights?: WeightsRecord;
  /** Failed attempts when this worker found the run held (a new failure means its holder failed it). */
  failuresWhenHeld?: number;
}

/**
 * Goes through the plan as one worker of a sweep: every run not done is claimed (so no two workers
 * train it at once), resumed from its resume state if it has one, trained and published; a run
 * held by a live claim of another worker is left for later, and once the plan is through, polled
 * every 5 s (or heartbeat, if shorter) until it is done, failed, or its claim goes stale (then taken over). A failure
 * is recorded (error.json) and the sweep goes on (or ends, with failFast); a stop request ends the
 * sweep at the next step boundary, keeping the last completed epoch's resume state. A run that
 * failed `maxAttempts` times is not tried again. Everything is resolved from `container`, so
 * services it (or a parent) registers are the ones used.
 */
export async function runPlan(container: DependencyContainer, runs: readonly PlannedRun[], options: Partial<SweepOptions> = {}): Promise<PlanOutcome> {
  const sweep: SweepOptions = { ...DEFAULT_SWEEP, worker: options.worker ?? inProcessWorker(), since: Date.now(), ...options };
  const store = container.resolve(TOKENS.runStore);
  const logger = container.resolve(TOKENS.logger);
  const environment = container.resolve(TOKENS.environment);
  const outcome: { -readonly [K in keyof PlanOutcome]: PlanOutcome[K] } = {
    trained: [], skipped: [], results: [], discarded: [], damaged: [], failed: [], exhausted: [], resumed: [],
  };
  /** Results by plan index, so `results` keeps plan order whichever order runs settle in. */
  const results = new Map<number, RunResult>();
  const stopRequested = () => sweep.shouldStop?.() === true;
  let settled = 0;
  const done = (run: Planned, status: PlanProgress["status"], message?: string) =>
    logger.runDone({ done: ++settled, total: runs.length, hash: run.id, status, ...(message !== undefined ? { message } : {}) });

  /** Settles a run the store already says is done, exhausted, or failed by the worker this one waited for; else its failure count. */
  const settleFromStore = async (run: Planned): Promise<number | "settled"> => {
    const { id } = run;
    const found = await store.lookup(id);
    if (found.state === "done") {
      outcome.skipped.push(id);
      results.set(run.index, found.run.result);
      done(run, "skipped");
      return "settled";
    }
    if (found.state === "damaged") {
      outcome.damaged.push({ id, problem: found.problem, keptAs: found.keptAs });
      logger.warn?.(`run ${id} is damaged and will be trained again: ${found.problem}${found.keptAs.length > 0 ? `; kept aside as ${found.keptAs.join(", ")}` : ""}`);
    }
    const failures = await store.failures(id);
    const last = failures.at(-1);
    if (last && failures.length >= sweep.maxAttempts) {
      outcome.exhausted.push({ id, failure: last });
      done(run, "exhausted", firstLine(last.message));
      return "settled";
    }
    const failedWhileHeld = run.failuresWhenHeld !== undefined && failures.length > run.failuresWhenHeld;
    if (last && (failedWhileHeld || Date.parse(last.at) >= sweep.since!)) {
      // Another worker of this sweep failed it (maybe while this one waited): recorded, not retried in this sweep.
      outcome.failed.push({ id, failure: last });
      done(run, "failed", firstLine(last.message));
      return "settled";
    }
    return failures.length;
  };

  const attemptRun = async (run: Planned): Promise<Step> => {
    const failures = await settleFromStore(run);
    if (failures === "settled") return "settled";
    const claimed = await store.claim(run.id, sweep.worker, sweep.leaseMs);
    if (claimed.state === "held") {
      run.failuresWhenHeld ??= failures;
      return "held";
    }
    return trainClaimed(run, claimed.claim, claimed.tookOver);
  };

  const trainClaimed = async (run: Planned, claim: RunClaim, tookOver: ClaimRecord | undefined): Promise<Step> => {
    const { id } = run;
    let lost = false;
    let attempt: RunAttempt | undefined;
    let heartbeats: ReturnType<typeof setInterval> | undefined;
    try {
      // Between the lookup and the claim another worker may have finished or failed it.
      if ((await settleFromStore(run)) === "settled") return "settled";
      const resume = await store.resume(id);
      const history = resume && parseTrainerResumeMeta(resume, `resume state of run ${id}`).history;
      attempt = await store.begin(id, run.spec as unknown as JsonObject, environment, resume && {
        ...(tookOver?.attempt !== undefined ? { attempt: tookOver.attempt } : {}), epochsDone: resume.epochsDone, epochs: history!,
      });
      const current = attempt;
      const beat = async () => {
        if (!(await claim.heartbeat({ attempt: current.id }))) lost = true;
      };
      await beat();
      heartbeats = setInterval(() => {
        beat().catch((error: unknown) => logger.warn?.(`run ${id}: could not refresh the claim's heartbeat (${firstLine(String((error as Error).message ?? error))}); retrying in ${sweep.heartbeatMs / 1000} s`));
      }, sweep.heartbeatMs);
      // A worker process must not stay alive for its heartbeat timer alone.
      (heartbeats as { unref?: () => void }).unref?.();
      logger.runStart?.({
        index: run.index, total: runs.length, hash: id, attempt: current.id,
        ...(resume ? { resumedFrom: resume.epochsDone } : {}), ...(tookOver ? { tookOverFrom: tookOver.worker.id } : {}),
      });
      if (resume) outcome.resumed.push({ id, fromEpoch: resume.epochsDone });

      const runContainer = await createRunContainer(container, id, run.spec);
      let result: RunResult;
      // Which candidate a best-of upstream reference loaded is known only now: the result records it.
      const upstreamRun = run.spec.upstream?.best && runContainer.isRegistered(TOKENS.upstreamRun) ? runContainer.resolve(TOKENS.upstreamRun) : undefined;
      try {
        result = await executeRun(runContainer, current, {
          ...(resume ? { resume } : {}),
          shouldStop: () => lost || stopRequested(),
          // Checked just before writing: a worker that lost the run must not replace its new holder's state.
          onCheckpoint: async (state) => {
            await beat();
            if (!lost) await current.putResume(state);
          },
        });
      } finally {
        runContainer.dispose();
      }
      const finished = await current.finish({ ...result, ...(run.weights === undefined ? {} : { weights: run.weights }), ...(upstreamRun === undefined ? {} : { upstreamRun }) });
      if (finished.published) {
        results.set(run.index, finished.result);
      } else {
        const kept = finished.winner.attempt ?? "(an attempt from before attempts were recorded)";
        outcome.discarded.push({ id, kept, discarded: current.id });
        results.set(run.index, finished.winner);
        logger.warn?.(`run ${id} was finished by two attempts: kept ${kept} (published first), discarded ${current.id} (left unpublished in its attempt folder)`);
      }
      outcome.trained.push(id);
      done(run, "trained");
      return "settled";
    } catch (error) {
      if (error instanceof RunStopped && lost) {
        // Another worker took the run over: it is theirs now; wait for it like any held run.
        logger.warn?.(`run ${id}: its claim was taken over by another worker; this worker stopped training it`);
        run.failuresWhenHeld ??= (await store.failures(id)).length;
        return "held";
      }
      if (error instanceof RunStopped) {
        outcome.stopped = { reason: "signal", id, epochsDone: error.epochsDone };
        done(run, "stopped");
        return "end";
      }
      if (attempt === undefined) throw error; // the store itself failed: not the run's fault
      const failure = await attempt.fail(error instanceof Error ? { message: error.message, ...(error.stack ? { stack: error.stack } : {}) } : { message: String(error) });
      outcome.failed.push({ id, failure });
      done(run, "failed", firstLine(failure.message));
      if (!sweep.failFast) return "settled";
      outcome.stopped = { reason: "fail-fast", id };
      return "end";
    } finally {
      if (heartbeats !== undefined) clearInterval(heartbeats);
      // A claim that cannot be released goes stale after the lease; the run's own outcome matters more.
      if (!lost) await claim.release().catch((error: unknown) => logger.warn?.(`run ${id}: could not release its claim (${firstLine(String((error as Error).message ?? error))}); other workers take it over after the lease`));
    }
  };

  const planned: Planned[] = [];
  for (const [index, { hash: specHash, spec }] of runs.entries()) {
    const weights = await externalWeights(spec, container.resolve(TOKENS.config).weights, container.resolve(TOKENS.weightsHash));
    planned.push({ index, id: runIdentity({ specHash, weights }), spec, ...(weights ? { weights } : {}) });
  }
  let waiting: Planned[] = [];
  sweep: for (const run of planned) {
    if (stopRequested()) {
      outcome.stopped = { reason: "signal" };
      break;
    }
    switch (await attemptRun(run)) {
      case "held":
        waiting.push(run);
        break;
      case "end":
        break sweep;
    }
  }
  while (waiting.length > 0 && outcome.stopped === undefined) {
    if (await pause(Math.min(sweep.heartbeatMs, HELD_POLL_MS), stopRequested)) {
      outcome.stopped = { reason: "signal" };
      break;
    }
    const still: Planned[] = [];
    for (const run of waiting) {
      const step = await attemptRun(run);
      if (step === "held") still.push(run);
      if (step === "end" || stopRequested()) {
        outcome.stopped ??= { reason: "signal" };
        break;
      }
    }
    waiting = still;
  }
  outcome.results.push(...[...results].sort(([a], [b]) => a - b).map(([, result]) => result));
  return outcome;
}

/** One stage of a sweep (core/stages.ts): a recipe's name and its runs. */
export interface SweepStage {
  readonly recipe: string;
  readonly runs: readonly PlannedRun[];
}

export interface StageOutcome {
  readonly recipe: string;
  readonly outcome: PlanOutcome;
  /** Runs left out because the upstream run they load is not done (it failed, or the sweep stopped). */
  readonly blocked: readonly { readonly id: string; readonly upstream: string }[];
}

/**
 * Runs the stages in order, each through runPlan on its recipe's store (the container's `storeFor`,
 * which on Node gives <out>/<recipe>). A stage ends when
 * every one of its runs is settled by some worker, so the next one finds its upstream runs done;
 * a run whose upstream run is not done is left out (and named), never tried. A stop ends the sweep.
 */
export async function runStages(container: DependencyContainer, stages: readonly SweepStage[], options: Partial<SweepOptions> = {}): Promise<StageOutcome[]> {
  const storeFor = container.resolve(TOKENS.storeFor);
  // One worker identity and sweep start for every stage: they are one sweep.
  const sweep: Partial<SweepOptions> = { worker: options.worker ?? inProcessWorker(), since: options.since ?? Date.now(), ...options };
  const outcomes: StageOutcome[] = [];
  for (const stage of stages) {
    const stageContainer = container.createChildContainer();
    stageContainer.register(TOKENS.runStore, { useValue: storeFor(stage.recipe) });
    const blocked: { id: string; upstream: string }[] = [];
    const runnable: PlannedRun[] = [];
    for (const run of stage.runs) {
      // A best-of reference chooses among all its candidates, so it waits for every one of them.
      const upstream = run.spec.upstream;
      let notDone: string | undefined;
      for (const id of upstreamRunIds(upstream)) {
        if ((await storeFor(upstream!.recipe).lookup(id)).state !== "done") {
          notDone = id;
          break;
        }
      }
      if (notDone !== undefined) blocked.push({ id: run.hash, upstream: notDone });
      else runnable.push(run);
    }
    if (blocked.length > 0) {
      container.resolve(TOKENS.logger).warn?.(`${blocked.length} run(s) of recipe "${stage.recipe}" left out: the upstream run they load is not done (${[...new Set(blocked.map((b) => b.upstream.slice(0, 12)))].join(", ")})`);
    }
    const outcome = await runPlan(stageContainer, runnable, sweep);
    outcomes.push({ recipe: stage.recipe, outcome, blocked });
    stageContainer.dispose();
    if (outcome.stopped !== undefined) break;
  }
  return outcomes;
}

/** Waits `ms` in short slices; true as soon as a stop is requested. */
async function pause(ms: number, stopRequested: () => boolean): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (stopRequested()) return true;
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, until - Date.now())));
  }
  return stopRequested();
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0];
}

/**
 * Names every plugin a plan refers to that the registry lacks, once each with the number of runs
 * that need it and the valid names, so a sweep fails before its first run rather than at its 500th.
 */
export function checkPlugins(registry: PluginRegistry, runs: readonly PlannedRun[]): string[] {
  const missing = new Map<string, number>();
  const need = (kind: PluginKind, name: string) => {
    if (!registry.has(kind, name)) missing.set(`${kind}\u0000${name}`, (missing.get(`${kind}\u0000${name}`) ?? 0) + 1);
  };
  for (const { spec } of runs) {
    need("dataset", spec.dataset.name);
    need("splitter", spec.splitter.name);
    need("backbone", spec.backbone.name);
    need("optimizer", spec.optimizer.name);
    need("schedule", spec.schedule.name);
    for (const ref of [...spec.augment.train, ...spec.augment.eval]) need("augmentation", ref.name);
    for (const ref of spec.augment.batch ?? []) need("batch-augmentation", ref.name);
    for (const metric of spec.metrics) need("metric", metric);
  }
  return [...missing].map(([key, count]) => {
    const [kind, name] = key.split("\u0000") as [PluginKind, string];
    return `${new UnknownNameError(kind, name, registry.names(kind)).message} (needed by ${count} run(s))`;
  });
}
