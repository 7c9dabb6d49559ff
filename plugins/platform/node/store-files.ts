/**
 * The file run store's low-level file operations (shared by run-store.ts and claims.ts): writes
 * that land whole or not at all (temp, fsync, rename or link, fsync of the folder), exclusive
 * publication by link(2), and reads that tell a missing file from an error.
 */
import { randomBytes } from "node:crypto";
import { link, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { sortKeys, XferError } from "../../../core/index.ts";
import type { JsonValue } from "../../../core/index.ts";

/** This host's name as it appears in attempt ids, temp names and claims (letters, digits, dashes). */
export const HOST = hostname().replace(/[^A-Za-z0-9-]/g, "-").slice(0, 48) || "host";

/** link(2): atomic, and fails when `dest` exists (unlike rename, which replaces), also on NFS. */
export async function publishOnce(src: string, dest: string): Promise<boolean> {
  try {
    await link(src, dest);
  } catch (error) {
    if (isCode(error, "EEXIST")) return false;
    if (isCode(error, "EPERM") || isCode(error, "ENOTSUP") || isCode(error, "EOPNOTSUPP")) {
      throw new XferError(`${dirname(dest)}: the file system refuses hard links (${(error as NodeJS.ErrnoException).code}); xfer publishes results with link(2) so a finished run is never overwritten; use a local disk or NFS for --out`);
    }
    throw error;
  }
  await syncDir(dirname(dest));
  return true;
}

/** Writes JSON (sorted keys) to `path` atomically: see writeBytesAtomic. */
export async function writeJsonAtomic(path: string, value: JsonValue): Promise<void> {
  await writeBytesAtomic(path, JSON.stringify(sortKeys(value), null, 2) + "\n");
}

/**
 * Writes to a temp file next to `path` (named by host, pid and a random suffix, so a later run can
 * tell it is xfer's and whether its writer still lives), fsyncs it, renames it into place and
 * fsyncs the directory: once this returns, the file survives a crash whole or not at all.
 */
export async function writeBytesAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${HOST}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const file = await open(tmp, "wx");
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !isCode(error, "ESRCH");
  }
}

export async function syncDir(dir: string): Promise<void> {
  if (process.platform === "win32") return; // directories cannot be opened for fsync there; NTFS journals renames
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (isCode(error, "ENOENT")) return undefined;
    throw error;
  }
}

export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if (isCode(error, "ENOENT") || isCode(error, "ENOTDIR")) return [];
    throw error;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isCode(error, "ENOENT")) return false;
    throw error;
  }
}

export function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}
