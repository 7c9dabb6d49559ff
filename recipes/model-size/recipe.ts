/**
 * Appendix K, Figure 9 of Fang, Kornblith & Schmidt (2023): downstream performance against model
 * size (log10 of the parameter count) instead of ImageNet accuracy, with fits over all models and
 * over the models above 70% ImageNet top-1, and 95% intervals per model: Clopper-Pearson for
 * accuracies, a 10,000-resample bootstrap of the stored predictions for the other metrics. The
 * trend machinery is transfer-trends' (core/analysis/trend.ts); parameter counts come from the
 * backbone catalog (the ImageNet model with its 1000-way head, so one count per model whatever the
 * downstream head), by catalog id or by the paper's name (catalog paperName).
 */
import {
  buildReport, cell, defineAnalysisRecipe, fromPrinted, IMAGENET_COLUMN, LOG10_PARAMS_COLUMN, PARAMS_COLUMN, resultsReportTable, scaleNotes, trendsTable,
  type AnalysisInput, type ModelLookup, type ReportTable, type ResultsTable,
} from "../../core/analysis/index.ts";
import { InputError, XferError } from "../../core/errors.ts";
import { TABLE4 } from "../../fixtures/paper/fang2023.ts";
import { EVAL_SIZES } from "../transfer-trends/recipe.ts";
import {
  APPENDIX_RESAMPLES, imagenetSubsetTrends, SUBSET_FITS_NOTE, intervalsReportTable, intervalTrendFigure, storedIntervals, tableAccuracyIntervals,
} from "../shared/interval-trends.ts";

const EMBEDDED = "paper Table 4 (19 ImageNet models), as printed, with the catalog's parameter counts";
/** Evaluation-set sizes for Clopper-Pearson intervals of accuracies given as numbers: the reference code's (transfer-trends) and CIFAR-10's test set. */
export const ACCURACY_EVAL_SIZES: Readonly<Record<string, number>> = { ...EVAL_SIZES, "CIFAR-10": 10_000 };

/** The table with x = log10(params): the catalog's count where it knows the model, else the table's own params / log10_params. */
function withModelSize(table: ResultsTable, catalog: ModelLookup): { table: ResultsTable; sources: Map<string, string> } {
  const sources = new Map<string, string>();
  const rows = table.rows.map((row, i) => {
    const known = catalog(row.model);
    if (known !== undefined) {
      sources.set(row.model, `catalog ${known.id}`);
      return { ...row, descriptors: { ...row.descriptors, [PARAMS_COLUMN]: known.params, [LOG10_PARAMS_COLUMN]: Math.log10(known.params) } };
    }
    const own = row.descriptors[LOG10_PARAMS_COLUMN] ?? (row.descriptors[PARAMS_COLUMN] === undefined ? undefined : Math.log10(row.descriptors[PARAMS_COLUMN]));
    if (own === undefined) {
      throw new InputError(`${table.source}, line ${i + 2}`, `model "${row.model}" is not in the backbone catalog (by id or paper name) and has no "${PARAMS_COLUMN}" or "${LOG10_PARAMS_COLUMN}" value; model-size needs its parameter count`);
    }
    sources.set(row.model, `${table.source}`);
    return { ...row, descriptors: { ...row.descriptors, [LOG10_PARAMS_COLUMN]: own } };
  });
  const descriptors = [...new Set([...table.descriptors, PARAMS_COLUMN, LOG10_PARAMS_COLUMN])];
  return { table: { ...table, x: LOG10_PARAMS_COLUMN, descriptors, rows }, sources };
}

function paramsTable(table: ResultsTable): ReportTable {
  return {
    key: "params",
    title: "Model size: parameter count and where it comes from",
    rowLabel: "model",
    columns: [{ key: "params", label: "parameters" }, { key: "log10_params", label: "log10(parameters)" }, { key: "imagenet_top1", label: "ImageNet top-1 (%)" }],
    rows: table.rows.map((row) => ({
      key: row.model,
      cells: {
        params: cell(row.descriptors[PARAMS_COLUMN] ?? null, null),
        log10_params: cell(row.descriptors[LOG10_PARAMS_COLUMN], null),
        imagenet_top1: cell(row.descriptors[IMAGENET_COLUMN] ?? null, null),
      },
    })),
  };
}

export async function analyzeModelSize(input: AnalysisInput) {
  // --x only says which column the file is read with; the fits are always on log10(parameters).
  if (input.x !== undefined && input.x !== LOG10_PARAMS_COLUMN && input.x !== IMAGENET_COLUMN) {
    throw new XferError(`--x ${input.x}: model-size's x is ${LOG10_PARAMS_COLUMN} (transfer-trends takes any --x)`);
  }
  if (input.threshold !== undefined) {
    throw new XferError(`--threshold: model-size fits over all models and over the models above 70% ImageNet top-1 (Figure 9), not above a threshold on model size`);
  }
  if (input.catalog === undefined) throw new XferError("model-size reads parameter counts from the backbone catalog, which the analysis input lacks (run it through xfer: xfer run model-size, or xfer report <recipe> --analysis model-size)");
  const { table, sources } = withModelSize(input.results ?? fromPrinted(EMBEDDED, TABLE4), input.catalog);
  const trends = imagenetSubsetTrends(table);
  const notes = [
    "Parameter counts: the backbone catalog's (the ImageNet model with its 1000-way head), found by catalog id or the paper's model name; a model the catalog does not know keeps its table's params / log10_params.",
    SUBSET_FITS_NOTE,
    "Slopes are metric points (0-100) per tenfold parameters.",
    scaleNotes(table),
  ];
  const ownCounts = [...sources].filter(([, from]) => !from.startsWith("catalog "));
  if (ownCounts.length > 0) notes.push(`Not in the catalog, counted as the table gives them: ${ownCounts.map(([model]) => model).join(", ")}.`);
  const tasks = new Set(table.tasks.map((t) => t.name));
  const stored = input.predictions === undefined ? undefined : await storedIntervals(input.predictions, { seed: input.seed, resamples: APPENDIX_RESAMPLES, tasks });
  const intervals = [...(stored?.intervals ?? [])];
  intervals.push(...tableAccuracyIntervals(table, ACCURACY_EVAL_SIZES, intervals));
  for (const missing of stored?.without ?? []) notes.push(`No interval for ${missing.task} / ${missing.model}: ${missing.reason}.`);
  notes.push(stored === undefined
    ? `Intervals: Clopper-Pearson of the accuracies of datasets whose evaluation-set size is known (${Object.entries(ACCURACY_EVAL_SIZES).map(([d, n]) => `${d} ${n}`).join(", ")}); the other metrics need the runs' stored predictions (\`xfer report <recipe> --analysis model-size\`).`
    : `Intervals: Clopper-Pearson from each run's own correct count for accuracies, else a ${APPENDIX_RESAMPLES}-resample percentile bootstrap of the run's stored test predictions.`);
  const tables: ReportTable[] = [
    trendsTable("trends", "Fits behind Figure 9: metric (0-100) on log10(parameters), above 70% ImageNet top-1 (columns >70) and over all models", trends, 70),
    paramsTable(table),
  ];
  if (intervals.length > 0) tables.push(intervalsReportTable("intervals", intervals));
  if (input.results !== undefined) tables.push(resultsReportTable(table));
  return buildReport({
    recipe: "model-size",
    title: "Model size: Appendix K, Figure 9",
    source: table.source,
    tables,
    figures: [intervalTrendFigure(trends, intervals, table, { key: "figure9", title: "Figure 9" })],
    notes,
    extra: { x: LOG10_PARAMS_COLUMN, resamples: stored === undefined ? null : APPENDIX_RESAMPLES },
  });
}

export default defineAnalysisRecipe({
  name: "model-size",
  description: "Appendix K, Figure 9: each dataset's metric against log10(parameters), fits over all models and above 70% ImageNet top-1, 95% intervals",
  analyze: analyzeModelSize,
});
