/**
 * Finds and validates the user's config with cosmiconfig: xfer.config.{ts,js,mjs,json,yaml},
 * .xferrc[.json|.yaml|.js], or the "xfer" key of package.json, searching up from the cwd.
 */
import { cosmiconfig } from "cosmiconfig";
import { parseConfig, type XferConfig } from "../../../core/index.ts";

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

export async function loadConfig(options: { cwd?: string; file?: string } = {}): Promise<LoadedConfig> {
  const found = options.file ? await explorer.load(options.file) : await explorer.search(options.cwd ?? process.cwd());
  if (!found || found.isEmpty) return { config: parseConfig({}, "(defaults)") };
  return { config: parseConfig(found.config, found.filepath), filepath: found.filepath };
}
