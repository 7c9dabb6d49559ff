/**
 * Text, Markdown, CSV and HTML renderings of a report model (Node-free): what the terminal prints
 * and the text files a report writes. The Node platform adds the SVG and PNG of each figure and
 * hands report.html the plotting libraries' browser builds, which it inlines.
 */
import { XferError } from "../errors.ts";
import { countMatches, type AnalysisReport, type Cell, type ReportTable, type VegaLiteSpec } from "./report.ts";

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
export function reasonNotes(table: ReportTable): string[] {
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

function matchSummary(table: ReportTable): string {
  const { matched, notMatched } = countMatches(table);
  return matched + notMatched === 0 ? "" : ` — ${matched} of ${matched + notMatched} published cells matched`;
}

/** Plain-text tables for the terminal: "recomputed | published mark" per cell. */
export function formatText(report: AnalysisReport): string[] {
  const lines = [`${report.title}`, `input: ${report.source}`, ""];
  for (const table of report.tables) {
    lines.push(`${table.title}${matchSummary(table)}`);
    const head = [table.rowLabel, ...table.columns.map((c) => c.label)];
    const body = table.rows.map((row) => [row.key, ...table.columns.map((c) => (row.cells[c.key] ? cellText(row.cells[c.key]) : ""))]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
    const fmt = (r: string[]) => "  " + r.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
    lines.push(fmt(head), ...body.map(fmt));
    for (const note of reasonNotes(table)) lines.push(`    ${note}`);
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
    out.push(`## ${table.title}${matchSummary(table)}`, "");
    out.push(`| ${[table.rowLabel, ...table.columns.map((c) => c.label)].map(mdEscape).join(" | ")} |`);
    out.push(`|${" --- |".repeat(table.columns.length + 1)}`);
    for (const row of table.rows) {
      const cells = table.columns.map((c) => (row.cells[c.key] ? cellText(row.cells[c.key]) : ""));
      out.push(`| ${[row.key, ...cells].map(mdEscape).join(" | ")} |`);
    }
    const why = reasonNotes(table);
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

/** One CSV field: quoted when it holds a comma, quote or line break. */
export function csvField(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line per cell: row, column, recomputed, published, precision, match, reason. */
export function tableCsv(table: ReportTable): string {
  const lines = [[table.rowLabel, "column", "recomputed", "published", "precision", "match", "reason"].map(csvField).join(",")];
  for (const row of table.rows) {
    for (const column of table.columns) {
      const c = row.cells[column.key];
      if (c === undefined) continue;
      lines.push([row.key, column.key, c.recomputed, c.published, c.precision, c.match, c.reason].map(csvField).join(","));
    }
  }
  return lines.join("\n") + "\n";
}

/** The text files of a report, by file name: report.md, report.json, one CSV per table, each figure's Vega-Lite spec. */
export function reportTextFiles(report: AnalysisReport): [name: string, content: string][] {
  return [
    ["report.md", formatMarkdown(report)],
    ["report.json", JSON.stringify(report.json, null, 2) + "\n"],
    ...report.tables.map((table): [string, string] => [`${table.key}.csv`, tableCsv(table)]),
    ...report.figures.map((figure): [string, string] => [`${figure.key}.vl.json`, JSON.stringify(figure.spec, null, 1) + "\n"]),
  ];
}

/** The browser builds (UMD) report.html inlines, so it opens from the file system with no network. */
export interface HtmlScripts {
  readonly vega: string;
  readonly vegaLite: string;
  readonly vegaEmbed: string;
}

function htmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A library inside <script>: a "</script" or "<!--" in its text would end or derail the element. */
function inlineScript(name: string, source: string): string {
  if (/<\/script|<!--/i.test(source)) throw new XferError(`report.html: the ${name} build contains "</script" or "<!--" and cannot be inlined`);
  return `<script>${source}</script>`;
}

/** JSON inside <script>: "<" escaped, so data can never close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/**
 * Points whose encoding names no tooltip show every field of their datum (the model among them);
 * a figure's own tooltip encoding is kept.
 */
function withDataTooltips(spec: VegaLiteSpec): VegaLiteSpec {
  const config = (spec.config ?? {}) as Record<string, unknown>;
  const mark = (config.mark ?? {}) as Record<string, unknown>;
  return { ...spec, config: { ...config, mark: { tooltip: { content: "data" }, ...mark } } } as VegaLiteSpec;
}

function htmlTable(table: ReportTable): string {
  const head = [table.rowLabel, ...table.columns.map((c) => c.label)].map((h) => `<th>${htmlEscape(h)}</th>`).join("");
  const body = table.rows.map((row) => {
    const cells = table.columns.map((column) => {
      const c = row.cells[column.key];
      if (c === undefined) return "<td></td>";
      const title = c.reason === undefined ? "" : ` title="${htmlEscape(c.reason)}"`;
      return `<td class="match-${String(c.match)}"${title}>${htmlEscape(cellText(c))}</td>`;
    });
    return `<tr><th>${htmlEscape(row.key)}</th>${cells.join("")}</tr>`;
  });
  const notes = [...reasonNotes(table), ...(table.notes ?? [])].map((n) => `<li>${htmlEscape(n)}</li>`).join("");
  return `<section id="${htmlEscape(table.key)}"><h2>${htmlEscape(table.title + matchSummary(table))}</h2>
<table><thead><tr>${head}</tr></thead><tbody>${body.join("\n")}</tbody></table>${notes === "" ? "" : `<ul class="notes">${notes}</ul>`}</section>`;
}

/**
 * report.html: the tables, claims and notes as HTML and each figure drawn by vega-embed (SVG,
 * tooltips on hover), with vega, vega-lite and vega-embed inlined: one self-contained file.
 */
export function formatHtml(report: AnalysisReport, scripts: HtmlScripts): string {
  const claims = report.claims.length === 0 ? "" : `<section id="claims"><h2>Claims</h2><table><thead><tr><th>claim</th><th>holds</th><th>recomputed</th></tr></thead><tbody>${
    report.claims.map((c) => `<tr><td>${htmlEscape(c.statement)}</td><td class="match-${c.holds}">${c.holds ? "✓ yes" : "✗ no"}</td><td>${htmlEscape(c.detail)}</td></tr>`).join("\n")
  }</tbody></table></section>`;
  const figures = report.figures.map((f) => `<section><h2>${htmlEscape(f.title)}</h2><div class="figure" id="figure-${htmlEscape(f.key)}" data-figure="${htmlEscape(f.key)}"></div></section>`);
  const notes = report.notes.length === 0 ? "" : `<section id="notes"><h2>Notes</h2><ul>${report.notes.map((n) => `<li>${htmlEscape(n)}</li>`).join("")}</ul></section>`;
  const specs = Object.fromEntries(report.figures.map((f) => [f.key, withDataTooltips(f.spec)]));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${htmlEscape(report.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; font-variant-numeric: tabular-nums; }
td.match-false { background: #fde8e8; }
td.match-true { background: #e8f6e8; }
.notes { font-size: 0.85em; color: #555; }
.figure-error { color: #b00; }
</style>
${inlineScript("vega", scripts.vega)}
${inlineScript("vega-lite", scripts.vegaLite)}
${inlineScript("vega-embed", scripts.vegaEmbed)}
</head>
<body>
<h1>${htmlEscape(report.title)}</h1>
<p>Input: ${htmlEscape(report.source)}</p>
<p>Each cell: recomputed | published, then ✓ (equal at the printed precision), ✗ (not; hover the cell for the reason) or · (nothing published to compare). Hover a point of a figure to see its model and values.</p>
${report.tables.map(htmlTable).join("\n")}
${claims}
${figures.join("\n")}
${notes}
<script>
const specs = ${scriptJson(specs)};
for (const element of document.querySelectorAll("[data-figure]")) {
  vegaEmbed(element, specs[element.dataset.figure], { renderer: "svg", actions: false, tooltip: true }).catch((error) => {
    element.textContent = "figure could not be drawn: " + error.message;
    element.className = "figure-error";
    console.error(error);
  });
}
</script>
</body>
</html>
`;
}
