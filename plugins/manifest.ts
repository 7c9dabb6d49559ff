/**
 * The one explicit list of built-in plugins. Adding a plugin means adding its factory here;
 * a duplicate name within a kind throws when the registry is built.
 */
import { PluginRegistry, type Plugin } from "../core/index.ts";
import {
  accuracyMetric, macroF1Metric, meanPerClassAccuracyMetric, qwkMetric, rocAucMetric, topKAccuracyMetric, vocMapMetric,
} from "./metrics/index.ts";
import { syntheticDataset } from "./datasets/synthetic/index.ts";
import {
  aptos2019, birdsnap, caltech101, cassava, cct20, cifar10, cifar100, concatDataset, csvDataset, dr2015, dtd, eurosat, fashionMnist,
  fgvcAircraft, flowers102, food101, hpa, imageFolder, imagenetVal, melanoma, oxfordPets, stanfordCars, sun397, voc2007,
} from "./datasets/index.ts";
import { BACKBONE_PLUGINS } from "./backbones/index.ts";
import { AUGMENTATION_PLUGINS, BATCH_AUGMENTATION_PLUGINS } from "./augmentations/index.ts";
import { OPTIMIZER_PLUGINS } from "./optimizers/index.ts";
import { SCHEDULE_PLUGINS } from "./schedules/index.ts";
import { BACKEND_PLUGINS } from "./backends/index.ts";
import {
  groupDisjointHoldoutSplitter, groupHoldoutSplitter, kShotSplitter, multilabelStratifiedSplitter, predefinedHoldoutSplitter,
  predefinedSplitter, referenceFoldsSplitter, referenceHoldoutSplitter, stratifiedHoldoutSplitter,
} from "./splitters/index.ts";

export const BUILTIN_PLUGINS: readonly Plugin[] = [
  // datasets
  syntheticDataset,
  aptos2019,
  cassava,
  cct20,
  hpa,
  melanoma,
  eurosat,
  cifar10,
  fashionMnist,
  imageFolder,
  csvDataset,
  imagenetVal,
  dr2015,
  // concat combines these (the APTOS interventions train APTOS 2019 with the 2015 DR data)
  concatDataset([aptos2019, cassava, cct20, cifar10, csvDataset, eurosat, fashionMnist, hpa, imageFolder, melanoma, dr2015]),
  food101,
  cifar100,
  birdsnap,
  sun397,
  fgvcAircraft,
  oxfordPets,
  voc2007,
  dtd,
  caltech101,
  flowers102,
  stanfordCars,
  // splitters
  referenceHoldoutSplitter,
  referenceFoldsSplitter,
  predefinedSplitter,
  predefinedHoldoutSplitter,
  stratifiedHoldoutSplitter,
  groupHoldoutSplitter,
  groupDisjointHoldoutSplitter,
  multilabelStratifiedSplitter,
  kShotSplitter,
  // backbones
  ...BACKBONE_PLUGINS,
  // augmentations
  ...AUGMENTATION_PLUGINS,
  ...BATCH_AUGMENTATION_PLUGINS,
  // optimizers
  ...OPTIMIZER_PLUGINS,
  // schedules
  ...SCHEDULE_PLUGINS,
  // metrics
  accuracyMetric,
  topKAccuracyMetric,
  meanPerClassAccuracyMetric,
  qwkMetric,
  macroF1Metric,
  rocAucMetric,
  vocMapMetric,
  // compute backends (chosen at start-up, never part of a run spec)
  ...BACKEND_PLUGINS,
];

export function builtinRegistry(): PluginRegistry {
  return new PluginRegistry(BUILTIN_PLUGINS);
}
