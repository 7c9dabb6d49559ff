export { logit, nestedFTest, ols, type OlsResult } from "./ols.ts";
export { kendallTau, pearson, spearman } from "./correlation.ts";
export {
  clopperPearson, mcnemarExact, mcnemarExactFromCounts, moreyStandardErrors, pairedPermutationTest, pairedTTest,
  type SeedLike,
} from "./hypothesis.ts";
export {
  bootstrapCI, pairedDifference, percentileSorted, resampledStatistic, weightedMean,
  type BootstrapOptions, type BootstrapResult, type WeightedStatistic,
} from "./bootstrap.ts";
export { bootstrapMetric, type MetricInterval } from "./bootstrap-metric.ts";
export {
  frechetDistance, frechetDistanceFromStats, gaussianStats,
  type DenseMatrix, type Features, type GaussianStats,
} from "./frechet.ts";
export { mcnemar, mcnemarFromPredictions, type McNemarCounts, type McNemarOptions, type McNemarResult, type McNemarTable } from "./mcnemar.ts";
export { mcnemarRuns, pairPredictions } from "./paired-predictions.ts";
export { rankAverage } from "./rank.ts";
export {
  fitLogisticRegression, fitOneVsRestLogisticRegression, kornblithLambdaGrid, logisticPredict, logisticPredictProba, selectOneVsRestRegularisation, selectRegularisation,
  type LabelledFeatures, type LogisticRegressionModel, type LogisticRegressionOptions, type MultilabelFeatures, type OneVsRestPath, type RegularisationPath,
} from "./logistic-regression.ts";
export { betaQuantile, binomialCdf, fSf, incompleteBeta, normalSf, tSf, tTwoSided } from "./special.ts";
export {
  coefficientInterval, compareCorrelations, MIN_FISHER_N, pearsonInterval,
  type CorrelationComparison, type CorrelationComparisonOptions, type CorrelationDifference, type Interval,
} from "./trend-intervals.ts";
