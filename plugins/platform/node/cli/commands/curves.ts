/**
 * `xfer curves <recipe>`: training loss, validation loss, validation metrics and learning rate per
 * epoch of a recipe's stored runs (all, or `--runs id,...`), written as curves.vl.json, curves.svg
 * and curves.png into <out>/<recipe>/report/. Also the store reading `xfer evaluate` shares.
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { curveLabel, curvesFigure } from "../../../../../core/analysis/curves.ts";
import type { StoredRun } from "../../../../../core/contracts.ts";
import { XferError } from "../../../../../core/errors.ts";
import type { PluginRegistry } from "../../../../../core/plugin.ts";
import type { XferConfig } from "../../../../../core/config.ts";
import type { TrainRecipe } from "../../../../../core/recipe.ts";
import { loadConfig } from "../../config.ts";
import { FsRunStore, writeBytesAtomic } from "../../run-store.ts";
import { loadRecipe } from "../recipes.ts";

interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface RecipeStore {
  readonly config: XferConfig;
  readonly registry: PluginRegistry;
  readonly recipe: TrainRecipe;
  readonly store: FsRunStore;
}

/** A training recipe's run store under `--out` (default: the config's outDir). */
export async function openRecipeStore(ref: string, out: string | undefined, configFile: string | undefined): Promise<RecipeStore> {
  const { config, registry } = await loadConfig({ file: configFile });
  const { recipe } = await loadRecipe(ref, registry);
  if (recipe.kind !== "train") throw new XferError(`"${recipe.name}" is an analysis recipe: it trains no runs (\`xfer run ${recipe.name}\` writes its report)`);
  return { config, registry, recipe, store: new FsRunStore(resolve(out ?? config.outDir, recipe.name)) };
}

/** The one stored run whose identity starts with `prefix` (at least 6 hex digits), among finished runs. */
export async function findRun(store: FsRunStore, prefix: string): Promise<string> {
  if (!/^[0-9a-f]{6,64}$/.test(prefix)) throw new XferError(`run "${prefix}": expected a run identity or a prefix of it (6 to 64 hex digits, as \`xfer run\` prints)`);
  const ids = await store.list();
  const matches = ids.filter((id) => id.startsWith(prefix));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new XferError(`run "${prefix}" is ambiguous in ${store.dir}: ${matches.map((m) => m.slice(0, 12)).join(", ")}; give more digits`);
  const unfinished = (await store.unfinished()).filter((id) => id.startsWith(prefix));
  if (unfinished.length > 0) throw new XferError(`run ${unfinished[0].slice(0, 12)} in ${store.dir} was started but never finished (no result.json); run the recipe again to finish it`);
  throw new XferError(`no finished run "${prefix}" in ${store.dir} (finished: ${ids.map((id) => id.slice(0, 12)).join(", ") || "none"})`);
}

/** Finished runs (all, or the named ones in the order named); damaged and unfinished ones are reported on stderr. */
async function readRuns(store: FsRunStore, named: readonly string[] | undefined, io: Io): Promise<StoredRun[]> {
  const ids = named === undefined ? await store.list() : await Promise.all(named.map((prefix) => findRun(store, prefix)));
  const runs: StoredRun[] = [];
  for (const id of ids) {
    const found = await store.lookup(id);
    if (found.state === "done") runs.push(found.run);
    else if (found.state === "damaged") io.err(`xfer: warning: run ${id} is damaged and left out: ${found.problem}${found.keptAs.length > 0 ? `; kept aside as ${found.keptAs.join(", ")}` : ""}`);
  }
  if (named === undefined) {
    const unfinished = await store.unfinished();
    if (unfinished.length > 0) io.err(`xfer: ${unfinished.length} run(s) started but not finished, not drawn: ${unfinished.map((id) => id.slice(0, 12)).join(", ")}`);
  }
  return runs;
}

export function registerCurvesCommand(program: Command, io: Io): void {
  program
    .command("curves")
    .description("draw training loss, validation loss, validation metrics and learning rate per epoch of a recipe's runs (report/curves.svg, .png, .vl.json)")
    .argument("<recipe>", "built-in recipe name or path to a recipe folder")
    .option("--out <dir>", "output directory the recipe was run into (default: config outDir, else ./runs)")
    .option("--runs <ids>", "comma-separated run identities or prefixes (default: every finished run)")
    .action(async (ref: string, opts: { out?: string; runs?: string }) => {
      const { recipe, store } = await openRecipeStore(ref, opts.out, program.opts().config);
      const named = opts.runs === undefined ? undefined : opts.runs.split(",").map((s) => s.trim()).filter(Boolean);
      if (named !== undefined && named.length === 0) throw new XferError(`--runs: expected run identities separated by commas, got "${opts.runs}"`);
      const runs = await readRuns(store, named, io);
      if (runs.length === 0) throw new XferError(`no finished runs of "${recipe.name}" in ${store.dir}; run \`xfer run ${ref}\` first`);
      const figure = curvesFigure(recipe.name, runs.map((run) => ({ label: curveLabel(run), result: run.result })));
      // Loaded here, not at start-up: vega and resvg are for the commands that draw.
      const { renderSvg, svgToPng } = await import("../../report-writer.ts");
      // Rendered before the first file lands, so a failure leaves no half-written figure.
      const svg = await renderSvg(figure, (message) => io.err(`xfer: warning: ${message}`));
      const png = svgToPng(svg);
      const dir = join(store.dir, "report");
      await mkdir(dir, { recursive: true });
      const files: [string, string | Uint8Array][] = [["curves.vl.json", JSON.stringify(figure.spec, null, 2) + "\n"], ["curves.svg", svg], ["curves.png", png]];
      for (const [name, content] of files) await writeBytesAtomic(join(dir, name), content);
      io.out(`${recipe.name}: curves of ${runs.length} run(s) written to ${dir}: ${files.map(([name]) => name).join(", ")}`);
    });
}
