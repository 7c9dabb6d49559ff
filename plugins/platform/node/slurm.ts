/**
 * SLURM: the sbatch script of a sweep (a job array of `xfer run` workers on a shared run store),
 * and the few things xfer asks SLURM (sbatch, scontrol show config, squeue; never sacct, which
 * needs accounting). docs/clusters.md explains the script line by line.
 */
import { spawnSync } from "node:child_process";
import { link, mkdir, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { XferError } from "../../../core/errors.ts";

/** SLURM's default MaxArraySize: array indices run 0..MaxArraySize-1. */
export const DEFAULT_MAX_ARRAY_SIZE = 1001;
/** Seconds before the time limit SLURM signals the batch shell (`--signal=B:USR1@S`). */
export const DEFAULT_SIGNAL_SECONDS = 120;

export interface SbatchOptions {
  readonly jobName: string;
  /** Array tasks (workers) and how many of them may run at once. */
  readonly workers: number;
  readonly throttle: number;
  /** Folder of the per-task logs (`%A_%a.out`). */
  readonly logDir: string;
  /** The working directory of every task (where the submit ran: the config is found from it). */
  readonly chdir: string;
  readonly signalSeconds: number;
  readonly partition?: string;
  readonly time?: string;
  readonly cpusPerTask?: number;
  readonly mem?: string;
  readonly gres?: string;
  readonly account?: string;
  /** Extra `#SBATCH` lines, written as given after "#SBATCH ". */
  readonly sbatchLines: readonly string[];
  /** The worker's command: the node binary, xfer.mjs, then `run` and its arguments. */
  readonly worker: readonly string[];
}

/** A word for bash: left bare when it holds only safe characters, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** sbatch reads one option a line and splits it at blanks: a value must be one word (an extra --sbatch-line, one line). */
function sbatchValue(label: string, value: string, line = false): string {
  if (value === "" || (line ? /[\r\n]/ : /\s/).test(value)) throw new XferError(`${label}: expected ${line ? "one line" : "a value without blanks"}, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The batch script. The worker runs in the background so the shell can take signals while it
 * waits: USR1 (asked for before the time limit, to the batch shell only) is passed on, and when
 * the worker then stops with runs left (exit 138) the task requeues itself; TERM (scancel,
 * requeue, preemption; SLURM also sends it to the worker itself) is passed on. The task exits
 * with the worker's code. A requeued task runs the same command: the worker takes up the run it
 * stopped in from its resume state.
 */
export function sbatchScript(o: SbatchOptions): string {
  const lines = [
    "#!/bin/bash",
    `# xfer slurm submit: ${o.workers} worker(s) of \`xfer run\` on one run store (docs/clusters.md)`,
    `#SBATCH --job-name=${sbatchValue("--job-name", o.jobName)}`,
    `#SBATCH --array=0-${o.workers - 1}%${o.throttle}`,
    `#SBATCH --output=${sbatchValue("--out (the log folder is under it)", `${o.logDir}/%A_%a.out`)}`,
    `#SBATCH --error=${o.logDir}/%A_%a.out`,
    "#SBATCH --open-mode=append",
    "#SBATCH --requeue",
    `#SBATCH --signal=B:USR1@${o.signalSeconds}`,
    `#SBATCH --chdir=${sbatchValue("the working directory", o.chdir)}`,
    "#SBATCH --ntasks=1",
    ...(o.partition === undefined ? [] : [`#SBATCH --partition=${sbatchValue("--partition", o.partition)}`]),
    ...(o.time === undefined ? [] : [`#SBATCH --time=${sbatchValue("--time", o.time)}`]),
    ...(o.cpusPerTask === undefined ? [] : [`#SBATCH --cpus-per-task=${o.cpusPerTask}`]),
    ...(o.mem === undefined ? [] : [`#SBATCH --mem=${sbatchValue("--mem", o.mem)}`]),
    ...(o.gres === undefined ? [] : [`#SBATCH --gres=${sbatchValue("--gres", o.gres)}`]),
    ...(o.account === undefined ? [] : [`#SBATCH --account=${sbatchValue("--account", o.account)}`]),
    ...o.sbatchLines.map((line) => `#SBATCH ${sbatchValue("--sbatch-line", line.replace(/^#SBATCH\s+/, ""), true)}`),
    "",
    "set -u",
    'echo "xfer: task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname) at $(date -u +%FT%TZ), restart ${SLURM_RESTART_COUNT:-0}"',
    `${o.worker.map(shellQuote).join(" ")} &`,
    "worker=$!",
    "requeue=0",
    "signalled=0",
    "trap 'signalled=1; requeue=1; kill -USR1 \"$worker\" 2>/dev/null' USR1",
    "trap 'signalled=1; kill -TERM \"$worker\" 2>/dev/null' TERM",
    "# A trapped signal ends `wait` early: wait again until the worker itself has exited.",
    "while :; do",
    "  signalled=0",
    '  wait "$worker"',
    "  code=$?",
    '  [ "$signalled" = 1 ] || break',
    "done",
    "# 138: the worker stopped at USR1 with runs left; the requeued task goes on with them.",
    'if [ "$requeue" = 1 ] && [ "$code" = 138 ]; then',
    '  echo "xfer: requeueing task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"',
    '  scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"',
    "fi",
    'exit "$code"',
    "",
  ];
  return lines.join("\n");
}

/** MaxArraySize from `scontrol show config` output ("MaxArraySize            = 1001"). */
export function parseMaxArraySize(config: string): number {
  const match = /^MaxArraySize\s*=\s*(\d+)\s*$/m.exec(config);
  return match ? Number(match[1]) : DEFAULT_MAX_ARRAY_SIZE;
}

export interface CommandResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs a SLURM client command; a missing command is an error that says which. */
export function slurmCommand(command: string, args: readonly string[], timeoutMs = 60_000): CommandResult {
  const run = spawnSync(command, args, { encoding: "utf8", timeout: timeoutMs });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new XferError(`${command} not found: xfer slurm needs SLURM's client commands on the PATH (run it on a login node; docs/clusters.md)`);
    throw new XferError(`${command} ${args.join(" ")}: ${run.error.message}`);
  }
  return { code: run.status, out: run.stdout, err: run.stderr };
}

/** The cluster's MaxArraySize (`scontrol show config`); SLURM's default when the key is absent. */
export function maxArraySize(): number {
  const run = slurmCommand("scontrol", ["show", "config"]);
  if (run.code !== 0) throw new XferError(`scontrol show config failed (exit ${run.code}): ${firstLine(run.err) || "(no message)"}`);
  return parseMaxArraySize(run.out);
}

/** Submits a batch script; returns the job id `sbatch --parsable` prints ("<id>" or "<id>;<cluster>"). */
export function submitBatch(scriptPath: string): string {
  const run = slurmCommand("sbatch", ["--parsable", scriptPath]);
  const id = run.out.trim().split(";")[0];
  if (run.code !== 0 || !/^\d+$/.test(id)) {
    throw new XferError(`sbatch ${scriptPath} failed (exit ${run.code}): ${firstLine(run.err) || firstLine(run.out) || "(no message)"}`);
  }
  return id;
}

/** Writes `text` to `path` only if nothing is there: a temp file linked into place (atomic; link(2) never replaces). */
export async function writeNewFile(path: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, text, { flag: "wx", mode });
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new XferError(`${path} exists; not overwriting it`);
    throw error;
  } finally {
    await unlink(temp);
  }
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
