/**
 * Appendix G, Figure 7 of Fang, Kornblith & Schmidt (2023): Melanoma scored by ROC AUC (the
 * paper's metric) and by accuracy, from the same runs, both against ImageNet top-1 side by side.
 * The runs are the ones the ROC AUC column reports (each model's best run, chosen by ROC AUC on
 * validation); their accuracy is recomputed from their stored test predictions: a sample is
 * called malignant when its predicted probability of melanoma exceeds 0.5, which is the argmax of
 * the two classes with a tie going to benign. `xfer report imagenet-transfer --analysis
 * melanoma-metrics` reads the runs; `xfer run melanoma-metrics --results FILE` a table that has
 * both columns.
 */
import {
  buildReport, cell, clopperPearsonInterval, defineAnalysisRecipe, resultsReportTable, scaleNotes, trendNotes, trendsTable, IMAGENET_THRESHOLD,
  type AnalysisInput, type CellInterval, type ReportTable, type ResultsTable, type StoredPredictions, type TaskColumn,
} from "../../core/analysis/index.ts";
import { InputError, XferError } from "../../core/errors.ts";
import {
  APPENDIX_RESAMPLES, imagenetSubsetTrends, intervalsReportTable, intervalTrendFigure, storedIntervals, SUBSET_FITS_NOTE,
} from "../shared/interval-trends.ts";

/** The melanoma plugin's classes, in its order: a run's scores are [p(benign), p(malignant)]. */
const MELANOMA_CLASSES = ["benign", "malignant"] as const;

export const AUC_TASK = "Melanoma";
export const ACCURACY_TASK = "Melanoma accuracy";
/** p(malignant) above this calls a sample malignant. */
export const DECISION_THRESHOLD = 0.5;
/** A results file's accuracy column: "Melanoma accuracy", "melanoma_accuracy", "Melanoma-acc", ... */
const ACCURACY_COLUMN = /^melanoma[\s_-]*acc(uracy)?$/i;

/** Accuracy (%) of a run's binary predictions at p(malignant) > 0.5, with the correct count. */
export function thresholdAccuracy(labels: readonly number[], scores: readonly (readonly number[])[], where: string): { accuracy: number; correct: number; n: number } {
  if (labels.length === 0) throw new InputError(where, "no test predictions to score");
  let correct = 0;
  labels.forEach((label, i) => {
    const row = scores[i];
    if (row.length !== MELANOMA_CLASSES.length) throw new InputError(where, `sample ${i} has ${row.length} scores; expected ${MELANOMA_CLASSES.length} (${MELANOMA_CLASSES.join(", ")})`);
    if ((row[1] > DECISION_THRESHOLD ? 1 : 0) === label) correct++;
  });
  return { accuracy: (100 * correct) / labels.length, correct, n: labels.length };
}

const ACCURACY_COLUMN_INFO: TaskColumn = {
  name: ACCURACY_TASK, column: ACCURACY_TASK, scale: "percent",
  scaleSource: `accuracy in percent, p(malignant) > ${DECISION_THRESHOLD} on the runs' stored test predictions`,
};

/** Each model's accuracy from the stored predictions of the run its Melanoma (ROC AUC) cell reports. */
async function accuracyFromRuns(table: ResultsTable, stored: StoredPredictions): Promise<{ table: ResultsTable; intervals: CellInterval[]; without: string[] }> {
  const runOf = new Map(stored.rows.map((r) => [r.model, r.runs[AUC_TASK]]));
  const intervals: CellInterval[] = [];
  const without: string[] = [];
  const rows = [];
  for (const row of table.rows) {
    const run = runOf.get(row.model);
    if (row.values[AUC_TASK] === undefined || run === undefined) {
      rows.push(row);
      continue;
    }
    const predictions = await stored.source.predictions(run);
    if (predictions === undefined) {
      without.push(`${row.model}: run ${run} kept no predictions (runs stored before xfer kept them); re-run it for its accuracy`);
      rows.push(row);
      continue;
    }
    const { accuracy, n } = thresholdAccuracy(predictions.labels as readonly number[], predictions.scores, `run ${run}'s predictions`);
    intervals.push({ ...clopperPearsonInterval(ACCURACY_TASK, row.model, accuracy, n), run });
    rows.push({ ...row, values: { ...row.values, [ACCURACY_TASK]: accuracy } });
  }
  return { table: { ...table, tasks: [...table.tasks, ACCURACY_COLUMN_INFO], rows }, intervals, without };
}

/** The two Melanoma columns of a table that gives them, the accuracy column renamed. */
function bothColumns(table: ResultsTable): ResultsTable {
  const auc = table.tasks.find((t) => t.name === AUC_TASK);
  const accuracy = table.tasks.find((t) => ACCURACY_COLUMN.test(t.column));
  if (auc === undefined || accuracy === undefined) {
    throw new InputError(`${table.source}, line 1`, `melanoma-metrics needs a "${AUC_TASK}" (ROC AUC) column and a "${ACCURACY_TASK}" column (percent); its tasks are ${table.tasks.map((t) => t.column).join(", ")}. From your runs: \`xfer report <recipe> --analysis melanoma-metrics\` computes the accuracy from their stored predictions`);
  }
  const rows = table.rows.map((row) => {
    const { [accuracy.name]: value, ...rest } = row.values;
    return { ...row, values: value === undefined ? rest : { ...rest, [ACCURACY_TASK]: accuracy.scale === "percent" ? value : value * 100 } };
  });
  return { ...table, tasks: [auc, { ...accuracy, name: ACCURACY_TASK, scale: "percent" }], rows };
}

export async function analyzeMelanomaMetrics(input: AnalysisInput) {
  if (input.results === undefined) {
    throw new XferError("melanoma-metrics: the paper prints Figure 7 only as a plot, and a published ROC AUC cannot be turned into an accuracy; `xfer report imagenet-transfer --analysis melanoma-metrics` analyses your runs, `xfer run melanoma-metrics --results FILE` a table with Melanoma and \"Melanoma accuracy\" columns");
  }
  const notes: string[] = [];
  let table: ResultsTable;
  let intervals: CellInterval[] = [];
  if (input.predictions !== undefined) {
    const melanoma = { ...input.results, tasks: input.results.tasks.filter((t) => t.name === AUC_TASK) };
    if (melanoma.tasks.length === 0) {
      throw new InputError(input.results.source, `no Melanoma runs (a "${AUC_TASK}" column); its tasks are ${input.results.tasks.map((t) => t.name).join(", ")}`);
    }
    const computed = await accuracyFromRuns(melanoma, input.predictions);
    table = computed.table;
    const auc = await storedIntervals(input.predictions, { seed: input.seed, resamples: APPENDIX_RESAMPLES, tasks: new Set([AUC_TASK]) });
    intervals = [...auc.intervals, ...computed.intervals];
    notes.push(
      `Accuracy: the runs of the ROC AUC column (best by validation ROC AUC), scored on their stored test predictions as malignant when p(malignant) > ${DECISION_THRESHOLD} (the argmax of the two classes, ties benign).`,
      `Intervals: ROC AUC by a ${APPENDIX_RESAMPLES}-resample percentile bootstrap of the stored predictions, accuracy by Clopper-Pearson from the correct count.`,
      ...computed.without.map((w) => `No accuracy for ${w}.`),
      ...auc.without.map((m) => `No ROC AUC interval for ${m.model}: ${m.reason}.`),
    );
  } else {
    table = bothColumns(input.results);
    notes.push("Both columns as your table gives them; intervals need the runs' stored predictions (`xfer report <recipe> --analysis melanoma-metrics`).");
  }
  const trends = imagenetSubsetTrends(table);
  notes.push(SUBSET_FITS_NOTE, ...trendNotes(table, undefined).slice(1), scaleNotes(table));
  const tables: ReportTable[] = [
    trendsTable("trends", `Fits behind Figure 7: Melanoma ROC AUC and accuracy (0-100) on ${table.x}, above 70% ImageNet top-1 (columns >70) and over all models`, trends, IMAGENET_THRESHOLD),
    {
      key: "melanoma",
      title: "Melanoma per model: ROC AUC (0-1) and accuracy (%) of the same run",
      rowLabel: "model",
      columns: [{ key: "roc_auc", label: "ROC AUC" }, { key: "accuracy", label: "accuracy (%)" }],
      rows: table.rows.map((row) => ({ key: row.model, cells: { roc_auc: cell(row.values[AUC_TASK] ?? null, null), accuracy: cell(row.values[ACCURACY_TASK] ?? null, null) } })),
    },
  ];
  if (intervals.length > 0) tables.push(intervalsReportTable("intervals", intervals));
  tables.push(resultsReportTable(table));
  return buildReport({
    recipe: "melanoma-metrics",
    title: "Melanoma by ROC AUC and by accuracy: Appendix G, Figure 7",
    source: table.source,
    tables,
    figures: [intervalTrendFigure(trends, intervals, table, { key: "figure7", title: "Figure 7", columns: 2 })],
    notes,
    extra: { x: table.x, decisionThreshold: DECISION_THRESHOLD },
  });
}

export default defineAnalysisRecipe({
  name: "melanoma-metrics",
  description: "Appendix G, Figure 7: Melanoma by ROC AUC and by accuracy (p > 0.5) from the same runs, both trends side by side",
  analyze: analyzeMelanomaMetrics,
});
