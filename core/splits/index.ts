/** Deterministic splits: numpy-exact reference splits, seeded generic splitters, manifests. */
export { NumpyRandomState } from "./numpy-legacy.ts";
export { apportion } from "./common.ts";
export {
  REFERENCE_SPLITS, parseFoldGroup, predefinedSplit, referenceClassHoldout, referenceFolds, type PredefinedMapping,
} from "./reference.ts";
export { groupDisjointHoldout, groupHoldout, stratifiedHoldout, stratumHoldout, type HoldoutOptions } from "./stratified.ts";
export { predefinedHoldout, type PredefinedHoldoutOptions } from "./predefined-holdout.ts";
export { multilabelStratified } from "./multilabel.ts";
export { kShotSplit } from "./kshot.ts";
export {
  SPLIT_MANIFEST_FORMAT, buildSplitManifest, diffSplitManifests, idListSha256, indexSha256, parseSplitManifest,
  type SplitManifest, type SplitManifestEntry,
} from "./manifest.ts";
