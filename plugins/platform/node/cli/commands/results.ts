/**
 * From stored runs to a report, one path: `xfer results <recipe> --csv FILE` writes the best-runs
 * table (core/results-export.ts; upstream runs are read from <out>/<upstream recipe>);
 * `xfer report <recipe>` reads the same table and runs the trend analysis of the transfer-trends
 * recipe on it (or the recipe's own analysis, `report.analysis`), writing the report files into
 * <out>/<recipe>/report/. Also the parsers of the
 * analysis flags (`--x`, `--threshold`, `--scale`).
 */
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { formatText, parseResultsTable, parseScale, predictionIntervals, runStoreSource, type AnalysisRecipe, type Scale } from "../../../../../core/analysis/index.ts";
import { XferError } from "../../../../../core/errors.ts";
import { IMAGENET_COLUMN } from "../../../../../core/analysis/results.ts";
import { bestRunsTable, exportedTable, resultsCsv, selectRunGroup, type ExportedRow } from "../../../../../core/results-export.ts";
import { SeedTree } from "../../../../../core/rng.ts";
import type { StoredRun } from "../../../../../core/contracts.ts";
import type { TrainRecipe } from "../../../../../core/recipe.ts";
import { BACKBONE_CATALOG, catalogModel } from "../../../../backbones/index.ts";
import transferTrends from "../../../../../recipes/transfer-trends/recipe.ts";
import { loadConfig } from "../../config.ts";
import { FsRunStore } from "../../run-store.ts";
import { loadRecipe } from "../recipes.ts";

interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** `--threshold N` or `--threshold none`. */
export function parseThreshold(text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === "none") return null;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new XferError(`--threshold: expected a number or "none", got "${text}"`);
  return value;
}

/** Repeated `--scale TASK=0-1|0-100` flags as task -> scale. */
export function parseScales(flags: readonly string[]): Record<string, Scale> | undefined {
  if (flags.length === 0) return undefined;
  const out: Record<string, Scale> = {};
  for (const flag of flags) {
    const at = flag.lastIndexOf("=");
    if (at <= 0) throw new XferError(`--scale: expected TASK=0-1 or TASK=0-100, got "${flag}"`);
    const task = flag.slice(0, at).trim();
    if (task in out) throw new XferError(`--scale: task "${task}" is given twice`);
    out[task] = parseScale(flag.slice(at + 1).trim(), `--scale ${task}`);
  }
  return out;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface GroupFlags {
  readonly seed?: string;
  readonly backend?: string;
}

function parseGroupFlags(opts: GroupFlags): { seed?: number; backend?: string } {
  if (opts.seed === undefined) return { backend: opts.backend };
  const seed = Number(opts.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new XferError(`--seed: expected a non-negative integer, got "${opts.seed}"`);
  return { seed, backend: opts.backend };
}

/** The best run per (model, task, kept axes) among a training recipe's stored runs of one (seed, backend) group. */
async function bestRuns(
  ref: string, out: string | undefined, configFile: string | undefined, io: Io, group: GroupFlags, keptAxes: (recipe: TrainRecipe) => readonly string[],
) {
  const { config, registry } = await loadConfig({ file: configFile });
  const { recipe } = await loadRecipe(ref, registry);
  if (recipe.kind !== "train") throw new XferError(`"${recipe.name}" is an analysis recipe: \`xfer run ${recipe.name}\` writes its report`);
  const by = keptAxes(recipe);
  const outDir = resolve(out ?? config.outDir);
  const store = new FsRunStore(join(outDir, recipe.name));
  const found: StoredRun[] = [];
  for (const id of await store.list()) {
    const lookup = await store.lookup(id);
    if (lookup.state === "done") found.push(lookup.run);
    else if (lookup.state === "damaged") io.err(`xfer: warning: run ${id} is damaged and left out: ${lookup.problem}${lookup.keptAs.length > 0 ? `; kept aside as ${lookup.keptAs.join(", ")}` : ""}`);
  }
  if (found.length === 0) throw new XferError(`no finished runs of "${recipe.name}" in ${store.dir}; run \`xfer run ${recipe.name}\` first`);
  const stored = selectRunGroup(found, parseGroupFlags(group));
  const ctx = { seeds: new SeedTree(0) };
  const rows: ExportedRow[] = await bestRunsTable(stored, {
    async selection(datasetRef) {
      const metric = (await registry.create("dataset", datasetRef, ctx)).meta.selectionMetric;
      return { metric, direction: (await registry.create("metric", { name: metric }, ctx)).direction };
    },
    imagenetTop1: (backbone) => BACKBONE_CATALOG.get(backbone)?.meta.imagenetTop1,
    async upstreamRun(upstreamRecipe, id) {
      const upstreamStore = upstreamRecipe === recipe.name ? store : new FsRunStore(join(outDir, upstreamRecipe));
      const lookup = await upstreamStore.lookup(id);
      if (lookup.state === "done") return lookup.run;
      return lookup.state === "damaged" ? `damaged: ${lookup.problem}` : `no finished result in ${upstreamStore.dir}`;
    },
  }, { by });
  for (const row of rows) if (row.paramsNote !== undefined) io.err(`xfer: warning: ${row.model}: params left empty: ${row.paramsNote}`);
  return { recipe, store, stored, rows, registry, by };
}

/** `--analysis NAME`: an analysis recipe (built-in or a folder), never a training recipe. */
async function analysisRecipe(ref: string, registry: Parameters<typeof loadRecipe>[1]): Promise<AnalysisRecipe> {
  const { recipe } = await loadRecipe(ref, registry);
  if (recipe.kind !== "analysis") throw new XferError(`--analysis ${ref}: "${recipe.name}" is a training recipe; expected an analysis recipe (e.g. model-size, melanoma-metrics)`);
  return recipe;
}

/** imagenet_top1 when some model has it, else the one upstream score column, else imagenet_top1 (whose absence the parser explains). */
function defaultX(rows: readonly ExportedRow[]): string {
  if (rows.some((row) => row.imagenetTop1 !== undefined)) return IMAGENET_COLUMN;
  const upstream = new Set(rows.flatMap((row) => (row.upstream === undefined ? [] : [row.upstream.column])));
  return upstream.size === 1 ? [...upstream][0] : IMAGENET_COLUMN;
}

export function registerResultsCommands(program: Command, io: Io): void {
  program
    .command("results")
    .description("export the grid's best run per (model, task) as the results table the analysis reads")
    .argument("<recipes...>", "built-in recipe names or paths to recipe folders; several make one table (e.g. imagenet-transfer imagenet-transfer-appendix for Table 15)")
    .option("--out <dir>", "where the recipe's runs are, and its upstream recipes' (default: config outDir, else ./runs)")
    .requiredOption("--csv <file>", "write the table here (model, imagenet_top1 or upstream_<metric>, params, log10_params, one column per task)")
    .option("--by <axis>", "keep this axis instead of choosing over it: a tag (transfer) or spec path (augment, training.mode); one column per task and value (repeatable)", collect, [])
    .option("--seed <n>", "only the runs of this root seed (needed when the stored runs have several)")
    .option("--backend <name>", "only the runs computed on this backend (needed when the stored runs used several)")
    .action(async (refs: string[], opts: { out?: string; csv: string; by: string[] } & GroupFlags) => {
      const rows: ExportedRow[] = [];
      const from = new Map<string, string>();
      for (const ref of refs) {
        const best = await bestRuns(ref, opts.out, program.opts().config, io, opts, () => opts.by);
        // One row per model: the same model in two recipes would be two rows the analysis cannot tell apart.
        for (const row of best.rows) {
          const earlier = from.get(row.model);
          if (earlier !== undefined) throw new XferError(`model "${row.model}" has runs in both "${earlier}" and "${best.recipe.name}"; export them separately`);
          from.set(row.model, best.recipe.name);
        }
        rows.push(...best.rows);
        io.out(`${best.recipe.name}: best of ${best.stored.length} run(s) for ${best.rows.length} model(s)`);
      }
      await writeFile(opts.csv, resultsCsv(rows));
      io.out(`${rows.length} model(s) written to ${opts.csv}`);
    });

  program
    .command("report")
    .description("report of a training recipe's runs: best run per (model, task), then the transfer-trends analysis (or the recipe's own)")
    .argument("<recipe>", "built-in training recipe name or path to a recipe folder")
    .option("--out <dir>", "where the recipe's runs are; the report goes to <dir>/<recipe>/report (default: config outDir, else ./runs)")
    .option("--x <column>", "x column of the trends (default: the recipe's report.x, else imagenet_top1 when known, else the upstream score)")
    .option("--threshold <n>", "fit also the models with x above N (default: 70 for imagenet_top1, else none; \"none\" for no threshold)")
    .option("--scale <task=scale>", "scale of a task the dataset facts table does not know: 0-1 or 0-100 (repeatable)", collect, [])
    .option("--by <axis>", "keep this axis instead of choosing over it, as in xfer results (repeatable; default: the recipe's report.by)", collect, [])
    .option("--seed <n>", "only the runs of this root seed (needed when the stored runs have several)")
    .option("--backend <name>", "only the runs computed on this backend (needed when the stored runs used several)")
    .option("--results <file>", "recipes with their own analysis (clip-transfer): analyse this results table instead of your runs")
    .option("--paper", "recipes with their own analysis: analyse the paper's printed tables instead of your runs")
    .option("--analysis <recipe>", "run this analysis recipe on the runs instead (e.g. model-size, melanoma-metrics on imagenet-transfer)")
    .action(async (ref: string, opts: { out?: string; x?: string; threshold?: string; scale: string[]; by: string[]; results?: string; paper?: boolean; analysis?: string } & GroupFlags) => {
      if (opts.analysis !== undefined && (opts.results !== undefined || opts.paper)) {
        throw new XferError(`--analysis runs on your runs; for a table use \`xfer run ${opts.analysis} --results FILE\``);
      }
      if (opts.results !== undefined || opts.paper) {
        const { config, registry } = await loadConfig({ file: program.opts().config });
        const { recipe } = await loadRecipe(ref, registry);
        const analysis = recipe.kind === "train" ? recipe.report?.analysis : undefined;
        if (analysis === undefined) throw new XferError(`--results and --paper are for recipes with their own analysis (report.analysis); "${recipe.name}" has none (\`xfer run <analysis recipe> --results FILE\` analyses a table)`);
        if (opts.results !== undefined && opts.paper) throw new XferError("--results and --paper: give one (your table, or the paper's printed tables)");
        const threshold = parseThreshold(opts.threshold);
        const { runAnalysis } = await import("../../report-writer.ts");
        await runAnalysis(analysis, {
          resultsPath: opts.results, outDir: join(resolve(opts.out ?? config.outDir, recipe.name), "report"), seed: 0, log: io.out, paper: opts.paper === true,
          x: opts.x, scales: parseScales(opts.scale), ...(threshold === undefined ? {} : { threshold }),
        });
        return;
      }
      // The analysis is looked up first, so a wrong name is told before the runs are read.
      const chosen = opts.analysis === undefined ? undefined : await analysisRecipe(opts.analysis, (await loadConfig({ file: program.opts().config })).registry);
      const { recipe, store, rows, registry, by } = await bestRuns(
        ref, opts.out, program.opts().config, io, opts, (r) => (opts.by.length > 0 ? opts.by : r.report?.by ?? []),
      );
      // The recipe's comparison needs its axis kept; a --by without it gets the trends alone, and is told so.
      const wanted = recipe.report?.compare;
      const compare = wanted !== undefined && by.includes(wanted.axis) ? wanted : undefined;
      if (wanted !== undefined && compare === undefined) io.err(`xfer: note: no ${wanted.axis} comparison: --by ${by.join(", ") || "(none)"} does not keep "${wanted.axis}"`);
      const analysis = chosen ?? recipe.report?.analysis ?? transferTrends;
      const source = runStoreSource(store, registry);
      // transfer-trends' Figure 4 takes each cell's bootstrap interval from its run's stored
      // predictions (cells without are named); other analyses resample `predictions` themselves.
      let intervals: Awaited<ReturnType<typeof predictionIntervals>>["intervals"] | undefined;
      if (analysis === transferTrends) {
        const computed = await predictionIntervals(rows, source, { seed: 0 });
        for (const cell of computed.without) io.err(`xfer: note: no interval for ${cell.task} / ${cell.model}: ${cell.reason}`);
        intervals = computed.intervals;
      }
      const x = opts.x ?? recipe.report?.x ?? defaultX(rows);
      const table = parseResultsTable(exportedTable(rows, `best runs of ${recipe.name} in ${store.dir}`), { x, scales: parseScales(opts.scale) });
      const threshold = parseThreshold(opts.threshold);
      const report = await analysis.analyze({
        results: table, seed: 0, ...(intervals === undefined ? {} : { intervals }), by, catalog: catalogModel, predictions: { rows, source }, ...(compare === undefined ? {} : { compare }), ...(threshold === undefined ? {} : { threshold }),
      });
      for (const line of formatText(report)) io.out(line);
      const dir = join(store.dir, "report");
      // Loaded here, not at start-up: vega and resvg are for the commands that draw.
      const { writeReport } = await import("../../report-writer.ts");
      const files = await writeReport(report, dir, { warn: (message) => io.err(`xfer: figure warning: ${message}`) });
      io.out(`wrote ${files.length} files to ${dir}: ${files.join(", ")}`);
    });
}
