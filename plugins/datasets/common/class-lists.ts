/**
 * Class lists, split lists and tab-separated tables as datasets distribute them (Food-101's
 * classes.txt and train.txt, FGVC Aircraft's variants.txt, SUN397's ClassName.txt and partitions,
 * Birdsnap's species.txt and images.txt); errors name the file and line.
 */
import type { DataIO, DatasetIndex, Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClassName, FileCheck, IdSet } from "./index.ts";
import { readLines } from "./text-lists.ts";

/** A class list, one name per line: at least one, printable and distinct. */
export async function readClassList(io: DataIO, path: string, expected: string): Promise<string[]> {
  const lines = await readLines(io, path, expected);
  if (lines.length === 0) throw new InputError(path, `empty file; expected ${expected}`);
  const first = new Map<string, number>();
  for (const { line, text } of lines) {
    checkClassName(text, `${path} line ${line}`);
    const previous = first.get(text);
    if (previous !== undefined) throw new InputError(`${path} line ${line}`, `class "${text}" listed twice (first at line ${previous}); expected each class once`);
    first.set(text, line);
  }
  return lines.map((l) => l.text);
}

/**
 * A tab-separated table whose first line names the fields, read as get_birdsnap.py reads it (each
 * line stripped, then split on tabs): every row has as many fields as the header.
 */
export async function readTsv(io: DataIO, path: string, required: readonly string[], expected: string): Promise<{ line: number; values: Record<string, string> }[]> {
  const [header, ...rows] = await readLines(io, path, expected);
  if (!header) throw new InputError(path, `empty file; expected ${expected}`);
  const columns = header.text.split("\t").map((c) => c.trim());
  const missing = required.filter((name) => !columns.includes(name));
  if (missing.length > 0) {
    throw new InputError(`${path} line ${header.line}`, `missing field ${missing.map((m) => `"${m}"`).join(", ")}; expected a tab-separated header with ${required.join(", ")}, found ${columns.join(", ")}`);
  }
  return rows.map(({ line, text }) => {
    const cells = text.split("\t").map((c) => c.trim());
    if (cells.length !== columns.length) throw new InputError(`${path} line ${line}`, `${cells.length} tab-separated fields; expected ${columns.length} (${columns.join(", ")})`);
    return { line, values: Object.fromEntries(columns.map((name, i) => [name, cells[i]])) };
  });
}

/** One sample named by a line of a split list. */
export interface ListedSample {
  readonly id: string;
  /** The image, relative to the root. */
  readonly file: string;
  readonly label: number;
}

/**
 * The samples of split lists (one text file per predefined split, one sample per line) in list
 * order: `parse` reads a line (throwing an `InputError` naming `where` when it is not what the list
 * holds), ids are unique across the lists, and a missing image is an error or, with `skipMissing`,
 * left out of the samples and splits and listed in `skipped`.
 */
export async function indexSplitLists(
  io: DataIO,
  lists: Readonly<Record<string, string>>,
  expected: string,
  parse: (text: string, where: string) => ListedSample | undefined,
  skipMissing: boolean,
): Promise<DatasetIndex & { samples: Sample[] }> {
  const ids = new IdSet();
  const check = new FileCheck(io, skipMissing);
  const samples: Sample[] = [];
  const predefinedSplits: Record<string, string[]> = {};
  for (const [split, file] of Object.entries(lists)) {
    predefinedSplits[split] = [];
    for (const { line, text } of await readLines(io, file, expected)) {
      const where = `${file} line ${line}`;
      const sample = parse(text, where);
      if (!sample) continue;
      ids.add(sample.id, where);
      if (!(await check.present(sample.id, [sample.file], where))) continue;
      samples.push({ id: sample.id, files: [sample.file], label: sample.label });
      predefinedSplits[split].push(sample.id);
    }
  }
  return { samples, predefinedSplits, skipped: check.skipped };
}
