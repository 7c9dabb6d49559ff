/** The built-in metric plugins, in the order plugins/manifest.ts lists them. */
export { accuracyMetric } from "./accuracy/index.ts";
export { topKAccuracyMetric } from "./top-k-accuracy/index.ts";
export { meanPerClassAccuracyMetric } from "./mean-per-class-accuracy/index.ts";
export { qwkMetric } from "./qwk/index.ts";
export { macroF1Metric, type FittedMacroF1 } from "./macro-f1/index.ts";
export { rocAucMetric } from "./roc-auc/index.ts";
export { vocMapMetric } from "./voc-map/index.ts";
