/**
 * Runs an analysis and writes its report: the text files core renders (report.md, report.json,
 * one CSV per table, each figure's Vega-Lite spec) and each figure as SVG and PNG (Vega-Lite
 * compiled to Vega, rendered headless to SVG; resvg rasterizes the SVG, so no native canvas is
 * needed), and report.html: tables and interactive figures with vega, vega-lite and vega-embed
 * inlined, so it opens from the file system. Each file is written beside its final name and renamed into place; nothing else in
 * the folder is touched.
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { XferError } from "../../../core/errors.ts";
import type { AnalysisRecipe, AnalysisReport, Figure, Scale } from "../../../core/analysis/index.ts";
import { formatHtml, formatText, parseResultsTable, reportTextFiles, type HtmlScripts } from "../../../core/analysis/index.ts";
import { readDelimited } from "./results-csv.ts";
import { catalogModel } from "../../backbones/index.ts";

export interface RunAnalysisOptions {
  /** `--results FILE`; required by recipes whose input is "raw-table". */
  readonly resultsPath?: string;
  /** `--out DIR`: the report's files are written (or replaced) there; other files are left alone. */
  readonly outDir?: string;
  /** `--x COL`, `--threshold N|none`, `--scale TASK=0-1|0-100` (results-table recipes). */
  readonly x?: string;
  readonly threshold?: number | null;
  readonly scales?: Readonly<Record<string, Scale>>;
  readonly seed: number;
  /** `--paper`: a "raw-table" recipe analyses the paper's printed tables, no file (aptos-interventions). */
  readonly paper?: boolean;
  log(line: string): void;
}

export async function runAnalysis(recipe: AnalysisRecipe, options: RunAnalysisOptions): Promise<AnalysisReport> {
  const file = options.resultsPath === undefined ? undefined : await readDelimited(options.resultsPath);
  if (recipe.input === "raw-table" && file === undefined && !options.paper) {
    throw new XferError(`recipe "${recipe.name}" analyses a results file you supply: pass --results FILE (see recipes/${recipe.name}/README.md)`);
  }
  if (recipe.input === "raw-table" && (options.x !== undefined || options.threshold !== undefined || options.scales !== undefined)) {
    throw new XferError(`recipe "${recipe.name}" reads its own file format: --x, --threshold and --scale do not apply`);
  }
  if (file === undefined && options.scales !== undefined) throw new XferError("--scale applies to a --results file");
  const input = recipe.input === "raw-table"
    ? { file, seed: options.seed }
    : {
      results: file === undefined ? undefined : parseResultsTable(file, { x: options.x, scales: options.scales }),
      seed: options.seed,
      ...(options.x === undefined ? {} : { x: options.x }),
      ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
    };
  const report = await recipe.analyze({ ...input, catalog: catalogModel });
  for (const line of formatText(report)) options.log(line);
  if (options.outDir !== undefined) {
    const files = await writeReport(report, options.outDir, {
      warn: (message) => options.log(`figure warning: ${message}`),
      keep: options.resultsPath === undefined ? [] : [options.resultsPath],
    });
    options.log(`wrote ${files.length} files to ${options.outDir}: ${files.join(", ")}`);
  }
  return report;
}

/** Vega-Lite -> Vega -> SVG, headless (no DOM, no canvas). Warnings go to `warn`, not the console. */
export async function renderSvg(figure: Figure, warn: (message: string) => void = () => {}): Promise<string> {
  const logger = vega.logger(vega.Warn);
  const forward = (...args: readonly unknown[]) => {
    warn(`${figure.key}: ${args.map(String).join(" ")}`);
    return logger;
  };
  logger.warn = forward;
  logger.error = forward;
  const vegaSpec = compile(figure.spec as unknown as TopLevelSpec, { logger }).spec;
  const view = new vega.View(vega.parse(vegaSpec), { renderer: "none", logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

const require = createRequire(import.meta.url);

/** The minified browser (UMD) builds of the installed vega, vega-lite and vega-embed. */
async function browserScripts(): Promise<HtmlScripts> {
  // vega-embed exports only its entry points; its minified UMD build sits beside the CommonJS one.
  const [vegaSource, vegaLite, vegaEmbed] = await Promise.all([
    readFile(require.resolve("vega/build/vega.min.js"), "utf8"),
    readFile(require.resolve("vega-lite/build/vega-lite.min.js"), "utf8"),
    readFile(join(dirname(require.resolve("vega-embed")), "vega-embed.min.js"), "utf8"),
  ]);
  return { vega: vegaSource, vegaLite, vegaEmbed };
}

export interface WriteReportOptions {
  readonly warn?: (message: string) => void;
  /** Input files the report must not replace (e.g. `--results` inside the out folder). */
  readonly keep?: readonly string[];
}

/**
 * Writes the report's files into `outDir` (created if needed), each atomically: a temporary file
 * in the same folder, renamed over the report file of that name. Other files in the folder,
 * including an older report's files this report no longer writes, are left as they are.
 * Everything is rendered before the first file lands. Returns the file names.
 */
export async function writeReport(report: AnalysisReport, outDir: string, options: WriteReportOptions = {}): Promise<string[]> {
  const files: [string, string | Buffer][] = reportTextFiles(report);
  for (const figure of report.figures) {
    const svg = await renderSvg(figure, options.warn);
    files.push([`${figure.key}.svg`, svg], [`${figure.key}.png`, svgToPng(svg)]);
  }
  files.push(["report.html", formatHtml(report, await browserScripts())]);
  const target = resolve(outDir);
  const kept = new Set((options.keep ?? []).map((path) => resolve(path)));
  const clash = files.find(([name]) => kept.has(join(target, name)));
  if (clash !== undefined) {
    throw new XferError(`--out ${outDir}: the report writes ${clash[0]}, which is your input file there; move the input or choose another --out`);
  }
  await mkdir(target, { recursive: true });
  for (const [name, content] of files) {
    const temporary = join(target, `.${name}.${process.pid}.tmp`);
    try {
      await writeFile(temporary, content, { flag: "wx" });
      await rename(temporary, join(target, name));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
  return files.map(([name]) => name);
}
