export { accuracy, meanPerClassAccuracy, qwk, qwkFromConfusion, topKAccuracy } from "./classification.ts";
export { applyThresholds, fitThresholds, macroF1, type ThresholdStrategy } from "./multilabel.ts";
export { rocAuc, vocMeanAP, weightedRocAuc } from "./ranking.ts";
export { argmaxRows } from "./validate.ts";
export { confusionMatrix, perClassFromConfusion, perClassMultilabel, type ClassScores } from "./per-class.ts";
