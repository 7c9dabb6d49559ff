/**
 * The `xfer` command line. Config (cosmiconfig) is read here and nowhere else; core receives
 * validated objects. Every command returns an exit code instead of calling process.exit, so the
 * CLI is testable in-process.
 */
import { Command, CommanderError, Option } from "commander";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { axesLabel, parseFilter, varyingAxes, XferError, type PlanOptions } from "../../../../core/index.ts";
import type { EnvironmentRecord, XferConfig } from "../../../../core/index.ts";
import { readdirSync } from "node:fs";
import { convertWeights } from "../../../backbones/index.ts";
import { registerSplitsCommand } from "./commands/splits.ts";
import { registerCurvesCommand } from "./commands/curves.ts";
import { registerEvaluateCommand } from "./commands/evaluate.ts";
import { registerSubmitCommand } from "./commands/submit.ts";
import { planLines, registerRunsCommand, storedBySpecHash } from "./commands/runs.ts";
import { registerCompareCommand } from "./commands/compare.ts";
import { registerNewCommand } from "./commands/new.ts";
import { registerSlurmCommands } from "./commands/slurm.ts";
import { parseScales, parseThreshold, registerResultsCommands } from "./commands/results.ts";
import { builtinRegistry } from "../../../manifest.ts";
import { loadConfig } from "../config.ts";
import type { PluginRegistry, RunSpec } from "../../../../core/index.ts";
import { backendChoices, selectBackend, type BackendSelection } from "../../../backends/select.ts";
import { registerStatusCommand } from "./commands/status.ts";
import { defaultJobs, sweepSettings, type SweepFlags } from "./workers.ts";
import { planProblems, preflightError } from "./preflight.ts";
import { errorReport, verboseRequested } from "./error-report.ts";
import { builtinRecipeNames, loadRunnableRecipe, planRecipeStages } from "./recipes.ts";

// Start-up: a module that only some commands use (report figures: vega, vega-lite, resvg; the run
// services and dataset contexts: sharp; the sweep's progress bars) is imported by those commands when they run, not here:
// every `xfer` process, `--help` included, would load it first (README, The test suite's budget).

/** package.json is the one source of the version. */
function xferVersion(): string {
  const { version } = createRequire(import.meta.url)("../../../../package.json") as { version?: unknown };
  if (typeof version !== "string" || version === "") throw new XferError(`package.json: "version" must be a non-empty string, got ${JSON.stringify(version)}`);
  return version;
}

const VERSION = xferVersion();

interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Ends a command with an exit code other than 0 after it has said why (a sweep with failed runs, or stopped by a signal). */
class CommandExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const stdio: Io = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
};

/** fixtures/datasets/<name> for every built-in dataset with a fixture in xfer (what `--smoke` reads for it). */
function fixtureDataRoots(registry: PluginRegistry): Record<string, string> {
  const dir = resolve(import.meta.dirname, "../../../../fixtures/datasets");
  return Object.fromEntries(readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && registry.has("dataset", e.name) && registry.sourceOf("dataset", e.name) === "built-in")
    .map((e) => [e.name, resolve(dir, e.name)]));
}

/**
 * The data roots of a smoke run: xfer's fixtures for built-in datasets, the recipe's own
 * `smokeDataRoots` for its datasets, the config's roots for the rest; each dataset's root and
 * where it came from is printed.
 */
function smokeDataRoots(config: XferConfig, registry: PluginRegistry, recipeRoots: Record<string, string>, specs: readonly RunSpec[], io: Io): Record<string, string> {
  const fixtures = fixtureDataRoots(registry);
  for (const name of [...new Set(specs.map((spec) => spec.dataset.name))].sort()) {
    const [root, from] = recipeRoots[name] !== undefined ? [recipeRoots[name], "the recipe's smokeDataRoots"]
      : fixtures[name] !== undefined ? [fixtures[name], "xfer's fixture"]
        : config.dataRoots[name] !== undefined ? [config.dataRoots[name], "config dataRoots: the recipe's smokeDataRoots names none for it"]
          : [undefined, ""];
    // A dataset that reads no files (synthetic) has no root to report.
    if (root !== undefined) io.err(`xfer: smoke data root of ${name}: ${root} (${from})`);
  }
  return { ...config.dataRoots, ...fixtures, ...recipeRoots };
}

/** Starts the configured (or fastest available) backend; the record goes into every result. */
async function startBackend(config: XferConfig, io: Io, registry: PluginRegistry = builtinRegistry()): Promise<BackendSelection> {
  const selection = await selectBackend(registry, {
    prefer: config.backend,
    wasmThreads: config.wasmThreads,
    warn: io.err,
  });
  return { ...selection, versions: { ...selection.versions, xfer: VERSION } };
}

interface BackendFlags {
  readonly backend?: string;
  readonly wasmThreads?: string;
}

/** The config with `--backend` and `--wasm-threads` applied. */
function withBackendFlags(config: XferConfig, opts: BackendFlags): XferConfig {
  const threads = opts.wasmThreads === undefined ? config.wasmThreads : Number(opts.wasmThreads);
  if (!Number.isInteger(threads) || threads < 1) throw new XferError(`--wasm-threads must be a positive integer, got "${opts.wasmThreads}"`);
  return { ...config, backend: opts.backend ?? config.backend, wasmThreads: threads };
}

function addBackendFlags(command: Command): Command {
  return command
    .addOption(new Option("--backend <name>", "compute backend plugin, or auto (xfer list plugins)").choices(backendChoices(builtinRegistry())))
    .option("--wasm-threads <n>", "XNNPACK threads for wasm (opt-in above 1, Node only; see docs/backends.md)");
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function planOptions(opts: { seed?: string; smoke?: boolean; filter: string[] }, defaultSeed?: number): PlanOptions {
  return {
    seed: opts.seed === undefined ? undefined : parseSeed(opts.seed),
    defaultSeed,
    smoke: opts.smoke ?? false,
    filters: opts.filter.map(parseFilter),
  };
}

function parseSeed(text: string): number {
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new XferError(`--seed: expected a non-negative integer, got "${text}"`);
  return seed;
}

/** `argv`: the command line as typed (node, script, arguments), for `xfer run`'s resume hint and its workers. */
export function buildProgram(io: Io = stdio, argv: readonly string[] = process.argv): Command {
  const program = new Command("xfer")
    .description("Reproduce transfer-learning studies of image classifiers: plan, run and report recipes.")
    .option("-V, --version", "print the xfer version and the compute backend it would use")
    .option("--config <file>", "config file (default: searched upward from the cwd by cosmiconfig)")
    .option("--verbose", "on an error, print its stack too (also XFER_VERBOSE=1)")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError()
    .exitOverride();

  program
    .command("list")
    .description("list plugins (built-in and the config's, by kind) and built-in recipes")
    .argument("[what]", "plugins | recipes | all", "all")
    .action(async (what: string) => {
      if (!["plugins", "recipes", "all"].includes(what)) throw new XferError(`list: unknown "${what}"; expected plugins, recipes or all`);
      if (what !== "recipes") {
        const { registry } = await loadConfig({ file: program.opts().config });
        io.out("plugins:");
        for (const plugin of registry.all()) {
          const source = registry.sourceOf(plugin.meta.kind, plugin.meta.name);
          io.out(`  ${plugin.meta.kind.padEnd(12)} ${plugin.meta.name.padEnd(34)} ${plugin.meta.version.padEnd(7)} ${plugin.meta.description}${source === "built-in" ? "" : ` (from ${source})`}`);
        }
      }
      if (what !== "plugins") {
        io.out("recipes:");
        for (const name of builtinRecipeNames()) io.out(`  ${name}`);
      }
    });

  program
    .command("plan")
    .description("expand a recipe's grid into runs, each with its content hash")
    .argument("<recipe>", "built-in recipe name (e.g. aptos-augmentation) or path to a recipe folder")
    .option("--json", "print the RunSpecs as JSON")
    .option("--smoke", "plan the recipe's smoke mode (fixtures, tiny models, few steps)")
    .option("--seed <n>", "root seed for every run")
    .option("--filter <path=value>", "keep runs whose spec has this value, typed as JSON: training.lr=1e-2 matches 0.01 (repeatable)", collect, [])
    .option("--strict", "make preflight's problems (unknown plugins, bad options, missing data roots or weights) errors")
    .option("--out <dir>", "output directory whose finished runs are counted as done (default: config outDir, else ./runs)")
    .action(async (ref: string, opts: { json?: boolean; smoke?: boolean; seed?: string; filter: string[]; strict?: boolean; out?: string }) => {
      const { config, registry } = await loadConfig({ file: program.opts().config });
      const { recipe, smokeDataRoots: recipeSmokeRoots } = await loadRunnableRecipe(ref, registry);
      if (recipe.kind !== "train") {
        io.out(`${recipe.name} is ${recipe.kind === "analysis" ? "an analysis" : "a measure"} recipe: it trains nothing; \`xfer run ${recipe.name}\` computes its report`);
        return;
      }
      const stages = await planRecipeStages(recipe, planOptions(opts, config.seed), registry, config);
      const runs = stages[stages.length - 1].runs;
      const allRuns = stages.flatMap((stage) => stage.runs);
      const dataRoots = opts.smoke ? smokeDataRoots(config, registry, recipeSmokeRoots, allRuns.map((r) => r.spec), io) : config.dataRoots;
      const problems = await planProblems(registry, allRuns, config, dataRoots);
      if (opts.strict && problems.length > 0) throw preflightError(recipe.name, problems);
      for (const problem of problems) io.err(`xfer: warning: ${problem}`);
      if (opts.json) {
        // The recipe's own runs; their specs name the upstream runs they load (upstream.run).
        io.out(JSON.stringify(runs, null, 2));
        return;
      }
      const base = resolve(opts.out ?? config.outDir);
      for (const [i, stage] of stages.entries()) {
        if (stages.length > 1) io.out(`stage ${i + 1}/${stages.length}${i < stages.length - 1 ? ` (upstream of ${stages[i + 1].recipe.name})` : ""}:`);
        const outDir = join(base, stage.recipe.name);
        for (const line of planLines(stage.recipe.name, stage.runs, await storedBySpecHash(outDir), outDir)) io.out(line);
      }
    });

  const runCommand = program
    .command("run")
    .description("run every planned run of a recipe that has no stored result yet (resumable)")
    .argument("<recipe>", "built-in recipe name or path to a recipe folder")
    .option("--out <dir>", "output directory; the recipe writes into <dir>/<recipe> (default: config outDir, else ./runs)")
    .option("--results <file>", "analysis recipes: your own results table (CSV/TSV) instead of the embedded published one")
    .option("--x <column>", "analysis recipes: x column of the trends (default imagenet_top1; e.g. log10_params)")
    .option("--threshold <n>", "analysis recipes: fit also the models with x above N (default 70 for imagenet_top1, else none; \"none\")")
    .option("--scale <task=scale>", "analysis recipes: scale of a task the dataset facts table does not know, 0-1 or 0-100 (repeatable)", collect, [])
    .option("--seed <n>", "root seed for every run")
    .option("--smoke", "run the recipe's smoke mode")
    .option("--filter <path=value>", "only runs whose spec has this value (repeatable)", collect, [])
    .option("--jobs <n>", "worker processes on this machine, splitting the runs through claims (default: cores / the backend's threads per worker, at most the run count; docs/training.md)")
    .option("--fail-fast", "stop the sweep at the first failed run (default: record its error.json and go on)")
    .option("--max-attempts <n>", "a run that failed this many times is not tried again (default 3)")
    .option("--lease <seconds>", "a claim whose heartbeat is older is stale and taken over (default 300; heartbeat every lease/10, at most 30 s)")
    // A parent `xfer run --jobs N` starts its workers with this; it needs the parent's IPC channel.
    .addOption(new Option("--worker <n>").hideHelp())
    .addOption(new Option("--sweep-since <ms>").hideHelp());
  addBackendFlags(runCommand)
    .action(async (ref: string, opts: { out?: string; results?: string; x?: string; threshold?: string; scale: string[]; seed?: string; smoke?: boolean; filter: string[]; worker?: string } & SweepFlags & BackendFlags) => {
      const settings = sweepSettings(opts);
      const worker = opts.worker === undefined ? undefined : Number(opts.worker);
      if (worker !== undefined && (!Number.isSafeInteger(worker) || worker < 1 || process.send === undefined)) {
        throw new XferError("--worker is internal to xfer run --jobs: a worker process needs its parent's IPC channel");
      }
      try {
        // A worker says nothing its parent has said already (data roots, backend).
        const info: Io = worker === undefined ? io : { out: io.out, err: () => {} };
        const { config, registry } = await loadConfig({ file: program.opts().config });
        const { recipe, smokeDataRoots: recipeSmokeRoots } = await loadRunnableRecipe(ref, registry);
        const outDir = resolve(opts.out ?? config.outDir, recipe.name);
        if (recipe.kind === "measure") {
          if (opts.results !== undefined || opts.x !== undefined || opts.threshold !== undefined || opts.scale.length > 0 || opts.filter.length > 0) {
            throw new XferError(`--results, --x, --threshold, --scale and --filter do not apply to "${recipe.name}", a measure recipe: it reads the datasets of your config's dataRoots (see recipes/${recipe.name}/README.md)`);
          }
          const environment = await startBackend(withBackendFlags(config, opts), io, registry);
          io.err(`xfer: backend ${environment.backend} ${environment.backendVersion} (${environment.threads} thread(s))`);
          const { runMeasure } = await import("../measure-runner.ts");
          await runMeasure(recipe, {
            config, registry, outDir, log: io.out,
            smoke: opts.smoke ?? false,
            seed: opts.seed === undefined ? config.seed : parseSeed(opts.seed),
            // Smoke mode reads xfer's fixture of each built-in dataset that has one.
            dataRoots: opts.smoke ? { ...config.dataRoots, ...fixtureDataRoots(registry) } : config.dataRoots,
          });
          return;
        }
        if (recipe.kind === "analysis") {
          const seed = opts.seed === undefined ? config.seed : parseSeed(opts.seed);
          const threshold = parseThreshold(opts.threshold);
          const { runAnalysis } = await import("../report-writer.ts");
          await runAnalysis(recipe, {
            resultsPath: opts.results, outDir, seed, log: io.out, x: opts.x, scales: parseScales(opts.scale),
            ...(threshold === undefined ? {} : { threshold }),
          });
          return;
        }
        if (opts.results !== undefined || opts.x !== undefined || opts.threshold !== undefined || opts.scale.length > 0) {
          throw new XferError(`--results, --x, --threshold and --scale are for analysis recipes; "${recipe.name}" trains its own runs (\`xfer report ${recipe.name}\` analyses them)`);
        }
        const base = resolve(opts.out ?? config.outDir);
        const stages = (await planRecipeStages(recipe, planOptions(opts, config.seed), registry, config))
          .map((stage) => ({ recipe: stage.recipe.name, runs: stage.runs, outDir: join(base, stage.recipe.name) }));
        const runs = stages.flatMap((stage) => stage.runs);
        // Smoke mode reads fixtures: xfer's for built-in datasets, the recipe's own for its datasets.
        const dataRoots = opts.smoke ? smokeDataRoots(config, registry, recipeSmokeRoots, runs.map((r) => r.spec), info) : config.dataRoots;
        // --backend decides the heap check too: wasm's 4 GiB cap is not tfjs-node's.
        const backendConfig = withBackendFlags(config, opts);
        const problems = await planProblems(registry, runs, backendConfig, dataRoots);
        if (problems.length > 0) throw preflightError(recipe.name, problems);
        const environment: EnvironmentRecord = await startBackend(backendConfig, info, registry);
        info.err(`xfer: backend ${environment.backend} ${environment.backendVersion} (${environment.threads} thread(s))`);
        const jobs = settings.jobs ?? defaultJobs(environment.threads, runs.length);
        if (worker === undefined && settings.jobs === undefined && jobs === 1 && runs.length > 1 && availableParallelism() > environment.threads) {
          io.err(`xfer: 1 worker: the backend's ${environment.threads} thread(s) fill the ${availableParallelism()} cores; --jobs N runs N workers anyway (docs/training.md, Sweeps on every core)`);
        }
        const [{ runParent, runWorker }, { createNodeRoot }] = await Promise.all([import("./sweep.ts"), import("../services.ts")]);
        const ctx = { recipe: recipe.name, stages, runs, outDir, settings, weights: config.weights, io, argv };
        const code = worker === undefined && jobs > 1
          ? await runParent(ctx, jobs)
          : await runWorker(ctx, (logger) => createNodeRoot({ config: { ...config, dataRoots }, registry, runDir: outDir, outDir: base, environment, logger }), worker);
        if (code !== 0) throw new CommandExit(code);
      } finally {
        // An open IPC channel keeps a worker process alive after its last run, or its error.
        if (worker !== undefined && process.connected) process.disconnect();
      }
    });

  registerResultsCommands(program, io);
  registerCurvesCommand(program, io);
  registerEvaluateCommand(program, io);
  registerSubmitCommand(program, io);
  registerRunsCommand(program, io);
  registerCompareCommand(program, io);
  registerNewCommand(program, io);
  registerStatusCommand(program, io);
  registerSlurmCommands(program, io, { smokeDataRoots });

  const convertCommand = program
    .command("weights")
    .description("pretrained weights")
    .command("convert")
    .description("load a PyTorch checkpoint (.safetensors or torchvision .pth) strictly into a backbone and write a tfjs weights directory")
    .argument("<id>", "backbone id, e.g. resnet50.tv_in1k (xfer list plugins)")
    .argument("<checkpoint>", ".safetensors or .pth file")
    .argument("<outdir>", "directory to write: new, empty, or an earlier conversion (whose files it replaces)")
    .option("--input-size <n>", "input size, for ViT position-embedding interpolation");
  addBackendFlags(convertCommand)
    .action(async (id: string, checkpoint: string, outDir: string, opts: { inputSize?: string } & BackendFlags) => {
      const inputSize = opts.inputSize === undefined ? undefined : Number(opts.inputSize);
      if (inputSize !== undefined && !(Number.isInteger(inputSize) && inputSize > 0)) throw new XferError(`--input-size: expected a positive integer, got "${opts.inputSize}"`);
      const { config } = await loadConfig({ file: program.opts().config });
      // building the backbone needs a tensor backend, chosen as `xfer run` chooses it
      await startBackend(withBackendFlags(config, opts), io);
      const { tensors, params } = await convertWeights(id, checkpoint, outDir, { inputSize });
      io.out(`${id}: ${tensors} tensors (${params.toLocaleString("en-US")} parameters) from ${checkpoint} written to ${outDir}`);
    });

  registerSplitsCommand(program, {
    registry: async () => (await loadConfig({ file: program.opts().config })).registry,
    // The config is read when a command indexes a dataset: its allowedDataDirs bound what the dataset may read.
    makeDatasetContext: async (root) => (await import("../context.ts")).nodeDatasetContext(root, loadConfig({ file: program.opts().config }).then(({ config }) => config.allowedDataDirs)),
  });

  const envCommand = program
    .command("env")
    .description("print the compute backend that would be used, its version and threads, and library versions");
  addBackendFlags(envCommand)
    .action(async (opts: BackendFlags) => {
      const { config, filepath, registry } = await loadConfig({ file: program.opts().config });
      const env = await startBackend(withBackendFlags(config, opts), io, registry);
      io.out(JSON.stringify({ xfer: VERSION, config: filepath ?? "(defaults)", ...env }, null, 2));
    });

  return program;
}

/**
 * Runs the CLI; returns the process exit code: 0 done, 1 failed, 2 usage. Every error is caught
 * and printed as one line (the stack with --verbose): none may reach the wasm glue's
 * uncaughtException handler, which rethrows it with a screenful of minified source.
 */
export async function main(argv: readonly string[], io: Io = stdio): Promise<number> {
  try {
    const program = buildProgram(io, argv);
    const args = argv.slice(2);
    const versionArgs = args.filter((arg) => arg !== "--verbose");
    if (versionArgs.length === 1 && (versionArgs[0] === "--version" || versionArgs[0] === "-V")) {
      const { config, registry } = await loadConfig();
      const env = await startBackend(config, io, registry);
      io.out(`xfer ${VERSION} (backend ${env.backend} ${env.backendVersion}, ${env.threads} thread(s), ${env.runtime})`);
      return 0;
    }
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CommandExit) return error.code;
    io.err(errorReport(error, verboseRequested(argv, process.env)));
    return 1;
  }
}
