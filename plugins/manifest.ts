/**
 * The one explicit list of built-in plugins. Adding a plugin means adding its factory here;
 * a duplicate name within a kind throws when the registry is built.
 */
import { PluginRegistry, type Plugin } from "../core/index.ts";

export const BUILTIN_PLUGINS: readonly Plugin[] = [
  // datasets
  // splitters
  // backbones
  // augmentations
  // optimizers
  // schedules
  // metrics
];

export function builtinRegistry(): PluginRegistry {
  return new PluginRegistry(BUILTIN_PLUGINS);
}
