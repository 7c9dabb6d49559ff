/**
 * `xfer runs <recipe>`: the recipe's planned runs with their varying axes, status in the run store
 * (done, damaged, started-not-finished, pending), best epoch and metrics; also the table `xfer plan`
 * prints. Runs are matched to stored folders by the hash of the spec.json each folder keeps (a run's
 * identity also covers external weights, which a listing should not have to hash).
 */
import { readFile, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { csvField } from "../../../../../core/analysis/render.ts";
import type { JsonObject, RunResult } from "../../../../../core/contracts.ts";
import { InputError, XferError } from "../../../../../core/errors.ts";
import { contentHash } from "../../../../../core/hash.ts";
import { axisValueText, displayAxes, parseFilter, type PlannedRun } from "../../../../../core/recipe.ts";
import { loadConfig } from "../../config.ts";
import { FsRunStore } from "../../run-store.ts";
import { loadRecipe, planRecipeStages } from "../recipes.ts";

export type RunState = "done" | "damaged" | "started-not-finished" | "pending";

export interface StoredState {
  readonly id: string;
  readonly state: Exclude<RunState, "pending">;
  readonly result?: RunResult;
  readonly problem?: string;
}

const RUN_ID = /^[0-9a-f]{64}$/;

/** The run folders of a recipe's output directory, by the hash of the spec they hold. */
export async function storedBySpecHash(dir: string): Promise<Map<string, StoredState>> {
  const store = new FsRunStore(dir);
  const found = new Map<string, StoredState>();
  let entries: string[];
  try {
    entries = (await readdir(dir)).filter((e) => RUN_ID.test(e)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return found;
    throw error;
  }
  for (const id of entries) {
    const status = await store.status(id);
    if (status.state === "absent") continue;
    const spec = status.state === "done" ? status.run.spec : await readSpec(join(dir, id, "spec.json"));
    if (spec === undefined) continue;
    const state: StoredState = status.state === "done" ? { id, state: "done", result: status.run.result }
      : status.state === "damaged" ? { id, state: "damaged", problem: status.problem }
        : { id, state: "started-not-finished" };
    found.set(contentHash(spec), state);
  }
  return found;
}

/** A folder's spec.json, or undefined when it has none (a folder made by something else is not a run). */
async function readSpec(path: string): Promise<JsonObject | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const spec: unknown = JSON.parse(text);
    if (spec === null || typeof spec !== "object" || Array.isArray(spec)) throw new Error("not a JSON object");
    return spec as JsonObject;
  } catch (error) {
    throw new InputError(path, `not a run spec: ${(error as Error).message}`);
  }
}

export interface RunRow {
  readonly id: string;
  readonly specHash: string;
  readonly axes: Readonly<Record<string, string>>;
  readonly status: RunState;
  readonly bestEpoch?: number;
  readonly best?: Readonly<Record<string, number>>;
  readonly test?: Readonly<Record<string, number>>;
}

export function runRows(runs: readonly PlannedRun[], stored: ReadonlyMap<string, StoredState>): { axes: string[]; rows: RunRow[] } {
  const axes = displayAxes(runs.map((r) => r.spec));
  const rows = runs.map(({ hash, spec }): RunRow => {
    const found = stored.get(hash);
    const result = found?.result;
    return {
      id: found?.id ?? hash,
      specHash: hash,
      axes: Object.fromEntries(axes.map((axis) => [axis, axisValueText(spec.point[axis])])),
      status: found?.state ?? "pending",
      ...(result === undefined ? {} : { bestEpoch: result.bestEpoch, best: result.best, ...(result.test === undefined ? {} : { test: result.test }) }),
    };
  });
  return { axes, rows };
}

/** Columns: id, the varying axes, status, best epoch, then best (val) and test metrics. */
export function rowsTable(axes: readonly string[], rows: readonly RunRow[], idLength = 12): string[][] {
  const metric = (pick: (row: RunRow) => Readonly<Record<string, number>> | undefined) => [...new Set(rows.flatMap((r) => Object.keys(pick(r) ?? {})))].sort();
  const bestKeys = metric((r) => r.best);
  const testKeys = metric((r) => r.test);
  const header = ["id", ...axes, "status", "best epoch", ...bestKeys.map((k) => `val ${k}`), ...testKeys.map((k) => `test ${k}`)];
  const cell = (value: number | undefined) => (value === undefined ? "" : value.toFixed(4));
  return [header, ...rows.map((r) => [
    r.id.slice(0, idLength), ...axes.map((a) => r.axes[a]), r.status, r.bestEpoch === undefined ? "" : String(r.bestEpoch),
    ...bestKeys.map((k) => cell(r.best?.[k])), ...testKeys.map((k) => cell(r.test?.[k])),
  ])];
}

/** Cells padded into columns; a column whose cells are all empty is dropped. */
export function formatColumns(table: readonly string[][]): string[] {
  const columns = table[0].map((_, c) => c).filter((c) => table.length === 1 || table.slice(1).some((row) => row[c] !== ""));
  const widths = columns.map((c) => Math.max(...table.map((row) => row[c].length)));
  return table.map((row) => columns.map((c, i) => row[c].padEnd(widths[i])).join("  ").trimEnd());
}

export function registerRunsCommand(program: Command, io: { out(text: string): void }): void {
  program
    .command("runs")
    .description("list a recipe's runs with their varying axes, status (done, damaged, started-not-finished, pending), best epoch and metrics")
    .argument("<recipe>", "built-in recipe name or path to a recipe folder")
    .option("--out <dir>", "output directory the recipe ran into (default: config outDir, else ./runs)")
    .option("--smoke", "the recipe's smoke mode")
    .option("--seed <n>", "root seed the runs were planned with")
    .option("--filter <path=value>", "only runs whose spec has this value (repeatable)", (value: string, previous: string[]) => [...previous, value], [])
    .option("--csv", "print CSV")
    .option("--json", "print JSON")
    .action(async (ref: string, opts: { out?: string; smoke?: boolean; seed?: string; filter: string[]; csv?: boolean; json?: boolean }) => {
      if (opts.csv && opts.json) throw new XferError("runs: choose one of --csv and --json");
      const { config, registry } = await loadConfig({ file: program.opts().config });
      const { recipe } = await loadRecipe(ref, registry);
      if (recipe.kind === "analysis") throw new XferError(`runs: ${recipe.name} is an analysis recipe; it trains no runs`);
      const seed = opts.seed === undefined ? undefined : Number(opts.seed);
      if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) throw new XferError(`--seed: expected a non-negative integer, got "${opts.seed}"`);
      // The recipe's own runs (those of its upstream recipes are listed by `xfer runs <upstream recipe>`).
      const runs = (await planRecipeStages(recipe, { seed, defaultSeed: config.seed, smoke: opts.smoke ?? false, filters: opts.filter.map(parseFilter) }, registry, config)).at(-1)!.runs;
      const dir = resolve(opts.out ?? config.outDir, recipe.name);
      const { axes, rows } = runRows(runs, await storedBySpecHash(dir));
      if (opts.json) {
        io.out(JSON.stringify(rows, null, 2));
        return;
      }
      if (opts.csv) {
        io.out(rowsTable(axes, rows, 64).map((row) => row.map(csvField).join(",")).join("\n"));
        return;
      }
      const table = rowsTable(axes, rows);
      const counts = (["done", "damaged", "started-not-finished", "pending"] as const).map((s) => `${rows.filter((r) => r.status === s).length} ${s}`);
      io.out(`${recipe.name} in ${dir}: ${rows.length} run(s): ${counts.join(", ")}`);
      for (const line of formatColumns(table)) io.out(`  ${line}`);
    });
}

/** What `xfer plan` prints: the run count and how many are done in `dir`, each varying axis with its values, then the runs as a table. */
export function planLines(recipeName: string, runs: readonly PlannedRun[], stored: ReadonlyMap<string, StoredState>, dir: string): string[] {
  const { axes, rows } = runRows(runs, stored);
  const done = rows.filter((r) => r.status === "done").length;
  const lines = [`${recipeName}: ${runs.length} run(s), ${done} already done in ${dir}`];
  for (const axis of axes) lines.push(`  ${axis}: ${[...new Set(rows.map((r) => r.axes[axis]))].join(", ")}`);
  const table = rowsTable(axes, rows).map((row) => row.slice(0, axes.length + 2));
  return [...lines, ...formatColumns(table).map((line) => `  ${line}`)];
}
