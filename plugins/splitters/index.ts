/** The built-in splitter plugins, in the order plugins/manifest.ts lists them. */
export { referenceHoldoutSplitter } from "./reference-holdout/index.ts";
export { referenceFoldsSplitter } from "./reference-folds/index.ts";
export { predefinedSplitter } from "./predefined/index.ts";
export { predefinedHoldoutSplitter } from "./predefined-holdout/index.ts";
export { stratifiedHoldoutSplitter } from "./stratified-holdout/index.ts";
export { groupHoldoutSplitter } from "./group-holdout/index.ts";
export { groupDisjointHoldoutSplitter } from "./group-disjoint-holdout/index.ts";
export { multilabelStratifiedSplitter } from "./multilabel-stratified/index.ts";
export { kShotSplitter } from "./k-shot/index.ts";
