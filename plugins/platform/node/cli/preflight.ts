/** `xfer run`'s and `xfer plan`'s preflight (core/preflight.ts) with the file system as its probe. */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { XferError, type PlannedRun, type PluginRegistry, type XferConfig } from "../../../../core/index.ts";
import { preflight, WASM_HEAP_LIMIT_BYTES, type PreflightProbe } from "../../../../core/preflight.ts";

const fileSystemProbe: PreflightProbe = {
  directoryProblem: (path) => problemOf(path, "directory"),
  fileProblem: (path) => problemOf(path, "file"),
};

async function problemOf(path: string, expected: "directory" | "file"): Promise<string | undefined> {
  try {
    const found = await stat(path);
    if (expected === "directory" ? !found.isDirectory() : !found.isFile()) return `not a ${expected}`;
    await access(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `no such ${expected}`;
    if (code === "EACCES") return "not readable";
    throw error;
  }
}

/** The plan's problems; `dataRoots` are the roots the runs will read (--smoke's fixtures applied). */
export function planProblems(registry: PluginRegistry, runs: readonly PlannedRun[], config: XferConfig, dataRoots: Readonly<Record<string, string>>): Promise<string[]> {
  return heapLimit(registry, config.backend).then((heapLimitBytes) => preflight({ registry, runs, dataRoots, weights: config.weights, heapLimitBytes }, fileSystemProbe));
}

/**
 * The heap a training step must fit in: wasm's 4 GiB (XFER_HEAP_LIMIT_BYTES instead, for tests: a
 * small step can exceed it) when the backend is wasm or "auto" would pick it (no installed backend
 * ranks before it), else none: tfjs-node and cpu have no such cap.
 */
async function heapLimit(registry: PluginRegistry, backend: string | undefined): Promise<number | undefined> {
  const names = backend === undefined || backend === "auto" ? registry.names("backend") : [backend];
  const installed: { name: string; preference: number }[] = [];
  for (const name of names) {
    if (!registry.has("backend", name)) return undefined;
    const created = await registry.create("backend", { name }, {});
    if (created.providers.some((provider) => provider.isInstalled())) installed.push({ name, preference: created.preference });
  }
  installed.sort((a, b) => a.preference - b.preference || a.name.localeCompare(b.name));
  if (installed[0]?.name !== "wasm") return undefined;
  const text = process.env.XFER_HEAP_LIMIT_BYTES;
  if (text === undefined) return WASM_HEAP_LIMIT_BYTES;
  const bytes = Number(text);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new XferError(`XFER_HEAP_LIMIT_BYTES must be a positive integer number of bytes, got "${text}"`);
  return bytes;
}

/** The error `xfer run` (and `xfer plan --strict`) stops with: every problem, one a line. */
export function preflightError(recipeName: string, problems: readonly string[]): XferError {
  return new XferError(`recipe "${recipeName}" cannot run; preflight found ${problems.length} problem(s):\n  ${problems.join("\n  ")}\n(fix them, or use --filter to run the runs that can)`);
}
