/**
 * The third recipe kind: a **measure** recipe reads datasets directly and computes one report,
 * with no grid of training runs and no results table (FID between datasets, `dataset-fid`). It
 * gets what it reads through `MeasureInput`, so it stays runtime-free: dataset roots and their
 * DatasetContext, the configured weights, and `files`, a folder of its own in the output
 * directory for what a rerun may reuse (feature caches). `xfer run` starts the backend, calls
 * `measure` and writes the report as an analysis recipe's (report.md, report.json, CSVs, figures).
 */
import type { AnalysisReport } from "./analysis/report.ts";
import type { DatasetContext } from "./contracts.ts";
import type { PluginRegistry } from "./plugin.ts";

/** Files a measure recipe keeps in its output folder; names are relative paths with "/". */
export interface MeasureFiles {
  /** The file's bytes, or undefined when there is none. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Writes the whole file or nothing (a temporary file renamed into place). */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** Where `name` lies, for messages. */
  where(name: string): string;
}

export interface MeasureInput {
  /** Root seed of the recipe's random streams (`--seed`, else the config's). */
  readonly seed: number;
  /** `--smoke`: the recipe's small mode on xfer's fixtures. */
  readonly smoke: boolean;
  /** Dataset name -> data root: the config's `dataRoots`, or with `--smoke` xfer's fixtures for the datasets that have one. */
  readonly dataRoots: Readonly<Record<string, string>>;
  /** Backbone id -> weights file (the config's `weights`). */
  readonly weights: Readonly<Record<string, string>>;
  readonly registry: PluginRegistry;
  /** The DatasetContext (files and image decoder) of a data root. */
  datasetContext(root: string): DatasetContext;
  readonly files: MeasureFiles;
  log(line: string): void;
}

export interface MeasureRecipe {
  readonly kind: "measure";
  readonly name: string;
  readonly description: string;
  measure(input: MeasureInput): Promise<AnalysisReport>;
}

export function defineMeasureRecipe(recipe: Omit<MeasureRecipe, "kind">): MeasureRecipe {
  return { kind: "measure", ...recipe };
}
