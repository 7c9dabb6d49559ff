/**
 * Shared parts of the backend plugins. A backend plugin names a tfjs compute backend and the npm
 * packages that provide it, in the order they are tried; nothing is loaded until selection
 * activates a provider (plugins/backends/select.ts), so importing a backend plugin registers no
 * tfjs backend.
 */
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import type { BackendProvider, ComputeBackend } from "../../core/contracts.ts";
import { InputError } from "../../core/errors.ts";
import { definePlugin, type Plugin } from "../../core/plugin.ts";

const require = createRequire(import.meta.url);

export function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

export function isPackageInstalled(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Where a package's entry file lies (the wasm binaries are read from beside it). */
export function packageEntry(name: string): string {
  return require.resolve(name);
}

/** Makes a registered tfjs backend the active one. */
export async function setTfjsBackend(name: string): Promise<void> {
  // setBackend resolves false (after a console warning) when initialisation fails.
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed to initialise`);
  await tf.ready();
}

/**
 * A backend plugin from its meta, its rank under "auto" (lower is tried first) and its providers.
 * Backends take no options: what the host decides (wasm threads) reaches the providers as
 * BackendSettings when selection activates them.
 */
export function defineBackend(
  meta: { readonly name: string; readonly description: string; readonly preference: number },
  providers: () => readonly BackendProvider[],
): Plugin<"backend"> {
  const { preference, ...rest } = meta;
  const full = { kind: "backend" as const, version: "1.0.0", ...rest };
  return definePlugin({
    meta: full,
    create(options): ComputeBackend {
      const given = Object.keys(options);
      if (given.length > 0) throw new InputError(`backend plugin "${meta.name}"`, `takes no options, got ${given.join(", ")}`);
      return { preference, providers: providers() };
    },
  });
}
