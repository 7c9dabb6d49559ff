/**
 * `xfer slurm submit <recipe>`: a job array of W `xfer run` workers (at most K at once) on the
 * recipe's run store; the workers claim runs from the store, so W need not match the run count.
 * `xfer slurm status <recipe>`: `xfer status` (the run store, plus squeue for SLURM workers), and
 * squeue's lines for this user's jobs that `xfer slurm submit` named after the recipe, so array
 * tasks still waiting in the queue (which hold no claim yet) show too.
 * docs/clusters.md walks through both.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { XferError } from "../../../../../core/errors.ts";
import { parseFilter, type RunSpec } from "../../../../../core/recipe.ts";
import type { XferConfig } from "../../../../../core/config.ts";
import type { PluginRegistry } from "../../../../../core/plugin.ts";
import { loadConfig } from "../../config.ts";
import { DEFAULT_MAX_ARRAY_SIZE, DEFAULT_SIGNAL_SECONDS, maxArraySize, sbatchScript, submitBatch, writeNewFile } from "../../slurm.ts";
import { planProblems, preflightError } from "../preflight.ts";
import { builtinRecipeNames, loadRecipe, planRecipeStages } from "../recipes.ts";
import { sweepSettings } from "../workers.ts";
import { registerStatusCommand } from "./status.ts";

interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** What main.ts lends: the data roots `--smoke` reads, as `xfer run` resolves them (for the preflight). */
export interface SlurmDeps {
  smokeDataRoots(config: XferConfig, registry: PluginRegistry, recipeRoots: Record<string, string>, specs: readonly RunSpec[], io: Io): Record<string, string>;
}

/** The worker entry every array task runs: this installation's xfer.mjs, under the node that runs this submit. */
const XFER_ENTRY = resolve(import.meta.dirname, "../xfer.mjs");

interface SubmitFlags {
  out?: string;
  smoke?: boolean;
  filter: string[];
  seed?: string;
  workers: string;
  throttle?: string;
  partition?: string;
  time?: string;
  cpusPerTask?: string;
  mem?: string;
  gres?: string;
  account?: string;
  sbatchLine: string[];
  signalSeconds: string;
  maxAttempts?: string;
  lease?: string;
  dryRun?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInteger(option: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new XferError(`${option}: expected a positive integer, got "${text}"`);
  return n;
}

/** The recipe as the workers name it: a built-in's name, else the recipe folder's absolute path. */
function workerRecipeRef(ref: string, cwd: string): string {
  const name = ref.replace(/^(\.\/)?recipes\//, "").replace(/\/+$/, "");
  return builtinRecipeNames().includes(name) ? name : resolve(cwd, ref);
}

/** 20261205T101500Z: sorts by submit time, and holds no character a shell or sbatch would read. */
function utcStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

export function registerSlurmCommands(program: Command, io: Io, deps: SlurmDeps): void {
  const slurm = program.command("slurm").description("run a recipe's sweep as a SLURM job array of workers (docs/clusters.md)");

  slurm
    .command("submit")
    .description("write an sbatch script for a job array of `xfer run` workers on one run store, and submit it")
    .argument("<recipe>", "built-in recipe name or path to a recipe folder")
    .option("--out <dir>", "shared output directory (default: config outDir, else ./runs); every node must see it at the same path")
    .option("--smoke", "run the recipe's smoke mode")
    .option("--filter <path=value>", "only runs whose spec has this value (repeatable)", collect, [])
    .option("--seed <n>", "root seed for every run")
    .requiredOption("--workers <W>", "array tasks, each an `xfer run` worker (at most MaxArraySize; workers claim runs, so any W splits any number of runs)")
    .option("--throttle <K>", "array tasks running at once (default: W)")
    .option("--partition <name>", "#SBATCH --partition")
    .option("--time <limit>", "#SBATCH --time, per array task (e.g. 04:00:00); a task stopped at its limit is requeued")
    .option("--cpus-per-task <n>", "#SBATCH --cpus-per-task")
    .option("--mem <size>", "#SBATCH --mem (e.g. 8G)")
    .option("--gres <spec>", "#SBATCH --gres (e.g. gpu:1)")
    .option("--account <name>", "#SBATCH --account")
    .option("--sbatch-line <option>", "an extra #SBATCH line, e.g. --sbatch-line=--qos=long (repeatable)", collect, [])
    .option("--signal-seconds <s>", "USR1 to the batch shell this many seconds before the time limit (--signal=B:USR1@S)", String(DEFAULT_SIGNAL_SECONDS))
    .option("--max-attempts <n>", "xfer run --max-attempts: failed attempts after which a run is not tried again")
    .option("--lease <seconds>", "xfer run --lease: a claim whose heartbeat is older is taken over")
    .option("--dry-run", "print the script; write and submit nothing")
    .action(async (ref: string, opts: SubmitFlags) => {
      const workers = positiveInteger("--workers", opts.workers);
      const throttle = opts.throttle === undefined ? workers : positiveInteger("--throttle", opts.throttle);
      const signalSeconds = positiveInteger("--signal-seconds", opts.signalSeconds);
      const cpusPerTask = opts.cpusPerTask === undefined ? undefined : positiveInteger("--cpus-per-task", opts.cpusPerTask);
      // Checked as `xfer run` checks them, so a bad value fails now and not in every array task.
      sweepSettings({ maxAttempts: opts.maxAttempts, lease: opts.lease });
      if (opts.seed !== undefined && !(Number.isSafeInteger(Number(opts.seed)) && Number(opts.seed) >= 0)) {
        throw new XferError(`--seed: expected a non-negative integer, got "${opts.seed}"`);
      }

      // The preflight of `xfer run`, here, so a typo fails now and not in every array task.
      const configFile = program.opts().config as string | undefined;
      const { config, registry } = await loadConfig({ file: configFile });
      const { recipe, smokeDataRoots: recipeSmokeRoots } = await loadRecipe(ref, registry);
      if (recipe.kind === "analysis") {
        throw new XferError(`${recipe.name} is an analysis recipe: it trains nothing, so there is nothing to submit; \`xfer run ${recipe.name}\` computes its report`);
      }
      const filters = opts.filter.map(parseFilter);
      // Every stage's runs: the array tasks' `xfer run` trains the upstream stages first.
      const stages = await planRecipeStages(recipe, { seed: opts.seed === undefined ? undefined : Number(opts.seed), defaultSeed: config.seed, smoke: opts.smoke ?? false, filters }, registry, config);
      const runs = stages.flatMap((stage) => stage.runs);
      const dataRoots = opts.smoke ? deps.smokeDataRoots(config, registry, recipeSmokeRoots, runs.map((r) => r.spec), io) : config.dataRoots;
      const problems = await planProblems(registry, runs, config, dataRoots);
      if (problems.length > 0) throw preflightError(recipe.name, problems);
      if (runs.length === 0) throw new XferError(`${recipe.name}: no run matches the filters; nothing to submit`);
      if (workers > runs.length) io.err(`xfer: warning: ${workers} workers for ${runs.length} run(s): ${workers - runs.length} will find no run to take`);

      const cwd = process.cwd();
      const out = resolve(opts.out ?? config.outDir);
      const slurmDir = join(out, recipe.name, "slurm");
      const worker = [
        process.execPath, XFER_ENTRY,
        ...(configFile === undefined ? [] : ["--config", resolve(cwd, configFile)]),
        "run", workerRecipeRef(ref, cwd), "--out", out, "--jobs", "1",
        ...(opts.smoke ? ["--smoke"] : []),
        ...opts.filter.flatMap((f) => ["--filter", f]),
        ...(opts.seed === undefined ? [] : ["--seed", opts.seed]),
        ...(opts.maxAttempts === undefined ? [] : ["--max-attempts", opts.maxAttempts]),
        ...(opts.lease === undefined ? [] : ["--lease", opts.lease]),
      ];
      const script = sbatchScript({
        jobName: jobName(recipe.name), workers, throttle, logDir: join(slurmDir, "logs"), chdir: cwd, signalSeconds,
        partition: opts.partition, time: opts.time, cpusPerTask, mem: opts.mem, gres: opts.gres, account: opts.account,
        sbatchLines: opts.sbatchLine, worker,
      });
      // Array indices run 0..W-1, and SLURM takes indices below MaxArraySize only. Asked last: with
      // its controller down, scontrol takes seconds to fail, and every other mistake is found without it.
      let limit = { size: DEFAULT_MAX_ARRAY_SIZE, from: "SLURM's default, as scontrol did not answer" };
      try {
        limit = { size: maxArraySize(), from: "scontrol show config" };
      } catch (error) {
        if (!opts.dryRun) throw error;
        io.err(`xfer: ${(error as Error).message}; checking --workers against SLURM's default MaxArraySize ${DEFAULT_MAX_ARRAY_SIZE}`);
      }
      if (workers > limit.size) {
        throw new XferError(`--workers ${workers}: MaxArraySize is ${limit.size} (${limit.from}), so an array has at most ${limit.size} tasks; use fewer workers (each works through many runs)`);
      }

      if (opts.dryRun) {
        io.out(script);
        io.err(`xfer: dry run: ${runs.length} run(s), ${workers} worker(s); nothing written or submitted`);
        return;
      }
      const path = join(slurmDir, `${utcStamp(new Date())}-${randomBytes(3).toString("hex")}.sbatch`);
      // SLURM does not create the folder of --output: a task without it fails with no log at all.
      await mkdir(join(slurmDir, "logs"), { recursive: true });
      await writeNewFile(path, script, 0o755);
      const jobId = submitBatch(path);
      io.out(`${recipe.name}: submitted job ${jobId}: ${workers} worker(s), at most ${throttle} at once, for ${runs.length} run(s)`);
      io.out(`  script ${path}`);
      io.out(`  logs   ${join(slurmDir, "logs")}/${jobId}_<task>.out`);
      io.out(`  status xfer slurm status ${ref} --out ${out}${opts.smoke ? " --smoke" : ""}`);
    });

  registerStatusCommand(slurm, io).hook("postAction", async (_slurm, status) => {
    if (status.opts().json) return;
    const { registry } = await loadConfig({ file: program.opts().config });
    const { recipe } = await loadRecipe(status.args[0], registry);
    io.out(await queuedTasks(jobName(recipe.name)));
  });
}

function jobName(recipe: string): string {
  return `xfer-${recipe}`;
}

/** This user's array tasks of jobs named `name`, as squeue lists them (never sacct: often disabled). */
function queuedTasks(name: string): Promise<string> {
  return new Promise((done) => {
    execFile("squeue", ["-h", "-u", userInfo().username, "-n", name, "-o", "%i %T %M %R"], { timeout: 15_000, encoding: "utf8" }, (error, stdout, stderr) => {
      const head = `squeue (your jobs named ${name}):`;
      if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") done(`${head} squeue is not installed here (PATH)`);
      else if (error) done(`${head} squeue failed: ${(stderr || error.message).trim().split("\n")[0]}`);
      else {
        const lines = stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");
        done([head, ...(lines.length > 0 ? lines.map((l) => `  ${l}`) : ["  (none queued or running)"])].join("\n"));
      }
    });
  });
}
