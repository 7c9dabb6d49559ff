/**
 * Finds and validates the user's config with cosmiconfig: xfer.config.{ts,mts,js,mjs,json,yaml},
 * .xferrc[.json|.yaml|.js], or the "xfer" key of package.json, searching up from the cwd; then
 * builds the one plugin registry every command uses: the built-ins plus the config's plugins.
 */
import { cosmiconfig } from "cosmiconfig";
import { createRequire } from "node:module";
import { dirname, isAbsolute, resolve } from "node:path";
import {
  checkPlugin, InputError, looksLikePlugin, parseConfig, parseConfigPlugins, type Plugin, type PluginRegistry, type XferConfig,
} from "../../../core/index.ts";
import { builtinRegistry } from "../../manifest.ts";
import { importUserModule } from "./user-module.ts";

export interface LoadedConfig {
  readonly config: XferConfig;
  /** The file it came from, or undefined when defaults were used. */
  readonly filepath?: string;
  /** Built-in plugins plus the config's `plugins`, each registered with its source. */
  readonly registry: PluginRegistry;
}

/**
 * Config files that are code are imported by Node itself. xfer ships TypeScript, so a TypeScript
 * loader is always active where xfer runs (tsx, registered by the `xfer` command or by
 * `node --import tsx`; vitest; Deno); it loads xfer.config.ts too, without the `typescript` package
 * cosmiconfig's own TypeScript loader needs. One loader also means one copy of each module: a
 * plugin the config and a recipe both import is the same object, and xfer's error classes match.
 */
async function importConfig(filepath: string): Promise<unknown> {
  return (await importUserModule(filepath)).default;
}

const explorer = cosmiconfig("xfer", {
  searchStrategy: "project",
  searchPlaces: [
    "package.json", ".xferrc", ".xferrc.json", ".xferrc.yaml", ".xferrc.yml", ".xferrc.js", ".xferrc.mjs",
    "xfer.config.json", "xfer.config.yaml", "xfer.config.yml", "xfer.config.js", "xfer.config.mjs", "xfer.config.ts", "xfer.config.mts",
  ],
  loaders: { ".ts": importConfig, ".mts": importConfig, ".js": importConfig, ".mjs": importConfig },
});

/** The config and the registry built from it (the built-ins plus the config's plugins). */
export async function loadConfig(options: { cwd?: string; file?: string } = {}): Promise<LoadedConfig> {
  const found = options.file ? await explorer.load(options.file) : await explorer.search(options.cwd ?? process.cwd());
  if (!found || found.isEmpty) return { config: parseConfig({}, "(defaults)", builtinRegistry().names("backend")), registry: builtinRegistry() };
  // The backend is checked against the registry, which the config's own plugins may extend.
  const registry = builtinRegistry();
  for (const entry of parseConfigPlugins(found.config, found.filepath)) {
    if (typeof entry === "string") {
      for (const plugin of await importPluginModule(entry, found.filepath)) registry.register(plugin, entry);
    } else {
      registry.register(entry, found.filepath);
    }
  }
  return { config: parseConfig(found.config, found.filepath, registry.names("backend")), filepath: found.filepath, registry };
}

/**
 * Imports a plugin module named in the config (a path relative to the config file, or a package
 * name resolved from the config's folder) and returns the plugins it exports.
 */
async function importPluginModule(specifier: string, configFile: string): Promise<Plugin[]> {
  const relative = specifier.startsWith(".") || isAbsolute(specifier);
  let file: string;
  try {
    file = relative ? resolve(dirname(configFile), specifier) : createRequire(configFile).resolve(specifier);
  } catch (error) {
    throw new InputError(configFile, `plugin module "${specifier}" cannot be found from ${dirname(configFile)}: ${(error as Error).message.split("\n")[0]}`);
  }
  let module: Record<string, unknown>;
  try {
    module = await importUserModule(file);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(configFile, `plugin module "${specifier}" failed to load: ${(error as Error).message.split("\n")[0]}`);
  }
  const plugins = exportedPlugins(module, specifier);
  if (plugins.length === 0) {
    throw new InputError(configFile, `plugin module "${specifier}" exports no plugin; export plugin objects (e.g. \`export const myDataset = defineDataset({ ... })\`) or an array of them`);
  }
  return plugins;
}

/**
 * The plugins a module exports: every export that is a plugin object, and the plugin objects in
 * every exported array. Other exports (helpers, schemas) are left alone; an export shaped like a
 * plugin but malformed is an error naming it.
 */
export function exportedPlugins(module: Record<string, unknown>, source: string): Plugin[] {
  const found = new Set<Plugin>();
  for (const [name, value] of Object.entries(module)) {
    const candidates = Array.isArray(value) ? value : [value];
    for (const candidate of candidates) if (looksLikePlugin(candidate)) found.add(checkPlugin(candidate, `${source}: export "${name}"`));
  }
  return [...found];
}
