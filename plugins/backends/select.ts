/**
 * Compute backend selection at start-up, through the plugin registry. Unless the config or
 * `--backend` names one, every registered backend plugin is tried in the order its plugin declares
 * (`preference`, lower first; ties by name), each of its packages in turn: with the built-ins,
 * `tensorflow` via @tensorflow/tfjs-node-gpu, then via @tensorflow/tfjs-node, `wasm` (with xfer's
 * training kernels), `cpu`. A package that is not installed is skipped quietly; one that is
 * installed but fails to load or initialise is reported in `problems` (and through `warn`) and the
 * next is tried. A backend asked for by name must work or this throws.
 *
 * It lives here, in the backends family and not in core, because it loads tfjs packages and reads
 * the process (runtime, platform) for the environment record; it stays out of the Node platform
 * because Deno selects backends with it too (test/deno/wasm-training.test.ts).
 */
import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import type { ComputeBackend, EnvironmentRecord } from "../../core/contracts.ts";
import { UnknownNameError, XferError } from "../../core/errors.ts";
import type { PluginRegistry } from "../../core/plugin.ts";

export interface SelectBackendOptions {
  /** A backend name from the config or `--backend`; unset or "auto" means the first that works. */
  readonly prefer?: string;
  /** XNNPACK threads for wasm (default 1; more is opt-in and Node only, see docs/backends.md). */
  readonly wasmThreads?: number;
  /** Where reports about broken packages go besides `problems` (default: console.warn). */
  readonly warn?: (message: string) => void;
}

export interface BackendSelection extends EnvironmentRecord {
  /** The npm package that provides the backend. */
  readonly package: string;
  /** Installed packages that failed before this one was chosen, one line each. */
  readonly problems: readonly string[];
}

/** "auto" and the registry's backend names: what `--backend` and the config's `backend` accept. */
export function backendChoices(registry: PluginRegistry): string[] {
  return ["auto", ...registry.names("backend")];
}

function runtimeName(): string {
  const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno;
  return deno?.version?.deno ? `deno ${deno.version.deno}` : `node ${process.versions.node}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function selectBackend(registry: PluginRegistry, options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const { wasmThreads = 1, warn = (m: string) => console.warn(m) } = options;
  const prefer = options.prefer === "auto" ? undefined : options.prefer;
  const names = registry.names("backend");
  if (prefer !== undefined && !names.includes(prefer)) throw new UnknownNameError("backend", prefer, backendChoices(registry));
  const backends: { name: string; backend: ComputeBackend }[] = [];
  for (const name of prefer === undefined ? names : [prefer]) backends.push({ name, backend: await registry.create("backend", { name }, {}) });
  backends.sort((a, b) => a.backend.preference - b.backend.preference || a.name.localeCompare(b.name));
  const eligible = backends.flatMap(({ name, backend }) => backend.providers.map((provider) => ({ name, provider })));
  const problems: string[] = [];
  for (const { name, provider } of eligible) {
    if (!provider.isInstalled()) continue;
    try {
      const active = await provider.activate({ wasmThreads });
      return {
        backend: name,
        backendVersion: active.version,
        threads: active.threads,
        runtime: runtimeName(),
        platform: `${process.platform}-${process.arch}`,
        versions: { "@tensorflow/tfjs-core": tf.version_core, [provider.packageName]: active.version, ...active.details },
        package: provider.packageName,
        problems,
      };
    } catch (error) {
      const line = `backend ${name} (${provider.packageName}) is installed but failed: ${message(error)}`;
      if (prefer !== undefined) throw new XferError(line);
      problems.push(line);
      warn(`xfer: ${line}; trying the next backend`);
    }
  }
  const tried = eligible.map(({ provider }) => provider.packageName).join(", ");
  throw new XferError(
    prefer === undefined
      ? `no compute backend could be started (tried ${tried})`
      : `backend "${prefer}" was requested but none of its packages is installed (${tried}); see docs/backends.md`,
  );
}
