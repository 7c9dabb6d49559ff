/**
 * Runs a measure recipe (core/measure.ts) on Node: its files live under the recipe's output
 * folder (written atomically), its datasets are read from the config's roots (or the fixtures),
 * and its report is printed and written like an analysis recipe's.
 */
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { formatText, XferError, type AnalysisReport, type MeasureFiles, type MeasureRecipe, type PluginRegistry, type XferConfig } from "../../../core/index.ts";
import { nodeDatasetContext } from "./context.ts";
import { writeReport } from "./report-writer.ts";
import { isCode, writeBytesAtomic } from "./store-files.ts";

export interface RunMeasureOptions {
  readonly config: XferConfig;
  readonly registry: PluginRegistry;
  readonly dataRoots: Readonly<Record<string, string>>;
  readonly smoke: boolean;
  readonly seed: number;
  /** `<out>/<recipe>`: the report and the recipe's files go here. */
  readonly outDir: string;
  log(line: string): void;
}

/** The recipe's files under `dir`; a name that leaves it is a programming error, refused. */
function folderFiles(dir: string): MeasureFiles {
  const base = resolve(dir);
  const path = (name: string) => {
    const full = resolve(base, name);
    if (!full.startsWith(base + sep)) throw new XferError(`measure file "${name}" leaves the recipe's folder ${base}`);
    return full;
  };
  return {
    async read(name) {
      try {
        return new Uint8Array(await readFile(path(name)));
      } catch (error) {
        if (isCode(error, "ENOENT")) return undefined;
        throw error;
      }
    },
    async write(name, bytes) {
      await mkdir(dirname(path(name)), { recursive: true });
      await writeBytesAtomic(path(name), bytes);
    },
    where: path,
  };
}

export async function runMeasure(recipe: MeasureRecipe, options: RunMeasureOptions): Promise<AnalysisReport> {
  const report = await recipe.measure({
    seed: options.seed,
    smoke: options.smoke,
    dataRoots: options.dataRoots,
    weights: options.config.weights,
    registry: options.registry,
    datasetContext: (root) => nodeDatasetContext(root, options.config.allowedDataDirs),
    files: folderFiles(options.outDir),
    log: options.log,
  });
  for (const line of formatText(report)) options.log(line);
  const files = await writeReport(report, options.outDir, { warn: (message) => options.log(`figure warning: ${message}`) });
  options.log(`wrote ${files.length} files to ${options.outDir}: ${files.join(", ")}`);
  return report;
}
