/**
 * `DataIO` over the local file system, rooted at a dataset root. Relative paths resolve against
 * the root; absolute paths are used as given (a split file kept outside the data, for example).
 */
import { access, readdir, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import type { DataIO } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";

/** Python's sorted() on str compares code points; JS `<` compares UTF-16 code units, as the contract says. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class NodeIO implements DataIO {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  resolve(path: string): string {
    return isAbsolute(path) ? path : join(this.root, path);
  }

  async readText(path: string): Promise<string> {
    return new TextDecoder("utf-8").decode(await this.readBytes(path));
  }

  async readBytes(path: string): Promise<Uint8Array> {
    const full = this.resolve(path);
    try {
      const buffer = await readFile(full);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      throw new InputError(full, describe(error, "expected a readable file"));
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await access(this.resolve(path));
      return true;
    } catch {
      return false;
    }
  }

  async list(path: string): Promise<string[]> {
    const full = this.resolve(path);
    try {
      return (await readdir(full)).sort(byCodeUnits);
    } catch (error) {
      throw new InputError(full, describe(error, "expected a readable directory"));
    }
  }

  async isDirectory(path: string): Promise<boolean> {
    try {
      return (await stat(this.resolve(path))).isDirectory();
    } catch {
      return false;
    }
  }

  join(...parts: string[]): string {
    return join(...parts);
  }
}

function describe(error: unknown, expected: string): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return `not found (${expected})`;
  if (code === "EISDIR") return `is a directory (${expected})`;
  if (code === "ENOTDIR") return `is not a directory (${expected})`;
  return `${error instanceof Error ? error.message : String(error)} (${expected})`;
}
