/**
 * Finds and validates the user's config with cosmiconfig: xfer.config.{ts,js,mjs,json,yaml},
 * .xferrc[.json|.yaml|.js], or the "xfer" key of package.json, searching up from the cwd.
 */
import { cosmiconfig } from "cosmiconfig";
import { parseConfig, type PluginRegistry, type XferConfig } from "../../../core/index.ts";
import { builtinRegistry } from "../../manifest.ts";

export interface LoadedConfig {
  readonly config: XferConfig;
  /** The file it came from, or undefined when defaults were used. */
  readonly filepath?: string;
}

const explorer = cosmiconfig("xfer", {
  searchStrategy: "project",
  searchPlaces: [
    "package.json", ".xferrc", ".xferrc.json", ".xferrc.yaml", ".xferrc.yml", ".xferrc.js", ".xferrc.mjs",
    "xfer.config.json", "xfer.config.yaml", "xfer.config.yml", "xfer.config.js", "xfer.config.mjs", "xfer.config.ts",
  ],
});

/** `backend` is checked against the backend plugins of `registry` (default: the built-in ones). */
export async function loadConfig(options: { cwd?: string; file?: string; registry?: PluginRegistry } = {}): Promise<LoadedConfig> {
  const found = options.file ? await explorer.load(options.file) : await explorer.search(options.cwd ?? process.cwd());
  const backends = (options.registry ?? builtinRegistry()).names("backend");
  if (!found || found.isEmpty) return { config: parseConfig({}, "(defaults)", backends) };
  return { config: parseConfig(found.config, found.filepath, backends), filepath: found.filepath };
}
