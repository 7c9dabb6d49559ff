/**
 * The one explicit list of built-in plugins. Adding a plugin means adding its factory here;
 * a duplicate name within a kind throws when the registry is built.
 */
import { PluginRegistry, type Plugin } from "../core/index.ts";
import { syntheticDataset } from "./datasets/synthetic/index.ts";
import { tinyCnnBackbone } from "./backbones/tinycnn/index.ts";
import { BACKBONE_PLUGINS } from "./backbones/index.ts";
import {
  groupHoldoutSplitter, kShotSplitter, multilabelStratifiedSplitter, predefinedSplitter, referenceFoldsSplitter,
  referenceHoldoutSplitter, stratifiedHoldoutSplitter,
} from "./splitters/index.ts";

export const BUILTIN_PLUGINS: readonly Plugin[] = [
  // datasets
  syntheticDataset,
  // splitters
  referenceHoldoutSplitter,
  referenceFoldsSplitter,
  predefinedSplitter,
  stratifiedHoldoutSplitter,
  groupHoldoutSplitter,
  multilabelStratifiedSplitter,
  kShotSplitter,
  // backbones
  tinyCnnBackbone,
  ...BACKBONE_PLUGINS,
  // augmentations
  // optimizers
  // schedules
  // metrics
];

export function builtinRegistry(): PluginRegistry {
  return new PluginRegistry(BUILTIN_PLUGINS);
}
