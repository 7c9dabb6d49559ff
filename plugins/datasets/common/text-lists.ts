/**
 * Plain-text image lists (one entry per line: VOC's ImageSets, DTD's labels/<split><n>.txt) and the
 * "root is the dataset folder, or holds it" lookup of archives that unpack into a named folder.
 */
import type { DataIO } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";

export interface TextLine {
  /** 1-based line number. */
  readonly line: number;
  /** The line without surrounding white space. */
  readonly text: string;
}

/** The non-blank lines of a text file; names the file and what it should hold when it is missing. */
export async function readLines(io: DataIO, path: string, expected: string): Promise<TextLine[]> {
  if (!(await io.exists(path))) throw new InputError(path, `file not found; expected ${expected}`);
  return (await io.readText(path)).split(/\r?\n/).flatMap((raw, i) => (raw.trim() === "" ? [] : [{ line: i + 1, text: raw.trim() }]));
}

/**
 * The first of `candidates` (folders relative to the root, "." for the root itself) that holds
 * `marker`; an error listing what was looked for otherwise.
 */
export async function findDatasetDir(io: DataIO, candidates: readonly string[], marker: string, expected: string): Promise<string> {
  for (const dir of candidates) if (await io.isDirectory(dir === "." ? marker : `${dir}/${marker}`)) return dir;
  const looked = candidates.map((dir) => (dir === "." ? marker : `${dir}/${marker}`));
  throw new InputError(looked[0], `not a directory (nor ${looked.slice(1).join(", ")}); expected ${expected}`);
}

/** `dir/name`, or `name` when `dir` is the root. */
export function under(dir: string, name: string): string {
  return dir === "." ? name : `${dir}/${name}`;
}
