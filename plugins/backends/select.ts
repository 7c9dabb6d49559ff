/**
 * Compute backend selection at start-up. Order, unless the config or `--backend` names one:
 * `tensorflow` via @tensorflow/tfjs-node-gpu, `tensorflow` via @tensorflow/tfjs-node, `wasm` (with
 * the project's training kernels), `cpu`. A package that is not installed is skipped quietly; one
 * that is installed but fails to load or initialise is reported in `problems` (and through `warn`)
 * and the next candidate is tried. A backend that was asked for by name must work or this throws.
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { setFlagsFromString } from "node:v8";
import type { EnvironmentRecord } from "../../core/contracts.ts";
import { UnknownNameError, XferError } from "../../core/errors.ts";
import { gemmVariant } from "./wasm/kernels/gemm-simd.ts";
import { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from "./wasm/kernels/index.ts";
import { initThreadedWasm } from "./wasm/threads.ts";

export const BACKEND_NAMES = ["tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What the chosen candidate reports once it is the active tfjs backend. */
export interface ActiveBackend {
  readonly version: string;
  readonly threads: number;
  /** Further facts worth recording (e.g. which wasm binary was loaded). */
  readonly details?: Readonly<Record<string, string>>;
}

export interface BackendCandidate {
  /** The tfjs backend name it registers. */
  readonly backend: BackendName;
  /** The npm package that provides it (reported in `package` and in problems). */
  readonly packageName: string;
  /** False when the package is absent: the candidate is then skipped without a word. */
  isInstalled(): boolean;
  /** Loads, registers and activates the backend; throws when the package is present but broken. */
  activate(options: { readonly wasmThreads: number }): Promise<ActiveBackend>;
}

export interface SelectBackendOptions {
  /** A backend name from the config or `--backend`; unset or "auto" means the fastest that works. */
  readonly prefer?: string;
  /** XNNPACK threads for wasm (default 1; more is opt-in and Node only, see docs/backends.md). */
  readonly wasmThreads?: number;
  /** Where reports about broken packages go besides `problems` (default: console.warn). */
  readonly warn?: (message: string) => void;
  /** The candidates in order of preference (default: DEFAULT_CANDIDATES); a seam for tests. */
  readonly candidates?: readonly BackendCandidate[];
}

export interface BackendSelection extends EnvironmentRecord {
  /** The npm package that provides the backend. */
  readonly package: string;
  /** Installed candidates that failed before this one was chosen, one line each. */
  readonly problems: readonly string[];
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

function installed(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

async function activate(name: BackendName): Promise<void> {
  // setBackend resolves false (after a console warning) when initialisation fails.
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed to initialise`);
  await tf.ready();
}

function nativeCandidate(packageName: string): BackendCandidate {
  return {
    backend: "tensorflow",
    packageName,
    isInstalled: () => installed(packageName),
    async activate() {
      // The package registers the "tensorflow" backend on import (and loads libtensorflow).
      await import(packageName);
      await activate("tensorflow");
      return { version: packageVersion(packageName), threads: availableCores() };
    },
  };
}

let wasmPathsSet = false;

/**
 * Node 20's V8 compiles relaxed SIMD (the fused multiply-add of xfer's GEMM kernel) only behind a
 * flag; setting it before the kernel's first compilation is enough. Deno ships it on.
 */
function enableRelaxedSimd(): void {
  if (!("Deno" in globalThis)) setFlagsFromString("--experimental-wasm-relaxed-simd");
}

export const WASM_CANDIDATE: BackendCandidate = {
  backend: "wasm",
  packageName: "@tensorflow/tfjs-backend-wasm",
  isInstalled: () => installed("@tensorflow/tfjs-backend-wasm"),
  async activate({ wasmThreads }) {
    if (!wasmPathsSet) {
      // Load the .wasm binaries from the installed package (a file path, no fetch, no network).
      const dist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
      setWasmPaths(dist + path.sep);
      wasmPathsSet = true;
    }
    enableRelaxedSimd();
    registerWasmTrainingKernels();
    if (wasmThreads > 1 && tf.findBackend("wasm") === null) await initThreadedWasm(wasmThreads, packageVersion("@tensorflow/tfjs-backend-wasm"));
    else await activate("wasm");
    const threads = getThreadsCount();
    if (threads !== wasmThreads) {
      throw new XferError(
        `wasmThreads=${wasmThreads}: the wasm backend of this process already runs ${threads} thread(s); ` +
          "threads are fixed when wasm first initialises, so choose them before anything uses wasm",
      );
    }
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    return {
      version: packageVersion("@tensorflow/tfjs-backend-wasm"),
      threads,
      details: {
        "wasm-binary": threads > 1 ? "threaded-simd" : simd ? "simd" : "baseline",
        // BatchMatMul runs xfer's micro-kernel; its variant sets the rounding.
        "xfer-gemm": gemmVariant(),
        "xfer-wasm-kernels": WASM_TRAINING_KERNELS.join(","),
      },
    };
  },
};

export const CPU_CANDIDATE: BackendCandidate = {
  backend: "cpu",
  packageName: "@tensorflow/tfjs-backend-cpu",
  isInstalled: () => true,
  async activate() {
    await activate("cpu");
    return { version: tf.version_core, threads: 1 };
  },
};

export const DEFAULT_CANDIDATES: readonly BackendCandidate[] = [
  nativeCandidate("@tensorflow/tfjs-node-gpu"),
  nativeCandidate("@tensorflow/tfjs-node"),
  WASM_CANDIDATE,
  CPU_CANDIDATE,
];

function availableCores(): number {
  // libtensorflow sizes its intra-op pool to the cores it sees.
  return os.availableParallelism();
}

function runtimeName(): string {
  const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno;
  return deno?.version?.deno ? `deno ${deno.version.deno}` : `node ${process.versions.node}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const { wasmThreads = 1, warn = (m: string) => console.warn(m), candidates = DEFAULT_CANDIDATES } = options;
  const prefer = options.prefer === "auto" ? undefined : options.prefer;
  if (prefer !== undefined && !(BACKEND_NAMES as readonly string[]).includes(prefer)) {
    throw new UnknownNameError("backend", prefer, ["auto", ...BACKEND_NAMES]);
  }
  const eligible = candidates.filter((c) => prefer === undefined || c.backend === prefer);
  const problems: string[] = [];
  for (const candidate of eligible) {
    if (!candidate.isInstalled()) continue;
    try {
      const active = await candidate.activate({ wasmThreads });
      return {
        backend: candidate.backend,
        backendVersion: active.version,
        threads: active.threads,
        runtime: runtimeName(),
        platform: `${process.platform}-${process.arch}`,
        versions: { "@tensorflow/tfjs-core": tf.version_core, [candidate.packageName]: active.version, ...active.details },
        package: candidate.packageName,
        problems,
      };
    } catch (error) {
      const line = `backend ${candidate.backend} (${candidate.packageName}) is installed but failed: ${message(error)}`;
      if (prefer !== undefined) throw new XferError(line);
      problems.push(line);
      warn(`xfer: ${line}; trying the next backend`);
    }
  }
  const tried = eligible.map((c) => c.packageName).join(", ");
  throw new XferError(
    prefer === undefined
      ? `no compute backend could be started (tried ${tried})`
      : `backend "${prefer}" was requested but none of its packages is installed (${tried}); see docs/backends.md`,
  );
}
