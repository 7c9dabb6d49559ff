/**
 * Reads `--results FILE` for the analysis recipes: comma- or tab-separated (chosen from the header
 * line), with quoting handled by csv-parse. Parsing into a results table is core's job
 * (`parseResultsTable`), so the checks are the same under every runtime.
 */
import { readFile } from "node:fs/promises";
import { parse } from "csv-parse/sync";
import { InputError } from "../../../core/errors.ts";
import type { RawTable } from "../../../core/analysis/index.ts";

/** Tab when the first line has a tab (e.g. Entezari et al.'s results), else comma. */
export function detectDelimiter(text: string): "," | "\t" {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  return firstLine.includes("\t") ? "\t" : ",";
}

export function parseDelimited(source: string, text: string): RawTable {
  let rows: string[][];
  try {
    rows = parse(text, {
      delimiter: detectDelimiter(text),
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true, // counted per row below, with the row named
    }) as string[][];
  } catch (error) {
    throw new InputError(source, `not a readable CSV/TSV file: ${(error as Error).message}`);
  }
  if (rows.length === 0) throw new InputError(source, "is empty; expected a header line");
  const [header, ...records] = rows;
  return { source, header: header.map((h) => h.trim()), records };
}

export async function readDelimited(path: string): Promise<RawTable> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new InputError(path, `cannot read results file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseDelimited(path, text);
}
