/**
 * Runs an analysis recipe and writes its report: report.md (recomputed | published | match),
 * report.json, one CSV per table, and each figure as SVG and PNG (Vega-Lite compiled to Vega,
 * rendered headless to SVG; resvg rasterizes the SVG, so no native canvas is needed).
 * The report directory is written in a temporary sibling and renamed into place.
 */
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { XferError } from "../../../core/errors.ts";
import type { AnalysisRecipe, AnalysisReport, Cell, Figure, ReportTable } from "../../../core/analysis/index.ts";
import { parseResultsTable } from "../../../core/analysis/index.ts";
import { readDelimited } from "./results-csv.ts";

export interface RunAnalysisOptions {
  /** `--results FILE`; required by recipes whose input is "raw-table". */
  readonly resultsPath?: string;
  /** `--out DIR`: replaced by the new report (refused if it holds anything but a previous report). */
  readonly outDir?: string;
  readonly seed: number;
  log(line: string): void;
}

export async function runAnalysis(recipe: AnalysisRecipe, options: RunAnalysisOptions): Promise<AnalysisReport> {
  const file = options.resultsPath === undefined ? undefined : await readDelimited(options.resultsPath);
  if (recipe.input === "raw-table" && file === undefined) {
    throw new XferError(`recipe "${recipe.name}" analyses a results file you supply: pass --results FILE (see recipes/${recipe.name}/README.md)`);
  }
  const input = recipe.input === "raw-table"
    ? { file, seed: options.seed }
    : { results: file === undefined ? undefined : parseResultsTable(file), seed: options.seed };
  const report = await recipe.analyze(input);
  for (const line of formatText(report)) options.log(line);
  if (options.outDir !== undefined) {
    const files = await writeReport(report, options.outDir, (message) => options.log(`figure warning: ${message}`));
    options.log(`wrote ${files.length} files to ${options.outDir}: ${files.join(", ")}`);
  }
  return report;
}

const MARK = { true: "✓", false: "✗", null: "·" } as const;

function mark(c: Cell): string {
  return MARK[String(c.match) as keyof typeof MARK];
}

/** The recomputed value with two decimals more than printed, so near-misses are visible. */
export function formatValue(c: Cell): string {
  if (c.recomputed === null) return "—";
  if (c.precision !== null) return c.recomputed.toFixed(c.precision + 2);
  const abs = Math.abs(c.recomputed);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return c.recomputed.toExponential(3);
  return String(Number(c.recomputed.toFixed(4)));
}

function cellText(c: Cell): string {
  // Plain value for cells with nothing published; "| — ·" where a published cell is missing for a reason.
  return c.published === null && c.reason === undefined ? formatValue(c) : `${formatValue(c)} | ${c.published ?? "—"} ${mark(c)}`;
}

/** Footnotes: each distinct reason once, with the cells it explains (unmatched or not comparable). */
function reasons(table: ReportTable): string[] {
  const byReason = new Map<string, string[]>();
  for (const row of table.rows) {
    for (const column of table.columns) {
      const c = row.cells[column.key];
      if (c?.reason === undefined || c.match === true) continue;
      byReason.set(c.reason, [...(byReason.get(c.reason) ?? []), `${row.key} ${column.label}`]);
    }
  }
  return [...byReason].map(([reason, cells]) => `${cells.join(", ")}: ${reason}`);
}

function counts(table: ReportTable): string {
  let yes = 0, no = 0;
  for (const row of table.rows) for (const c of Object.values(row.cells)) {
    if (c.match === true) yes++;
    else if (c.match === false) no++;
  }
  return yes + no === 0 ? "" : ` — ${yes} of ${yes + no} published cells matched`;
}

/** Plain-text tables for the terminal: "recomputed | published mark" per cell. */
export function formatText(report: AnalysisReport): string[] {
  const lines = [`${report.title}`, `input: ${report.source}`, ""];
  for (const table of report.tables) {
    lines.push(`${table.title}${counts(table)}`);
    const head = [table.rowLabel, ...table.columns.map((c) => c.label)];
    const body = table.rows.map((row) => [row.key, ...table.columns.map((c) => (row.cells[c.key] ? cellText(row.cells[c.key]) : ""))]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
    const fmt = (r: string[]) => "  " + r.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
    lines.push(fmt(head), ...body.map(fmt));
    for (const note of reasons(table)) lines.push(`    ${note}`);
    lines.push("");
  }
  for (const claim of report.claims) lines.push(`${claim.holds ? "✓ holds" : "✗ does not hold"}: ${claim.statement} — ${claim.detail}`);
  if (report.claims.length > 0) lines.push("");
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push("✓ matches the published cell at its printed precision, ✗ does not (reason listed), · not compared");
  return lines;
}

function mdEscape(text: string): string {
  return text.replace(/\|/g, "\\|");
}

export function formatMarkdown(report: AnalysisReport): string {
  const out = [`# ${report.title}`, "", `Input: ${mdEscape(report.source)}`, "",
    "Each cell: recomputed | published, then ✓ (equal at the printed precision), ✗ (not; the reason is listed below the table) or · (nothing published to compare).", ""];
  for (const table of report.tables) {
    out.push(`## ${table.title}${counts(table)}`, "");
    out.push(`| ${[table.rowLabel, ...table.columns.map((c) => c.label)].map(mdEscape).join(" | ")} |`);
    out.push(`|${" --- |".repeat(table.columns.length + 1)}`);
    for (const row of table.rows) {
      const cells = table.columns.map((c) => (row.cells[c.key] ? cellText(row.cells[c.key]) : ""));
      out.push(`| ${[row.key, ...cells].map(mdEscape).join(" | ")} |`);
    }
    const why = reasons(table);
    if (why.length > 0) out.push("", ...why.map((r) => `- ${mdEscape(r)}`));
    for (const note of table.notes ?? []) out.push("", `*${mdEscape(note)}*`);
    out.push("");
  }
  if (report.claims.length > 0) {
    out.push("## Claims", "", "| claim | holds | recomputed |", "| --- | --- | --- |");
    for (const c of report.claims) out.push(`| ${mdEscape(c.statement)} | ${c.holds ? "✓ yes" : "✗ no"} | ${mdEscape(c.detail)} |`);
    out.push("");
  }
  if (report.figures.length > 0) {
    out.push("## Figures", "");
    for (const f of report.figures) out.push(`![${f.title}](${f.key}.svg)`, "");
  }
  if (report.notes.length > 0) out.push("## Notes", "", ...report.notes.map((n) => `- ${mdEscape(n)}`), "");
  return out.join("\n");
}

function csvField(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line per cell: row, column, recomputed, published, precision, match, reason. */
export function tableCsv(table: ReportTable): string {
  const lines = [[table.rowLabel, "column", "recomputed", "published", "precision", "match", "reason"].join(",")];
  for (const row of table.rows) {
    for (const column of table.columns) {
      const c = row.cells[column.key];
      if (c === undefined) continue;
      lines.push([row.key, column.key, c.recomputed, c.published, c.precision, c.match, c.reason].map(csvField).join(","));
    }
  }
  return lines.join("\n") + "\n";
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

/** Writes every report file into `outDir` atomically; returns the file names. */
export async function writeReport(report: AnalysisReport, outDir: string, warn: (message: string) => void = () => {}): Promise<string[]> {
  const target = resolve(outDir);
  if (existsSync(target)) {
    const entries = await readdir(target);
    if (entries.length > 0 && !entries.includes("report.json")) {
      throw new XferError(`--out ${outDir}: the directory exists and is not a previous report (no report.json); choose an empty or new directory`);
    }
  }
  await mkdir(dirname(target), { recursive: true });
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    const files: [string, string | Buffer][] = [
      ["report.md", formatMarkdown(report)],
      ["report.json", JSON.stringify(report.json, null, 2) + "\n"],
    ];
    for (const table of report.tables) files.push([`${table.key}.csv`, tableCsv(table)]);
    for (const figure of report.figures) {
      const svg = await renderSvg(figure, warn);
      files.push([`${figure.key}.svg`, svg], [`${figure.key}.png`, svgToPng(svg)]);
      files.push([`${figure.key}.vl.json`, JSON.stringify(figure.spec, null, 1) + "\n"]);
    }
    for (const [name, content] of files) await writeFile(join(staging, name), content);
    // Swap in: the old report (if any) moves aside first, so a reader never sees a mix.
    const previous = existsSync(target) ? `${staging}.old` : undefined;
    if (previous !== undefined) await rename(target, previous);
    await rename(staging, target);
    if (previous !== undefined) await rm(previous, { recursive: true, force: true });
    return files.map(([name]) => name);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
