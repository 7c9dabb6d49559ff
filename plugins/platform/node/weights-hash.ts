/**
 * The weights part of a run's identity on Node: reads a checkpoint with the backbones' readers
 * (.safetensors, .pth, a converted tfjs directory) and hashes its tensors (core/run-identity.ts),
 * so the same weights in another format or place give the same identity. Reading a large
 * checkpoint takes seconds, so each file is hashed once per process per (path, size, mtime); a
 * file replaced in place changes size or mtime and is hashed again.
 */
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { tensorsSha256 } from "../../../core/run-identity.ts";
import { readCheckpoint } from "../../backbones/weights/index.ts";

const hashes = new Map<string, Promise<string>>();

export async function weightsTensorsHash(path: string): Promise<string> {
  const key = await fileKey(resolve(path));
  let hash = hashes.get(key);
  if (!hash) {
    hash = readCheckpoint(path).then((tensors) => tensorsSha256(tensors));
    hashes.set(key, hash);
    hash.catch(() => hashes.delete(key));
  }
  return hash;
}

/** Path, size and mtime; for a weights directory, those of each file in it. */
async function fileKey(path: string): Promise<string> {
  const s = await stat(path);
  if (!s.isDirectory()) return `${path}\u0000${s.size}\u0000${s.mtimeMs}`;
  const names = (await readdir(path)).sort();
  const parts = await Promise.all(names.map(async (name) => {
    const file = await stat(join(path, name));
    return `${name}\u0000${file.size}\u0000${file.mtimeMs}`;
  }));
  return [path, ...parts].join("\u0001");
}
