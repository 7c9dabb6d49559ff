/**
 * `DataIO` over the local file system, rooted at a dataset root. Paths resolve against the root
 * and must stay inside it: a `..` escape, an absolute path elsewhere or a symbolic link leading out
 * is an `InputError`, unless it lands in one of `allowedDirs` (config `allowedDataDirs`: a split
 * file kept outside the data, images linked in from another disk). Files a dataset names come from
 * its CSVs and annotations, which may be crafted; reading `../../secret` through them must not work.
 */
import { access, readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import type { DataIO } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";

/** Python's sorted() on str compares code points; JS `<` compares UTF-16 code units, as the contract says. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface NodeIOOptions {
  /** Directories outside the root that paths may name or links may lead into (config `allowedDataDirs`). */
  readonly allowedDirs?: readonly string[] | Promise<readonly string[]>;
}

export class NodeIO implements DataIO {
  readonly root: string;
  readonly #allowedDirs: Promise<readonly string[]>;
  #realDirs: Promise<string[]> | undefined;

  constructor(root: string, options: NodeIOOptions = {}) {
    this.root = resolve(root);
    this.#allowedDirs = Promise.resolve(options.allowedDirs ?? []).then((dirs) => dirs.map((dir) => resolve(dir)));
    // A failure (the config behind a promise) surfaces at the first read, not as an unhandled rejection.
    this.#allowedDirs.catch(() => {});
  }

  /** The absolute path of `path` (relative to the root, or absolute), without any check. */
  resolve(path: string): string {
    return resolve(this.root, path);
  }

  /**
   * The path to open: inside the root or an allowed directory, before and after following links
   * (the real path is returned, so a link swapped after the check is not followed). A path that does
   * not exist passes here and fails when opened.
   */
  async #contained(path: string): Promise<string> {
    const full = this.resolve(path);
    const allowed = await this.#allowedDirs;
    const hint = "expected a path inside the dataset root (list the directory in allowedDataDirs in your xfer config to allow it)";
    if (![this.root, ...allowed].some((dir) => isInside(full, dir))) {
      throw new InputError(path, `resolves to ${full}, outside the dataset root ${this.root}; ${hint}`);
    }
    let real: string;
    try {
      real = await realpath(full);
    } catch {
      return full;
    }
    this.#realDirs ??= Promise.all([this.root, ...allowed].map((dir) => realpath(dir).catch(() => dir)));
    if (!(await this.#realDirs).some((dir) => isInside(real, dir))) {
      throw new InputError(path, `is a symbolic link to ${real}, outside the dataset root ${this.root}; ${hint}`);
    }
    return real;
  }

  async readText(path: string): Promise<string> {
    return new TextDecoder("utf-8").decode(await this.readBytes(path));
  }

  async readBytes(path: string): Promise<Uint8Array> {
    const full = await this.#contained(path);
    try {
      const buffer = await readFile(full);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      throw new InputError(full, describe(error, "expected a readable file"));
    }
  }

  async exists(path: string): Promise<boolean> {
    const full = await this.#contained(path);
    try {
      await access(full);
      return true;
    } catch {
      return false;
    }
  }

  async list(path: string): Promise<string[]> {
    const full = await this.#contained(path);
    try {
      return (await readdir(full)).sort(byCodeUnits);
    } catch (error) {
      throw new InputError(full, describe(error, "expected a readable directory"));
    }
  }

  async isDirectory(path: string): Promise<boolean> {
    const full = await this.#contained(path);
    try {
      return (await stat(full)).isDirectory();
    } catch {
      return false;
    }
  }

  join(...parts: string[]): string {
    return join(...parts);
  }
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
}

function describe(error: unknown, expected: string): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return `not found (${expected})`;
  if (code === "EISDIR") return `is a directory (${expected})`;
  if (code === "ENOTDIR") return `is not a directory (${expected})`;
  return `${error instanceof Error ? error.message : String(error)} (${expected})`;
}
