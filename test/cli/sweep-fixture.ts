/**
 * What the sweep process tests share: a recipe folder written to a temp dir (synthetic data and a
 * tiny CNN, a grid of learning rates, optionally one run that fails at its first step), `xfer`
 * processes with their output captured, and the run folders' contents normalised so that an
 * interrupted and resumed sweep can be compared byte for byte with an uninterrupted one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { attemptFree } from "../helpers/attempt-free.ts";

export const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const CORE = resolve(import.meta.dirname, "../../core/index.ts");

export interface SweepRecipe {
  readonly name: string;
  /** One run per learning rate. */
  readonly lrs: readonly number[];
  readonly epochs: number;
  /** Adds a run whose train augmentation throws at its first image (lr 0.1, "test-boom"): after the others, or first. */
  readonly failing?: "last" | "first";
}

const FAILING = `{ "training.lr": [0.1], "augment.train": [[{ name: "test-boom" }]] }`;

/** Writes <tmp>/<name>/recipe.ts (with package.json "type": "module" above it); returns the folder. */
export async function writeSweepRecipe({ name, lrs, epochs, failing }: SweepRecipe): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `xfer-${name}-`));
  await writeFile(join(root, "package.json"), `{ "type": "module" }\n`);
  const dir = join(root, name);
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dir);
  await writeFile(join(dir, "recipe.ts"), `
import { definePlugin, defineRecipe } from ${JSON.stringify(CORE)};

/** Fails the run at its first training image, past preflight: a failure at step time. */
export const plugins = [definePlugin({
  meta: { kind: "augmentation", name: "test-boom", version: "0.0.0", description: "always throws" },
  create: () => ({ apply: () => { throw new Error("test-boom: this augmentation always fails\\nsecond line of the message"); } }),
})];

export default defineRecipe({
  name: ${JSON.stringify(name)},
  description: "tiny CNN runs on synthetic data for the sweep process tests",
  template: {
    dataset: { name: "synthetic", options: { classes: 3, perClass: 64, size: 16 } },
    splitter: { name: "stratified-holdout", options: { valFraction: 0.25 } },
    backbone: { name: "tinycnn.random", options: { inputSize: 16, widths: [8, 16], hidden: 16 } },
    optimizer: { name: "sgd", options: { momentum: 0.9 } },
    schedule: { name: "constant" },
    augment: { train: [{ name: "horizontal-flip" }], eval: [] },
    metrics: ["accuracy"],
    training: { epochs: ${epochs}, batchSize: 8, lr: 0.1, weightDecay: 0 },
    seed: 3,
  },
  grid: [${[
    ...(failing === "first" ? [FAILING] : []),
    `{ "training.lr": ${JSON.stringify(lrs)} }`,
    ...(failing === "last" ? [FAILING] : []),
  ].join(", ")}],
});
`);
  return dir;
}

export interface XferProcess {
  readonly child: ChildProcess;
  /** Output so far. */
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** `ownGroup`: the process leads a process group of its own, as a shell's foreground job does (signal it all with kill(-pid)). */
export function startXfer(args: readonly string[], env: NodeJS.ProcessEnv = {}, ownGroup = false): XferProcess {
  const child = spawn(process.execPath, [XFER, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env }, detached: ownGroup });
  const output = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d: Buffer) => (output.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((done, fail) => {
    child.on("error", fail);
    child.on("close", (code, signal) => done({ code, signal, ...output }));
  });
  return { child, output, exited };
}

export async function xfer(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return startXfer(args, env).exited;
}

/** Polls `check` every 20 ms until it returns a value; fails after `ms` with `what`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const RUN_ID = /^[0-9a-f]{64}$/;

export function runIds(recipeDir: string): string[] {
  return existsSync(recipeDir) ? readdirSync(recipeDir).filter((e) => RUN_ID.test(e)).sort() : [];
}

export function attemptsOf(recipeDir: string, id: string): string[] {
  const dir = join(recipeDir, id, "attempts");
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Completed epochs any attempt of any run has written: [run id, attempt, epoch lines]. */
export function epochLines(recipeDir: string): [string, string, number][] {
  return runIds(recipeDir).flatMap((id) => attemptsOf(recipeDir, id).map((attempt): [string, string, number] => {
    const file = join(recipeDir, id, "attempts", attempt, "epochs.jsonl");
    const lines = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "").length : 0;
    return [id, attempt, lines];
  }));
}

export function published(recipeDir: string): string[] {
  return runIds(recipeDir).filter((id) => existsSync(join(recipeDir, id, "result.json")));
}

/**
 * A published run with what differs between processes taken out: wall-clock fields (seconds,
 * startedAt, endedAt), the attempt id and the checkpoint's and predictions' paths (test/helpers/attempt-free.ts); epochs.jsonl
 * without seconds; best.safetensors and predictions.safetensors as bytes (hex).
 */
export function normalisedRun(recipeDir: string, id: string): { result: unknown; epochs: unknown[]; best: string; predictions: string } {
  const result = JSON.parse(readFileSync(join(recipeDir, id, "result.json"), "utf8"));
  const dir = join(recipeDir, id, "attempts", result.attempt);
  const epochs = readFileSync(join(dir, "epochs.jsonl"), "utf8").split("\n").filter((l) => l !== "").map((line) => {
    const { seconds: _seconds, ...epoch } = JSON.parse(line);
    return epoch;
  });
  return {
    result: attemptFree(result),
    epochs,
    best: readFileSync(join(dir, "best.safetensors")).toString("hex"),
    predictions: readFileSync(join(dir, "predictions.safetensors")).toString("hex"),
  };
}
