/**
 * `xfer splits make` writes a split manifest (counts per class and SHA-256 of each ordered id
 * list); `xfer splits verify` recomputes it from the data and fails with a diff of counts when
 * the data or the split changed. Failures are XferErrors, which the CLI turns into exit code 1.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Command } from "commander";
import type { DatasetContext, DatasetIndex, JsonObject } from "../../../../../core/contracts.ts";
import { InputError, XferError } from "../../../../../core/errors.ts";
import type { PluginRegistry } from "../../../../../core/plugin.ts";
import { SeedTree } from "../../../../../core/rng.ts";
import {
  REFERENCE_SPLITS, buildSplitManifest, diffSplitManifests, parseSplitManifest, type SplitManifest,
} from "../../../../../core/splits/index.ts";

export interface SplitsCommandDeps {
  /** The registry, or how to build it when a command runs (the CLI's reads the config's plugins). */
  readonly registry: PluginRegistry | (() => Promise<PluginRegistry>);
  /** The context a dataset plugin indexes `root` with (Node: nodeDatasetContext; the CLI imports it, and sharp, when a command reads a dataset). */
  makeDatasetContext(root: string): DatasetContext | Promise<DatasetContext>;
}

/** The data or the split no longer matches a manifest. */
export class SplitDriftError extends XferError {
  override name = "SplitDriftError";
}

interface ManifestRequest {
  readonly dataset: { name: string; options: JsonObject };
  /** Absent: chosen from the index by `defaultSplitter`, with `defaultSplitterOptions` on top. */
  readonly splitter?: { name: string; options: JsonObject };
  readonly defaultSplitterOptions?: JsonObject;
  readonly seed: number;
}

/**
 * The split a dataset gets when neither --splitter nor a reference split names one: a dataset that
 * ships train and test partitions (Fashion-MNIST, CIFAR-10) keeps its test set and carves val from
 * train (`predefined-holdout`); any other is split class-stratified (`stratified-holdout`).
 */
export function defaultSplitter(index: DatasetIndex): { name: string; options: JsonObject } {
  const partitions = index.predefinedSplits ?? {};
  return partitions.train !== undefined && partitions.test !== undefined
    ? { name: "predefined-holdout", options: { train: "train", test: "test" } }
    : { name: "stratified-holdout", options: {} };
}

/**
 * Indexes the dataset under `root` (default: the dataset's usual location, such as Debian's
 * Fashion-MNIST), splits it and builds the manifest.
 */
/** `onSkipped` hears each sample the dataset left out (skipMissing, skipUndecodable), with its reason. */
export async function computeSplitManifest(
  deps: SplitsCommandDeps,
  request: ManifestRequest,
  root: string | undefined,
  onSkipped: (skipped: { id: string; reason: string }) => void = () => {},
): Promise<SplitManifest> {
  const ctx = { seeds: new SeedTree(request.seed) };
  const registry = typeof deps.registry === "function" ? await deps.registry() : deps.registry;
  const dataset = await registry.create("dataset", request.dataset, ctx);
  const dir = root ?? dataset.meta.defaultRoot;
  if (dir === undefined) throw new InputError("--root", `dataset "${request.dataset.name}" has no default location; give --root DIR`);
  const index = await dataset.index(await deps.makeDatasetContext(dir));
  index.skipped?.forEach(onSkipped);
  const fallback = defaultSplitter(index);
  const splitterRef = request.splitter ?? { name: fallback.name, options: { ...fallback.options, ...request.defaultSplitterOptions } };
  const splitter = await registry.create("splitter", splitterRef, ctx);
  return buildSplitManifest({
    // Folder- and CSV-based datasets learn their class names while indexing.
    dataset: { ...request.dataset, classNames: index.classNames ?? dataset.meta.classNames },
    splitter: splitterRef,
    seed: request.seed,
    index,
    split: splitter.split(index, request.seed),
  });
}

function parseJsonOption(flag: string, text: string | undefined): JsonObject {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(flag, `expected a JSON object, got ${JSON.stringify(text)} (${(error as Error).message})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new InputError(flag, `expected a JSON object, got ${text}`);
  return value as JsonObject;
}

function parseSeed(text: string): number {
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed)) throw new InputError("--seed", `expected a non-negative integer, got "${text}"`);
  return seed;
}

function summarize(manifest: SplitManifest): string {
  return Object.entries(manifest.splits).map(([name, s]) => `${name} ${s.count}`).join(", ");
}

interface MakeOptions { root?: string; out: string; splitter?: string; splitterOptions?: string; seed?: string; datasetOptions?: string; skipMissing?: boolean }

/**
 * Adds `splits make` and `splits verify` to `program`. Without --splitter, a paper dataset gets
 * the reference code's split and seed (REFERENCE_SPLITS), any other dataset `defaultSplitter`.
 */
export function registerSplitsCommand(program: Command, deps: SplitsCommandDeps): Command {
  const splits = program.command("splits").description("make and verify split manifests (counts per class, SHA-256 of id lists)");

  splits
    .command("make")
    .description("split a dataset and write its manifest")
    .argument("<dataset>", "dataset plugin name (e.g. aptos2019, csv, image-folder)")
    .option("--root <dir>", "dataset root directory (default: the dataset's usual location, if it has one)")
    .requiredOption("--out <file>", "manifest file to write (JSON)")
    .option("--splitter <name>", "splitter plugin (default: the dataset's reference split; else predefined-holdout when it ships train/test, else stratified-holdout)")
    .option("--splitter-options <json>", "splitter options as a JSON object")
    .option("--seed <n>", "split seed (default: the dataset's reference seed, else 0)")
    .option("--dataset-options <json>", "dataset plugin options as a JSON object")
    .option("--skip-missing", "leave out samples whose files are missing, and report how many (dataset option skipMissing)")
    .action(async (datasetName: string, opts: MakeOptions, command: Command) => {
      const reference = REFERENCE_SPLITS[datasetName];
      const splitterOptions = parseJsonOption("--splitter-options", opts.splitterOptions);
      const splitter = opts.splitter !== undefined
        ? { name: opts.splitter, options: splitterOptions }
        : reference !== undefined
          ? { name: reference.splitter, options: opts.splitterOptions === undefined ? reference.options : splitterOptions }
          : undefined;
      const request: ManifestRequest = {
        dataset: {
          name: datasetName,
          options: { ...parseJsonOption("--dataset-options", opts.datasetOptions), ...(opts.skipMissing ? { skipMissing: true } : {}) },
        },
        splitter,
        defaultSplitterOptions: splitterOptions,
        seed: opts.seed === undefined ? (reference?.seed ?? 0) : parseSeed(opts.seed),
      };
      // The manifest keeps the count; the samples themselves are listed here, never left silent.
      const manifest = await computeSplitManifest(deps, request, opts.root, ({ id, reason }) =>
        command.configureOutput().writeErr?.(`xfer: ${datasetName}: left out sample ${id}: ${reason}\n`));
      await mkdir(dirname(opts.out), { recursive: true });
      await writeFile(opts.out, `${JSON.stringify(manifest, null, 2)}\n`);
      const skipped = manifest.index.skipped > 0 ? `; ${manifest.index.skipped} sample(s) skipped by the dataset` : "";
      command.configureOutput().writeOut?.(`${opts.out}: ${datasetName} split by ${manifest.splitter.name} (seed ${request.seed}): ${summarize(manifest)}${skipped}\n`);
    });

  splits
    .command("verify")
    .description("recompute a manifest from the data; exit code 1 with a diff when anything changed")
    .argument("<file>", "manifest written by `xfer splits make`")
    .option("--root <dir>", "dataset root directory (default: the dataset's usual location, if it has one)")
    .action(async (file: string, opts: { root?: string }, command: Command) => {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(file, "utf8"));
      } catch (error) {
        throw new InputError(file, `cannot read a JSON split manifest: ${(error as Error).message}`);
      }
      const expected = parseSplitManifest(raw, file);
      const actual = await computeSplitManifest(deps, expected, opts.root);
      const diff = diffSplitManifests(expected, actual);
      if (diff.length > 0) {
        throw new SplitDriftError(`splits verify: ${file} does not match the data under ${opts.root ?? "the default root"} (manifest -> now):\n  ${diff.join("\n  ")}`);
      }
      command.configureOutput().writeOut?.(`${file}: ok (${summarize(actual)})\n`);
    });

  return splits;
}
