/**
 * Appendix E, Figure 6 of Fang, Kornblith & Schmidt (2023): the 19 ImageNet backbones of Table 4
 * fine-tuned on CIFAR-10 over the paper's grid (3 optimizer/schedules x 4 lr x 5 weight decays,
 * 30 epochs, the paper's crops and flips at 256 pixels, 224 for DeiT), and its analysis: CIFAR-10
 * accuracy against ImageNet top-1 with 95% Clopper-Pearson intervals (`xfer report
 * cifar10-transfer`). The reference code has no CIFAR-10 split, so validation is a seeded,
 * class-stratified 20% of the training batches (the share of the reference code's holdouts) and
 * the test batch is the test set.
 */
import {
  buildReport, defineAnalysisRecipe, resultsReportTable, scaleNotes, trendsTable, trendNotes, IMAGENET_THRESHOLD,
  type AnalysisInput, type ReportTable,
} from "../../core/analysis/index.ts";
import { defineRecipe, type Grid, type RunTemplate } from "../../core/index.ts";
import { InputError, XferError } from "../../core/errors.ts";
import { PAPER_BACKBONES, PAPER_TRAINING, paperOptimizerGrid } from "../shared/paper.ts";
import { APPENDIX_RESAMPLES, imagenetSubsetTrends, intervalsReportTable, SUBSET_FITS_NOTE, intervalTrendFigure, storedIntervals, tableAccuracyIntervals } from "../shared/interval-trends.ts";

export const CIFAR10_TASK = "CIFAR-10";
/** CIFAR-10's test batch: the evaluation-set size of an accuracy given as a number. */
export const CIFAR10_TEST_SIZE = 10_000;
export const CIFAR10_SPLITTER = { name: "predefined-holdout", options: { train: "train", test: "test", valFraction: 0.2 } } as const;
export const CIFAR10_SPLIT_SEED = 0;
/** The multi-step milestones of the paper's 30 epochs. */
const MILESTONES = [15, 20, 25];

/** The paper's train/eval pipelines (RandomResizedCrop(size, 0.65-1) + horizontal flip; Resize + CenterCrop). */
export function cifar10Augmentations(size: number): RunTemplate["augment"] {
  return {
    train: [{ name: "random-resized-crop", options: { size, scale: [0.65, 1] } }, { name: "horizontal-flip" }],
    eval: [{ name: "resize-center-crop", options: { resize: size, crop: size } }],
  };
}

function cifar10Grids(backbones: readonly string[]): Grid[] {
  return backbones.flatMap((backbone) => paperOptimizerGrid(MILESTONES).map((optimizerGrid) => ({
    backbone: [{ name: backbone }],
    augment: [cifar10Augmentations(backbone.startsWith("deit_") ? 224 : 256)],
    ...optimizerGrid,
  } as unknown as Grid)));
}

/** Figure 6 of a results table (your runs through `xfer report`, or `--results FILE`): the CIFAR-10 column against ImageNet top-1. */
export async function analyzeCifar10(input: AnalysisInput) {
  if (input.results === undefined) {
    throw new XferError("cifar10-transfer: the paper prints Figure 6's points only as a plot, with no table to analyse; `xfer report cifar10-transfer` analyses your runs, `--results FILE` a table with a CIFAR-10 column");
  }
  const task = input.results.tasks.find((t) => t.name === CIFAR10_TASK);
  if (task === undefined) {
    throw new InputError(`${input.results.source}, line 1`, `no ${CIFAR10_TASK} column (or cifar10); its tasks are ${input.results.tasks.map((t) => t.column).join(", ")}`);
  }
  const table = { ...input.results, tasks: [task] };
  const trends = imagenetSubsetTrends(table);
  // CIFAR-10's metric is accuracy: storedIntervals gives Clopper-Pearson, no resampling.
  const stored = input.predictions === undefined ? undefined : await storedIntervals(input.predictions, { seed: input.seed, resamples: APPENDIX_RESAMPLES, tasks: new Set([CIFAR10_TASK]) });
  const intervals = [...(stored?.intervals ?? [])];
  intervals.push(...tableAccuracyIntervals(table, { [CIFAR10_TASK]: CIFAR10_TEST_SIZE }, intervals));
  const notes = [
    SUBSET_FITS_NOTE,
    ...trendNotes(table, undefined).slice(1),
    `Intervals: 95% Clopper-Pearson of test accuracy, from each run's own correct count where it kept its predictions, else from the value and CIFAR-10's ${CIFAR10_TEST_SIZE} test images (correct = round(accuracy × n)).`,
    scaleNotes(table),
    ...(stored?.without ?? []).map((m) => `No interval for ${m.task} / ${m.model}: ${m.reason}.`),
  ];
  const tables: ReportTable[] = [
    trendsTable("trends", `Fits behind Figure 6: CIFAR-10 accuracy (%) on ${table.x}, above 70% ImageNet top-1 (columns >70) and over all models`, trends, IMAGENET_THRESHOLD),
    intervalsReportTable("accuracy_ci", intervals),
    resultsReportTable(table),
  ];
  return buildReport({
    recipe: "cifar10-transfer",
    title: "CIFAR-10 on the paper's grid: Appendix E, Figure 6",
    source: table.source,
    tables,
    figures: [intervalTrendFigure(trends, intervals, table, { key: "figure6", title: "Figure 6", columns: 1 })],
    notes,
    extra: { x: table.x },
  });
}

export const cifar10Analysis = defineAnalysisRecipe({
  name: "cifar10-transfer",
  description: "Appendix E, Figure 6: CIFAR-10 accuracy against ImageNet top-1 with 95% Clopper-Pearson intervals",
  analyze: analyzeCifar10,
});

export default defineRecipe({
  name: "cifar10-transfer",
  description: "Appendix E, Figure 6: 19 ImageNet backbones x CIFAR-10 x (3 optimizer/schedules x 4 lr x 5 weight decay); Figure 6 as its report",
  template: {
    ...PAPER_TRAINING,
    dataset: { name: "cifar10" },
    splitter: CIFAR10_SPLITTER,
    splitSeed: CIFAR10_SPLIT_SEED,
    backbone: { name: PAPER_BACKBONES[0] },
    optimizer: { name: "sgd", options: { momentum: 0.9, nesterov: true } },
    schedule: { name: "cosine" },
    augment: cifar10Augmentations(256),
  },
  grid: cifar10Grids(PAPER_BACKBONES),
  smoke: {
    grid: {
      splitter: [{ name: "predefined-holdout", options: { train: "train", test: "test", valFraction: 0.5 } }],
      backbone: [{ name: "resnet18_mini.random" }],
      augment: [cifar10Augmentations(32)],
      "training.epochs": [1],
      "training.batchSize": [4],
      "training.decodeResize": [40],
    } as unknown as Grid,
  },
  report: { analysis: cifar10Analysis },
});
