/**
 * The trainer: epochs over seeded shuffles, evaluation on the selection split after each epoch,
 * the reference code's selection rule (strictly better wins, so the earliest epoch wins ties),
 * and the test split scored with the best epoch's weights. After every epoch it hands out a
 * resume state; given one, it goes on from there exactly as if it had never stopped.
 */
import * as tf from "@tensorflow/tfjs-core";
// The union package registers every gradient on the shared tfjs-core engine; tfjs-core's own
// register_all_gradients module uses extensionless ESM imports that Deno cannot resolve.
import "@tensorflow/tfjs";
import type {
  Augmentation, Backbone, BackboneMeta, ClassMetrics, Clock, Dataset, DatasetContext, DatasetIndex, EnvironmentRecord, EpochRecord, Image, JsonObject, Labels,
  Metric, NamedTensor, Optimizer, ResumeState, RunDataRecord, RunPredictions, RunResult, Sample, Schedule, Scores, SplitEvaluation, Splitter,
} from "../contracts.ts";
import { IGNORED_LABEL } from "../contracts.ts";
import { RunStopped, XferError } from "../errors.ts";
import { contentHash } from "../hash.ts";
import { argmaxRows, type ClassScores, confusionMatrix, perClassFromConfusion, perClassMultilabel } from "../metrics/index.ts";
import { buildSplitManifest } from "../splits/manifest.ts";
import type { RunSpec } from "../recipe.ts";
import type { BatchAugmentation } from "../image/batch.ts";
import {
  classTargets, fitOrdinalThresholds, ordinalRegressionLoss, sigmoidBinaryCrossEntropy, softmaxCrossEntropy, thresholdsToClasses,
} from "../losses.ts";
import type { Rng, SeedTree } from "../rng.ts";
import { selectOneVsRestRegularisation, selectRegularisation, type LogisticRegressionModel } from "../stats/logistic-regression.ts";
import type { DenseMatrix } from "../stats/frechet.ts";
import { isOrdinal, type RunHead } from "./head.ts";
import { BEST_VAL_SCORES, parseTrainerResumeMeta, trainerResumeMetaJson } from "./resume.ts";
import { trainingStep } from "./step.ts";

export interface TrainerParts {
  readonly hash: string;
  readonly spec: RunSpec;
  readonly seeds: SeedTree;
  readonly head: RunHead;
  readonly dataset: Dataset;
  readonly index: DatasetIndex;
  readonly datasetContext: DatasetContext;
  readonly splitter: Splitter;
  readonly backbone: Backbone;
  readonly optimizer: Optimizer;
  readonly schedule: Schedule;
  readonly trainAugmentations: readonly Augmentation[];
  readonly evalAugmentations: readonly Augmentation[];
  /** MixUp / CutMix on training batches (not in frozen-features mode, which trains on features). */
  readonly batchAugmentations?: readonly BatchAugmentation[];
  /** The selection metric first. */
  readonly metrics: readonly Metric[];
  readonly environment: EnvironmentRecord;
  /** Times the epochs and the run (`seconds` in the result). */
  readonly clock: Clock;
  readonly onProgress?: (event: TrainProgress) => void;
  readonly onEpoch?: (record: EpochRecord) => Promise<void>;
  /** Receives the best epoch's state (weights and buffers) once training ends. */
  readonly onBest?: (state: readonly NamedTensor[]) => Promise<void>;
  /** Receives the predictions of the scored split (test, else val) with the best epoch's weights. */
  readonly onPredictions?: (predictions: RunPredictions) => Promise<void>;
  /**
   * Go on after this state's last completed epoch instead of from scratch. Its epochs come back in
   * the result's `epochs` but are not passed to `onEpoch` again (the run store has them).
   */
  readonly resume?: ResumeState;
  /** At the end of every completed epoch: the state to resume from should the run stop later. */
  readonly onCheckpoint?: (state: ResumeState) => Promise<void>;
  /** Polled before every epoch and every step: true stops the run there with RunStopped (the partial epoch is redone on resume). */
  readonly shouldStop?: () => boolean;
  /** Where the platform can decode and augment training samples off the main thread (the Node runtime's worker pool). */
  readonly sampleWorkers?: SampleWorkers;
}

/**
 * A platform service that prepares training samples on other threads, so the main thread, which
 * the synchronous wasm step holds, only stacks rows. It must give the bytes the main thread would:
 * the same dataset and augmentation plugins with the run spec's options, the augmentation stream
 * keyed `augmentKey`, the row as `batchRow` makes it.
 */
export interface SampleWorkers {
  /**
   * The trainer hands a run's training batches to the workers once preparing one on the main
   * thread took this long (ms): real decoding and augmentation, not an 8-pixel synthetic set,
   * whose rows a thread would only add latency to. Either way the rows are the same bytes.
   */
  readonly afterMs: number;
  /**
   * This run's preparer; undefined when its plugins cannot be rebuilt off the main thread (a
   * recipe's own plugin) or while the threads are still starting (the trainer asks again at its next slow batch).
   */
  forRun(spec: RunSpec, preprocess: Pick<BackboneMeta, "mean" | "std">): RunSampleWorkers | undefined;
}

export interface RunSampleWorkers {
  /** One sample loaded with the run's decode options, augmented by the train pipeline from the stream keyed `augmentKey`, as its batch row. */
  row(sample: Sample, augmentKey: string): Promise<BatchRow>;
}

/** One image of an NHWC float32 batch (see toBatch). */
export interface BatchRow {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: Float32Array;
}


export interface TrainProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly loss: number;
  /** How long (ms, by the run's clock) the step waited for its batch: about 0 when it was prepared while the step before computed. */
  readonly waitedMs?: number;
}

function lossOf(head: RunHead, logits: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  switch (head.loss) {
    case "ordinal-l1":
      return ordinalRegressionLoss(logits, tf.reshape(y, [-1]) as tf.Tensor1D, "l1");
    case "ordinal-mse":
      return ordinalRegressionLoss(logits, tf.reshape(y, [-1]) as tf.Tensor1D, "mse");
    case "sigmoid-bce":
      return sigmoidBinaryCrossEntropy(logits, y);
    case "softmax-cross-entropy":
      return softmaxCrossEntropy(logits, y, { labelSmoothing: head.labelSmoothing });
  }
}

/** Ordinal predictions (n x 1) as one-hot class rows through cut points, for the metrics. */
function ordinalScores(predictions: Scores, thresholds: readonly number[], numClasses: number): Scores {
  return thresholdsToClasses(predictions.map((row) => row[0]), thresholds).map((c) => {
    const row = new Array<number>(numClasses).fill(0);
    row[c] = 1;
    return row;
  });
}

/**
 * What one training mode trains: the whole network (`finetune`), the head on a frozen body
 * (`linear-probe`; batch norm in eval mode), the head then everything (`lp-ft`, Appendix I of the
 * paper), or a fresh linear classifier on features computed once (`frozen-features`, the
 * fixed-feature protocol of Kornblith et al. 2019, trained with the run's optimizer;
 * `logistic-regression` fits the same classifier by L-BFGS instead, see trainLogisticRegression).
 */
interface Learner {
  /** Inputs for a batch (tensors the loop disposes after the step); `passes[i]`: the pass over the data `batch[i]` belongs to, which keys its augmentation. */
  prepare(batch: readonly Sample[], epoch: number, passes: readonly number[]): Promise<tf.Tensor>;
  logits(input: tf.Tensor, epoch: number): tf.Tensor2D;
  trainable(epoch: number): tf.Variable[];
  state(): tf.Variable[];
  /** Eval-mode scores and the mean training loss function over `samples`. */
  scores(samples: readonly Sample[]): Promise<Scored>;
  dispose(): void;
}

interface Scored {
  readonly scores: Scores;
  readonly loss: number;
}

/** The run's splits as samples, checked against the index. */
export interface RunSplits {
  readonly train: Sample[];
  readonly val: Sample[];
  readonly test?: Sample[];
  readonly data: Omit<RunDataRecord, "root">;
}

export function splitRun(parts: Pick<TrainerParts, "spec" | "dataset" | "index" | "splitter">): RunSplits {
  const { spec, dataset, index } = parts;
  const byId = new Map(index.samples.map((s) => [s.id, s]));
  const splitSeed = spec.splitSeed ?? spec.seed;
  const split = parts.splitter.split(index, splitSeed);
  const pick = (ids: readonly string[], part: string): Sample[] =>
    ids.map((id) => {
      const sample = byId.get(id);
      if (!sample) throw new XferError(`split "${part}" names sample "${id}", which dataset "${dataset.meta.name}" does not have`);
      return sample;
    });
  const train = pick(split.train, "train");
  const val = pick(split.val, "val");
  const test = split.test ? pick(split.test, "test") : undefined;
  if (train.length === 0 || val.length === 0) {
    throw new XferError(`dataset "${dataset.meta.name}": the split left ${train.length} train and ${val.length} val samples; both must be non-empty`);
  }
  // The manifest `xfer splits make` writes for this split, hashed, so a run names the exact split it trained on.
  const manifest = buildSplitManifest({
    dataset: { name: spec.dataset.name, options: spec.dataset.options, classNames: classNamesOf(parts) },
    splitter: { name: spec.splitter.name, options: spec.splitter.options },
    seed: splitSeed,
    index,
    split,
  });
  const data = { train: train.length, val: val.length, ...(test ? { test: test.length } : {}), splitManifestSha256: contentHash(manifest as unknown as JsonObject) };
  return { train, val, ...(test ? { test } : {}), data };
}

function classNamesOf(parts: Pick<TrainerParts, "dataset" | "index">): readonly string[] {
  return parts.index.classNames ?? parts.dataset.meta.classNames;
}

/** Scoring with the run's head: ordinal predictions go through cut points fitted on the selection split. */
class Scorer {
  thresholds: number[] | undefined;
  constructor(
    readonly parts: Pick<TrainerParts, "head" | "dataset" | "index">,
    readonly learner: Learner,
  ) {}

  async score(samples: readonly Sample[], fit: boolean): Promise<Scored> {
    const { head } = this.parts;
    const raw = await this.learner.scores(samples);
    if (!isOrdinal(head)) return raw;
    if (fit) this.thresholds = fitOrdinalThresholds(raw.scores.map((r) => r[0]), samples.map((s) => s.label as number), head.numClasses);
    return { scores: ordinalScores(raw.scores, this.thresholds!, head.numClasses), loss: raw.loss };
  }

  labels(samples: readonly Sample[]): Labels {
    return labelsOf(samples, this.parts.dataset.meta.task, this.parts.head.numClasses);
  }

  /** Per-class metrics and confusion matrix of scored samples. */
  evaluation(samples: readonly Sample[], scored: Scored): SplitEvaluation {
    const classes = classNamesOf(this.parts);
    const labels = this.labels(samples);
    // 0/0 is null in memory as on disk, so a result read back equals the one computed.
    const named = (m: ClassScores, c: number): ClassMetrics => ({
      class: classes[c] ?? String(c), support: m.support, precision: definedOrNull(m.precision), recall: definedOrNull(m.recall), f1: definedOrNull(m.f1),
    });
    if (this.parts.dataset.meta.task === "multilabel") {
      const predicted = scored.scores.map((row) => row.map((p) => (p >= 0.5 ? 1 : 0)));
      const perClass = perClassMultilabel(labels as readonly (readonly number[])[], predicted).map(named);
      return { samples: samples.length, loss: scored.loss, perClass };
    }
    const confusion = confusionMatrix(labels as readonly number[], argmaxRows(scored.scores), this.parts.head.numClasses);
    return { samples: samples.length, loss: scored.loss, perClass: perClassFromConfusion(confusion).map(named), confusion };
  }
}

/**
 * Scores `target` with the learner's current weights as the trainer scores the test split: the
 * selection split is scored first (fitted metrics and ordinal cut points learn there).
 */
async function scoreTarget(scorer: Scorer, metrics: readonly Metric[], val: readonly Sample[], valScored: Scored, target: readonly Sample[]): Promise<{ values: Record<string, number>; evaluation: SplitEvaluation; scores: Scores }> {
  const targetScored = await scorer.score(target, false);
  const valLabels = scorer.labels(val);
  const targetLabels = scorer.labels(target);
  const values: Record<string, number> = {};
  // Fitted metrics (multilabel thresholds) learn on the selection split, then score the target split.
  for (const metric of metrics) values[metric.name] = (metric.fit?.(valLabels, valScored.scores) ?? metric).compute(targetLabels, targetScored.scores);
  return { values, evaluation: scorer.evaluation(target, targetScored), scores: targetScored.scores };
}

/**
 * Gradient tolerance of the logistic-regression mode's fits (max |gradient| of the mean-loss
 * objective): scikit-learn's default `tol`, as a user of LogisticRegression would fit; the parity
 * tests' 1e-10 makes the 45-lambda path take minutes on a few hundred images (docs/training.md).
 */
export const FIXED_FEATURE_TOLERANCE = 1e-4;

export async function train(parts: TrainerParts): Promise<RunResult> {
  if (modeOf(parts.spec) === "logistic-regression") return trainLogisticRegression(parts);
  const { spec, dataset, seeds, optimizer, schedule, metrics, head, clock } = parts;
  if ((parts.onCheckpoint || parts.resume) && (typeof optimizer.saveState !== "function" || typeof optimizer.loadState !== "function")) {
    // Optimizer plugins written before runs could resume lack these; fail before any training, not after epoch 1.
    throw new XferError(`optimizer "${spec.optimizer.name}" has no saveState/loadState, which a run needs to resume after a stop; add them (docs/writing-a-plugin.md)`);
  }
  const started = clock.now();
  const { epochs } = spec.training;
  const splits = splitRun(parts);
  const { train: trainSamples, val: valSamples, test: testSamples } = splits;

  // Counted before the learner can freeze the body: the model the run trains, with its run head.
  const params = parts.backbone.trainableVariables().reduce((n, v) => n + v.size, 0);
  const learner = await createLearner(parts, [trainSamples, valSamples, testSamples ?? []]);
  applyBatchNormMomentum(parts, trainSamples.length);
  const toTargets = (batch: readonly Sample[]) => targetsOf(head, batch);
  const scorer = new Scorer(parts, learner);
  let bestThresholds: number[] | undefined;
  let bestValScored: Scored | undefined;
  const { stepsPerEpoch, batchAt } = batchDrawer(parts, trainSamples);
  let history: EpochRecord[] = [];
  const [selection, ...others] = metrics;
  let bestEpoch = -1;
  let best: Record<string, number> = {};
  let bestState: tf.Tensor[] | undefined;
  let firstEpoch = 0;
  let trainingDone = false;
  const stopIfAsked = (epochsDone: number) => {
    if (parts.shouldStop?.()) throw new RunStopped(parts.hash, epochsDone, "signal");
  };

  try {
    if (parts.resume) {
      const restored = restoreResume(parts, learner, parts.resume, valSamples.length);
      ({ history, bestEpoch, best, bestThresholds, bestValScored, bestState, trainingDone } = restored);
      firstEpoch = parts.resume.epochsDone;
    }
    for (let epoch = firstEpoch; epoch < epochs && !trainingDone; epoch++) {
      stopIfAsked(epoch);
      const epochStart = clock.now();
      const variables = learner.trainable(epoch);
      let lossSum = 0;
      const lrs = { start: NaN, end: NaN };
      // Step k + 1's batch is asked for before step k computes, so its images are read, decoded and
      // augmented (by the platform's sample workers, where it has them) while the synchronous step
      // holds the main thread. One batch ahead, within the epoch (validation follows its last step).
      let ahead: PreparedBatch | undefined;
      try {
        for (let step = 0; step < stepsPerEpoch; step++) {
          stopIfAsked(epoch);
          const current = ahead ?? prepareBatch(learner, batchAt(epoch, step), epoch);
          ahead = undefined;
          const asked = clock.now();
          const prepared = await current.input;
          const waitedMs = clock.now() - asked;
          const { input, y } = mixBatch(parts, prepared, toTargets(current.batch), epoch, step);
          if (step + 1 < stepsPerEpoch) ahead = prepareBatch(learner, batchAt(epoch, step + 1), epoch);
          const lr = schedule.lr({ epoch, step, stepsPerEpoch });
          if (step === 0) lrs.start = lr;
          lrs.end = lr;
          let loss: number;
          try {
            loss = trainingStep(optimizer, variables, (x, target) => lossOf(head, learner.logits(x, epoch), target), input, y, lr, { run: parts.hash, spec });
          } finally {
            input.dispose();
            y.dispose();
          }
          if (!Number.isFinite(loss)) throw new XferError(`run ${parts.hash}: training loss became ${loss} at epoch ${epoch + 1}, step ${step + 1}`);
          lossSum += loss;
          parts.onProgress?.({ epoch, epochs, step: step + 1, stepsPerEpoch, loss, waitedMs });
        }
      } finally {
        if (ahead) await discard(ahead);
      }

      const valScored = await scorer.score(valSamples, true);
      const valLabels = scorer.labels(valSamples);
      const values: Record<string, number> = {};
      for (const metric of [selection, ...others]) values[metric.name] = metric.compute(valLabels, valScored.scores);
      const record: EpochRecord = {
        epoch: epoch + 1, trainLoss: lossSum / stepsPerEpoch, selection: values, seconds: (clock.now() - epochStart) / 1000, valLoss: valScored.loss, lr: lrs,
      };
      history.push(record);
      await parts.onEpoch?.(record);

      if (bestEpoch < 0 || isBetter(selection, values[selection.name], best[selection.name])) {
        bestEpoch = epoch + 1;
        best = values;
        bestThresholds = scorer.thresholds;
        bestValScored = valScored;
        bestState?.forEach((t) => t.dispose());
        bestState = learner.state().map((v) => tf.clone(v));
      }
      const patience = spec.training.patience;
      trainingDone = patience !== undefined && epoch + 1 - bestEpoch >= patience;
      if (parts.onCheckpoint) {
        await parts.onCheckpoint(await resumeStateOf(parts, learner, epoch + 1, {
          history, bestEpoch, best, bestThresholds, bestValScored: bestValScored!, bestState: bestState!, trainingDone: trainingDone || epoch + 1 === epochs,
        }));
      }
    }

    if (bestState && parts.onBest) {
      const names = learner.state().map((v) => checkpointName(v.name));
      await parts.onBest(await Promise.all(bestState.map(async (t, i) => ({ name: names[i], shape: t.shape, data: (await t.data()) as Float32Array }))));
    }

    if (!bestState || !bestValScored) throw new XferError(`run ${parts.hash}: training ended without a best epoch (epochs: ${epochs})`);
    let scoredTest: Awaited<ReturnType<typeof scoreTarget>> | undefined;
    if (testSamples) {
      // The test split is scored with the best epoch's weights (buffers included).
      learner.state().forEach((v, i) => v.assign(bestState![i]));
      scorer.thresholds = bestThresholds;
      scoredTest = await scoreTarget(scorer, metrics, valSamples, await scorer.score(valSamples, false), testSamples);
    }
    const test = scoredTest?.values;
    await storePredictions(parts, scorer, splits, scoredTest?.scores ?? bestValScored.scores);

    return {
      ...resultFields(parts, splits, params, started),
      epochs: history,
      bestEpoch,
      best,
      ...(test ? { test } : {}),
      ...(bestThresholds ? { thresholds: bestThresholds } : {}),
      // Val as scored at the best epoch.
      evaluation: { val: scorer.evaluation(valSamples, bestValScored), ...(scoredTest ? { test: scoredTest.evaluation } : {}) },
    };
  } finally {
    bestState?.forEach((t) => t.dispose());
    learner.dispose();
  }
}

/** A training batch asked for ahead of its step: its samples, and its input once prepared. */
interface PreparedBatch {
  readonly batch: readonly Sample[];
  readonly input: Promise<tf.Tensor>;
}

function prepareBatch(learner: Learner, drawn: { batch: readonly Sample[]; passes: readonly number[] }, epoch: number): PreparedBatch {
  const input = learner.prepare(drawn.batch, epoch, drawn.passes);
  // Awaited by its step or by discard; a failure in between (a file that does not decode) must not
  // surface as an unhandled rejection while the step before it computes.
  input.catch(() => {});
  return { batch: drawn.batch, input };
}

/** Frees a batch prepared for a step that will not run (the run stopped or failed first). */
async function discard(prepared: PreparedBatch): Promise<void> {
  try {
    (await prepared.input).dispose();
  } catch {
    // The error that ended the loop is the one reported; this batch's own failure would have come next.
  }
}

/** What every result records besides its epochs and metrics. */
function resultFields(parts: TrainerParts, splits: RunSplits, params: number, started: number) {
  const { spec, seeds, clock } = parts;
  const root = parts.datasetContext.io.root;
  return {
    hash: parts.hash,
    recipe: spec.recipe,
    params,
    // Samples the dataset left out (skipMissing, skipUndecodable) belong with the result they shaped.
    ...(parts.index.skipped?.length ? { skipped: parts.index.skipped.map(({ id, reason }) => ({ id, reason })) } : {}),
    seconds: (clock.now() - started) / 1000,
    ...(clock.timeOrigin === undefined ? {} : { startedAt: isoTime(clock.timeOrigin + started), endedAt: isoTime(clock.timeOrigin + clock.now()) }),
    data: { ...splits.data, ...(root === undefined ? {} : { root }) },
    seeds: { root: String(seeds.root), split: String(spec.splitSeed ?? spec.seed), shuffle: seeds.key("shuffle"), augment: seeds.key("augment"), init: seeds.key("init") },
    environment: parts.environment,
  };
}

/** The scored split's predictions (test, else val) to the run store. */
async function storePredictions(parts: TrainerParts, scorer: Scorer, splits: RunSplits, scores: Scores): Promise<void> {
  const [predicted, split] = splits.test ? [splits.test, "test" as const] : [splits.val, "val" as const];
  await parts.onPredictions?.({ split, ids: predicted.map((s) => s.id), labels: scorer.labels(predicted), scores });
}

/**
 * Kornblith et al. 2019's fixed-feature transfer (`training.mode: "logistic-regression"`): the
 * penultimate features of every split computed once (eval pipeline), lambda chosen on val by
 * `selectRegularisation` (core/stats/logistic-regression.ts), which also refits on train + val;
 * multilabel datasets (VOC 2007) get one binary fit per class by `selectOneVsRestRegularisation`,
 * one lambda for all classes chosen by the selection metric on val (ignored pairs left out of
 * their class's fit).
 * Nothing here is numerics of its own: the fits are that function's, the scores those of the
 * linear head holding its weights (float32, the checkpoint's precision, so `xfer evaluate`
 * reproduces them). One epoch record: val as scored by the train-only fit at the chosen lambda,
 * its mean cross-entropy on train as `trainLoss`. The test split is scored by the refitted model,
 * which is the checkpoint. There is nothing to resume mid-way: no resume state is written, and a
 * run stopped before it ends starts over.
 */
async function trainLogisticRegression(parts: TrainerParts): Promise<RunResult> {
  const { hash, metrics, head, clock } = parts;
  requireLogisticTask(parts);
  if (parts.batchAugmentations?.length) {
    throw new XferError(`batch augmentations (${parts.spec.augment.batch?.map((r) => r.name).join(", ")}) mix images; they do not apply in logistic-regression mode`);
  }
  if (parts.resume) throw new XferError(`run ${hash}: training.mode "logistic-regression" writes no resume state, yet one (after ${parts.resume.epochsDone} epoch(s)) was given`);
  const stopIfAsked = () => {
    if (parts.shouldStop?.()) throw new RunStopped(hash, 0, "signal");
  };
  const started = clock.now();
  const splits = splitRun(parts);
  const { train: trainSamples, val: valSamples, test: testSamples } = splits;
  requireEveryClass(parts, trainSamples);
  const params = parts.backbone.trainableVariables().reduce((n, v) => n + v.size, 0);
  stopIfAsked();
  const learner = await createFeatureLearner(parts, [trainSamples, valSamples, testSamples ?? []]);
  try {
    stopIfAsked();
    const scorer = new Scorer(parts, learner);
    const path = fitFixedFeatures(parts, learner, scorer, trainSamples, valSamples);
    learner.setClassifier(path.trainModel);
    const trainLoss = (await scorer.score(trainSamples, false)).loss;
    const valScored = await scorer.score(valSamples, true);
    const valLabels = scorer.labels(valSamples);
    const best = Object.fromEntries(metrics.map((m) => [m.name, m.compute(valLabels, valScored.scores)]));
    const record: EpochRecord = { epoch: 1, trainLoss, selection: best, seconds: (clock.now() - started) / 1000, valLoss: valScored.loss };
    parts.onProgress?.({ epoch: 0, epochs: 1, step: 1, stepsPerEpoch: 1, loss: trainLoss });
    await parts.onEpoch?.(record);

    learner.setClassifier(path.model);
    const state = learner.state();
    if (parts.onBest) {
      await parts.onBest(await Promise.all(state.map(async (v) => ({ name: checkpointName(v.name), shape: v.shape, data: await copyOf(v) }))));
    }
    stopIfAsked();
    // As `xfer evaluate` scores the checkpoint: the selection split first (fitted metrics learn there).
    const scoredTest = testSamples ? await scoreTarget(scorer, metrics, valSamples, await scorer.score(valSamples, false), testSamples) : undefined;
    await storePredictions(parts, scorer, splits, scoredTest?.scores ?? valScored.scores);
    return {
      ...resultFields(parts, splits, params, started),
      epochs: [record],
      bestEpoch: 1,
      best,
      ...(scoredTest ? { test: scoredTest.values } : {}),
      evaluation: { val: scorer.evaluation(valSamples, valScored), ...(scoredTest ? { test: scoredTest.evaluation } : {}) },
      regularisation: { lambda: path.lambda, candidates: path.grid.length },
    };
  } finally {
    learner.dispose();
  }
}

/** The regularisation path on the features: multinomial for single labels, one-vs-rest for multilabel (scored by the selection metric). */
function fitFixedFeatures(parts: TrainerParts, learner: FeatureLearner, scorer: Scorer, train: readonly Sample[], val: readonly Sample[]) {
  if (parts.dataset.meta.task !== "multilabel") {
    const labelled = (samples: readonly Sample[]) => ({ X: learner.matrix(samples), y: samples.map((s) => s.label as number) });
    return selectRegularisation(labelled(train), labelled(val), { tol: FIXED_FEATURE_TOLERANCE });
  }
  const labelled = (samples: readonly Sample[]) => ({ X: learner.matrix(samples), Y: scorer.labels(samples) as readonly (readonly number[])[] });
  const [selection] = parts.metrics;
  const score = (Y: Labels, proba: Scores) => (selection.direction === "max" ? 1 : -1) * selection.compute(Y, proba);
  return selectOneVsRestRegularisation(labelled(train), labelled(val), { tol: FIXED_FEATURE_TOLERANCE, score });
}

/** Logistic regression fits plain cross-entropy: multinomial (softmax) for single labels, one-vs-rest (sigmoid) for multilabel; no ordinal regression, no smoothing. */
function requireLogisticTask(parts: Pick<TrainerParts, "spec" | "dataset" | "head">): void {
  const { head, dataset } = parts;
  const multilabel = dataset.meta.task === "multilabel";
  if (head.loss !== (multilabel ? "sigmoid-bce" : "softmax-cross-entropy") || head.labelSmoothing !== 0) {
    const asked = isOrdinal(head) ? `training.loss "${head.loss}"` : `training.labelSmoothing ${head.labelSmoothing}`;
    throw new XferError(`training.mode "logistic-regression" fits plain ${multilabel ? "one-vs-rest binary" : "multinomial"} cross-entropy; ${asked} does not apply (dataset "${dataset.meta.name}")`);
  }
}

/**
 * A class without a training sample has no finite optimum (its intercept is unpenalised); a
 * one-vs-rest fit also needs a sample without the class (not counting samples that ignore it).
 */
function requireEveryClass(parts: Pick<TrainerParts, "hash" | "dataset" | "index" | "head">, samples: readonly Sample[]): void {
  const classes = Array.from({ length: parts.head.numClasses }, (_, c) => c);
  const names = classNamesOf(parts);
  const listed = (cs: readonly number[]) => cs.map((c) => `"${names[c] ?? c}"`).join(", ");
  const has = (s: Sample, c: number) => (typeof s.label === "number" ? s.label === c : s.label.includes(c));
  const missing = classes.filter((c) => !samples.some((s) => has(s, c)));
  if (missing.length > 0) {
    throw new XferError(`run ${parts.hash}: training.mode "logistic-regression" needs every class in the train split; ${listed(missing)} has none`);
  }
  if (parts.dataset.meta.task !== "multilabel") return;
  const everywhere = classes.filter((c) => samples.every((s) => has(s, c) || s.ignore?.includes(c)));
  if (everywhere.length > 0) {
    throw new XferError(`run ${parts.hash}: training.mode "logistic-regression" fits each class against the samples without it; ${listed(everywhere)} is in every train sample`);
  }
}

/** What the trainer carries from epoch to epoch besides the model and optimizer. */
interface Progress {
  readonly history: EpochRecord[];
  readonly bestEpoch: number;
  readonly best: Record<string, number>;
  readonly bestThresholds: number[] | undefined;
  readonly bestValScored: Scored;
  readonly bestState: tf.Tensor[];
  /** Training ended with this epoch (patience, or the last one): only the scoring is left. */
  readonly trainingDone: boolean;
}

const copyOf = async (t: tf.Tensor): Promise<Float32Array> => Float32Array.from((await t.data()) as Float32Array);

/** The resume state after `epochsDone` epochs: model, optimizer, best epoch, history and run-long random streams. */
async function resumeStateOf(parts: TrainerParts, learner: Learner, epochsDone: number, p: Progress): Promise<ResumeState> {
  const state = learner.state();
  const names = state.map((v) => checkpointName(v.name));
  const optimizer = parts.optimizer.saveState(state, names);
  const { scores, loss } = p.bestValScored;
  const tensors: NamedTensor[] = [
    ...(await Promise.all(state.map(async (v, i) => ({ name: `model/${names[i]}`, shape: v.shape, data: await copyOf(v) })))),
    ...optimizer.tensors.map((t) => ({ ...t, name: `optimizer/${t.name}` })),
    ...(await Promise.all(p.bestState.map(async (t, i) => ({ name: `best/${names[i]}`, shape: t.shape, data: await copyOf(t) })))),
    { name: BEST_VAL_SCORES, shape: [scores.length, scores[0]?.length ?? 0], data: Float32Array.from(scores.flat()) },
  ];
  const meta = trainerResumeMetaJson({
    history: p.history, bestEpoch: p.bestEpoch, best: p.best, ...(p.bestThresholds ? { bestThresholds: p.bestThresholds } : {}), bestValLoss: loss,
    trainingDone: p.trainingDone, optimizer: optimizer.scalars, streams: parts.seeds.positions(),
  });
  return { runId: parts.hash, epochsDone, tensors, meta };
}

/**
 * Puts a resume state back: model and optimizer state, random stream positions; returns what the
 * trainer carries between epochs. Everything is checked against the rebuilt run first.
 */
function restoreResume(parts: TrainerParts, learner: Learner, resume: ResumeState, valCount: number): Progress {
  const where = `resume state of run ${parts.hash}`;
  if (resume.runId !== parts.hash) throw new XferError(`${where}: it belongs to run ${resume.runId}`);
  const { epochs } = parts.spec.training;
  if (!Number.isInteger(resume.epochsDone) || resume.epochsDone < 1 || resume.epochsDone > epochs) {
    throw new XferError(`${where}: ${resume.epochsDone} completed epochs, but the run trains ${epochs}`);
  }
  const meta = parseTrainerResumeMeta(resume, where);
  const group = (prefix: string) => new Map(resume.tensors.filter((t) => t.name.startsWith(prefix)).map((t) => [t.name.slice(prefix.length), t]));
  const scores = resume.tensors.find((t) => t.name === BEST_VAL_SCORES);
  if (!scores || scores.shape.length !== 2 || scores.shape[0] !== valCount || scores.data.length !== scores.shape[0] * scores.shape[1]) {
    throw new XferError(`${where}: ${BEST_VAL_SCORES} must hold the ${valCount} val samples' scores, got shape [${scores?.shape.join(", ") ?? "missing"}]`);
  }
  const state = learner.state();
  const model = matchState(parts, state, group("model/"), "model/");
  const best = matchState(parts, state, group("best/"), "best/");
  const names = state.map((v) => checkpointName(v.name));
  const optimizerTensors = [...group("optimizer/")].map(([name, t]) => ({ ...t, name }));
  try {
    parts.optimizer.loadState(state, names, { scalars: meta.optimizer, tensors: optimizerTensors });
  } catch (e) {
    throw new XferError(`${where}: ${(e as Error).message}`, { cause: e });
  }
  parts.seeds.restorePositions(meta.streams, where);
  model.forEach(([variable, t]) => assignFrom(variable, t));
  const [n, k] = scores.shape;
  return {
    history: [...meta.history],
    bestEpoch: meta.bestEpoch,
    best: { ...meta.best },
    bestThresholds: meta.bestThresholds ? [...meta.bestThresholds] : undefined,
    bestValScored: { scores: Array.from({ length: n }, (_, i) => Array.from(scores.data.subarray(i * k, (i + 1) * k))), loss: meta.bestValLoss },
    bestState: best.map(([, t]) => tf.tensor(t.data, [...t.shape], "float32")),
    trainingDone: meta.trainingDone,
  };
}

/** Loads a batch through the eval or train pipeline, and scores samples batch by batch with the run's head. */
function scoringTools(parts: LearnerParts) {
  const { spec, backbone, seeds, dataset, head } = parts;
  const decodeOptions = spec.training.decodeResize === undefined ? undefined : { resize: spec.training.decodeResize };
  // Caching decoded images is the runtime's job (the Node runtime shares a bounded cache across runs).
  const load = (sample: Sample): Promise<Image> => dataset.load(sample, parts.datasetContext, decodeOptions);
  // Eval augmentations are deterministic; their stream is keyed by sample for completeness.
  const evalBatch = async (batch: readonly Sample[]) =>
    toBatch(await Promise.all(batch.map(async (s) => applyAll(parts.evalAugmentations, await load(s), seeds.stream("eval", s.id)))), backbone.meta);
  const onMainThread = async (batch: readonly Sample[], passes: readonly number[]) =>
    toBatch(await Promise.all(batch.map(async (s, i) => applyAll(parts.trainAugmentations, await load(s), seeds.stream("augment", passes[i], s.id)))), backbone.meta);
  let workers: RunSampleWorkers | undefined;
  const trainBatch = async (batch: readonly Sample[], passes: readonly number[]) => {
    if (workers) return stackRows(await Promise.all(batch.map((s, i) => workers!.row(s, seeds.key("augment", passes[i], s.id)))));
    const started = performance.now();
    const input = await onMainThread(batch, passes);
    if (parts.sampleWorkers && performance.now() - started >= parts.sampleWorkers.afterMs) workers = parts.sampleWorkers.forRun(spec, backbone.meta);
    return input;
  };
  // Ordinal regression outputs stay raw numbers; the trainer maps them to classes.
  const toScores = (logits: tf.Tensor2D) =>
    isOrdinal(head) ? tf.clone(logits) : head.loss === "sigmoid-bce" ? tf.sigmoid(logits) : tf.softmax(logits);
  const batched = async (samples: readonly Sample[], predict: (batch: readonly Sample[]) => Promise<tf.Tensor2D>): Promise<Scored> => {
    const rows: number[][] = [];
    let lossSum = 0;
    for (let start = 0; start < samples.length; start += spec.training.batchSize) {
      const batch = samples.slice(start, start + spec.training.batchSize);
      const logits = await predict(batch);
      const y = targetsOf(head, batch);
      const [probs, loss] = tf.tidy(() => [toScores(logits), lossOf(head, logits, y)]);
      rows.push(...((await probs.array()) as number[][]));
      lossSum += (await loss.data())[0] * batch.length;
      tf.dispose([logits, y, probs, loss]);
    }
    return { scores: rows, loss: lossSum / samples.length };
  };
  return { evalBatch, trainBatch, batched };
}

/** What a learner is built from: the run's parts, and where the platform can prepare training samples. */
type LearnerParts = EvaluationParts & Pick<TrainerParts, "sampleWorkers">;

async function createLearner(parts: LearnerParts, splits: readonly (readonly Sample[])[]): Promise<Learner> {
  const { spec, backbone } = parts;
  const mode = modeOf(spec);
  if (mode === "frozen-features" || mode === "logistic-regression") return createFeatureLearner(parts, splits);
  const { evalBatch, trainBatch, batched } = scoringTools(parts);
  const lpEpochs = mode === "linear-probe" ? Infinity : mode === "lp-ft" ? requireLpEpochs(spec) : 0;
  const frozen = (epoch: number) => epoch < lpEpochs;
  return {
    prepare: (batch, _epoch, passes) => trainBatch(batch, passes),
    // A frozen body runs in eval mode, so batch norm keeps its running statistics.
    logits: (input, epoch) => backbone.forward(input as tf.Tensor4D, !frozen(epoch)),
    trainable(epoch) {
      backbone.freeze(frozen(epoch) ? { except: "head" } : false);
      return backbone.trainableVariables();
    },
    state: () => backbone.stateVariables(),
    scores: (samples) => batched(samples, async (batch) => {
      const input = await evalBatch(batch);
      const logits = tf.tidy(() => backbone.forward(input, false));
      input.dispose();
      return logits;
    }),
    dispose: () => {},
  };
}

/** A linear classifier on penultimate features computed once, with the features at hand for a closed-form fit. */
interface FeatureLearner extends Learner {
  /** The samples' features, one row each (float64 copies of the float32 features). */
  matrix(samples: readonly Sample[]): DenseMatrix;
  /** Sets the linear classifier to a fitted logistic regression (multinomial, or one-vs-rest for a sigmoid head), rounded to float32 as the checkpoint stores it. */
  setClassifier(model: LogisticRegressionModel): void;
}

async function createFeatureLearner(parts: EvaluationParts, splits: readonly (readonly Sample[])[]): Promise<FeatureLearner> {
  const { spec, backbone, seeds, head } = parts;
  const { evalBatch, batched } = scoringTools(parts);
  const features = new Map<string, Float32Array>();
  for (const samples of splits) {
    for (let start = 0; start < samples.length; start += spec.training.batchSize) {
      const batch = samples.slice(start, start + spec.training.batchSize);
      const input = await evalBatch(batch);
      const f = tf.tidy(() => backbone.forwardFeatures(input, false));
      input.dispose();
      const data = (await f.data()) as Float32Array;
      const dim = f.shape[1];
      f.dispose();
      batch.forEach((s, i) => features.set(s.id, data.slice(i * dim, (i + 1) * dim)));
    }
  }
  const dim = features.values().next().value!.length;
  const linear = linearHead(dim, head.outputs, seeds);
  const stack = (batch: readonly Sample[]) => {
    const out = new Float32Array(batch.length * dim);
    batch.forEach((s, i) => out.set(features.get(s.id)!, i * dim));
    return tf.tensor2d(out, [batch.length, dim]);
  };
  return {
    prepare: async (batch) => stack(batch),
    logits: (input) => linear.apply(input as tf.Tensor2D),
    trainable: () => linear.variables,
    state: () => linear.variables,
    scores: (samples) => batched(samples, async (batch) => tf.tidy(() => linear.apply(stack(batch)))),
    dispose: () => linear.variables.forEach((v) => v.dispose()),
    matrix(samples) {
      const data = new Float64Array(samples.length * dim);
      samples.forEach((s, i) => data.set(features.get(s.id)!, i * dim));
      return { data, rows: samples.length, cols: dim };
    },
    setClassifier(model) {
      const { numClasses: k, numFeatures: d } = model;
      if (d !== dim || k !== head.outputs) throw new XferError(`run ${parts.hash}: the logistic regression has ${k} classes x ${d} features, the linear head ${head.outputs} x ${dim}`);
      // The head computes x W + b with W features x classes; the model's coef is classes x features.
      const kernel = new Float32Array(d * k);
      for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) kernel[j * k + c] = model.coef[c * d + j];
      const [kernelVariable, biasVariable] = linear.variables;
      assignFrom(kernelVariable, { shape: [d, k], data: kernel });
      assignFrom(biasVariable, { shape: [k], data: Float32Array.from(model.intercept) });
    },
  };
}

function modeOf(spec: RunSpec): NonNullable<RunSpec["training"]["mode"]> {
  return spec.training.mode ?? "finetune";
}

/** Training targets of a batch: class indices as a column for ordinal regression, else (multi-)one-hot rows. */
function targetsOf(head: RunHead, batch: readonly Sample[]): tf.Tensor2D {
  return isOrdinal(head) ? tf.tensor2d(batch.map((s) => s.label as number), [batch.length, 1]) : classTargets(batch.map((s) => s.label), head.numClasses);
}

function definedOrNull(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** What re-scoring a stored checkpoint needs: the run's parts, without optimizer, schedule or training callbacks. */
export type EvaluationParts = Pick<
  TrainerParts,
  "hash" | "spec" | "seeds" | "head" | "dataset" | "index" | "datasetContext" | "splitter" | "backbone" | "trainAugmentations" | "evalAugmentations" | "metrics"
>;

export interface CheckpointEvaluation {
  readonly split: "train" | "val" | "test";
  readonly metrics: Record<string, number>;
  readonly evaluation: SplitEvaluation;
}

/**
 * Re-scores a run's best checkpoint on one of its splits exactly as the trainer scored it: val as
 * at the best epoch (ordinal cut points fitted there again), test and train after the selection
 * split (fitted metrics learn on val; ordinal cut points are the result's `thresholds`).
 */
export async function evaluateCheckpoint(
  parts: EvaluationParts,
  checkpoint: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>,
  split: "train" | "val" | "test",
  thresholds?: readonly number[],
): Promise<CheckpointEvaluation> {
  const splits = splitRun(parts);
  const target = split === "test" ? splits.test : splits[split];
  if (!target) throw new XferError(`run ${parts.hash}: its splitter "${parts.spec.splitter.name}" makes no test split; evaluate val or train`);
  const learner = await createLearner(parts, [splits.train, splits.val, splits.test ?? []]);
  try {
    loadState(parts, learner.state(), checkpoint);
    const scorer = new Scorer(parts, learner);
    const valScored = await scorer.score(splits.val, true);
    if (split === "val") {
      const labels = scorer.labels(splits.val);
      const metrics = Object.fromEntries(parts.metrics.map((m) => [m.name, m.compute(labels, valScored.scores)]));
      return { split, metrics, evaluation: scorer.evaluation(splits.val, valScored) };
    }
    if (thresholds) scorer.thresholds = [...thresholds];
    const { values, evaluation } = await scoreTarget(scorer, parts.metrics, splits.val, valScored, target);
    return { split, metrics: values, evaluation };
  } finally {
    learner.dispose();
  }
}

/**
 * Predicted classes of unlabelled images (a Kaggle submission) from a run's best checkpoint, with
 * the run's eval preprocessing and head: argmax of a classifier, or an ordinal head's output
 * mapped through the cut points the run fitted (the result's `thresholds`). `parts.dataset` reads
 * `images` from `parts.datasetContext`; their labels are placeholders (the loss computed alongside is dropped).
 */
export async function predictCheckpoint(
  parts: EvaluationParts,
  checkpoint: ReadonlyMap<string, StoredTensor>,
  images: readonly Sample[],
  thresholds?: readonly number[],
): Promise<number[]> {
  if (parts.dataset.meta.task === "multilabel") throw new XferError(`run ${parts.hash}: predicting one class per image needs a single-label task; dataset "${parts.dataset.meta.name}" is multilabel`);
  if (isOrdinal(parts.head) && thresholds === undefined) throw new XferError(`run ${parts.hash}: its ordinal head needs the cut points its result records (thresholds); the result has none`);
  const learner = await createLearner(parts, [images]);
  try {
    loadState(parts, learner.state(), checkpoint);
    const { scores } = await learner.scores(images);
    return argmaxRows(isOrdinal(parts.head) ? ordinalScores(scores, thresholds!, parts.head.numClasses) : scores);
  } finally {
    learner.dispose();
  }
}

type StoredTensor = { readonly shape: readonly number[]; readonly data: Float32Array };

/** Assigns checkpoint tensors to the learner's state, in order; names (where stable) and shapes must match. */
function loadState(parts: EvaluationParts, state: readonly tf.Variable[], checkpoint: ReadonlyMap<string, StoredTensor>): void {
  matchState(parts, state, checkpoint, "").forEach(([variable, t]) => assignFrom(variable, t));
}

/** Each state variable with its checkpoint tensor (`prefix` names the group in errors), checked before anything is assigned. */
function matchState(parts: EvaluationParts, state: readonly tf.Variable[], checkpoint: ReadonlyMap<string, StoredTensor>, prefix: string): [tf.Variable, StoredTensor][] {
  const stored = [...checkpoint];
  if (stored.length !== state.length) throw new XferError(`run ${parts.hash}: the checkpoint holds ${stored.length} ${prefix}tensors, the rebuilt model has ${state.length}`);
  // Frozen-features heads of checkpoints written before they had stable names are anonymous tfjs variables (global counters): they match by position only.
  const byName = modeOf(parts.spec) !== "frozen-features";
  // Checkpoints written before names dropped a reset head's "#<counter>" suffix still match.
  const named = new Map(stored.map(([n, t]) => [n.replace(/#\d+$/, ""), t]));
  return state.map((variable, i) => {
    const expected = checkpointName(variable.name);
    const found = byName ? named.get(expected) : stored[i][1];
    if (found === undefined) throw new XferError(`run ${parts.hash}: the checkpoint has no tensor "${prefix}${expected}" (it has ${stored.slice(0, 5).map(([n]) => `"${prefix}${n}"`).join(", ")}${stored.length > 5 ? ", ..." : ""})`);
    const name = prefix + (byName ? expected : stored[i][0]);
    if (found.shape.join("x") !== variable.shape.join("x") || found.data.length !== variable.size) {
      throw new XferError(`run ${parts.hash}: checkpoint tensor "${name}" has shape [${found.shape.join(", ")}], the rebuilt model expects [${variable.shape.join(", ")}]`);
    }
    return [variable, found];
  });
}

export function assignFrom(variable: tf.Variable, t: StoredTensor): void {
  const value = tf.tensor(t.data, [...t.shape], "float32");
  variable.assign(value);
  value.dispose();
}

/**
 * Variable names carry a per-instance prefix and, once a head was reset, a "#<counter>" suffix
 * (tfjs needs unique names; both count process-wide); checkpoints drop both, so a run's
 * checkpoints and resume states name its tensors the same in any process.
 */
export function checkpointName(variableName: string): string {
  return variableName.slice(variableName.indexOf("/") + 1).replace(/#\d+$/, "");
}

/** Applies the batch augmentations in order, from the batch's own stream; disposes what it replaces. */
function mixBatch(parts: TrainerParts, input: tf.Tensor, y: tf.Tensor2D, epoch: number, step: number): { input: tf.Tensor; y: tf.Tensor2D } {
  const augmentations = parts.batchAugmentations ?? [];
  if (augmentations.length === 0) return { input, y };
  if (modeOf(parts.spec) === "frozen-features") {
    throw new XferError(`batch augmentations (${parts.spec.augment.batch?.map((r) => r.name).join(", ")}) mix images; they do not apply in frozen-features mode`);
  }
  const rng = parts.seeds.stream("batch-augment", epoch, step);
  let batch = { images: input as tf.Tensor4D, targets: y };
  for (const augmentation of augmentations) {
    const next = augmentation.apply(batch, rng);
    batch.images.dispose();
    batch.targets.dispose();
    batch = next;
  }
  return { input: batch.images, y: batch.targets };
}

/**
 * Which samples step `step` of epoch `epoch` trains on, and the pass over the data each belongs to.
 * Epochs (default): pass = epoch, shuffled by `stream("shuffle", epoch)`, ceil(n / batchSize)
 * steps, the last batch smaller. A step budget (`training.steps`): passes p = 0, 1, ... shuffled
 * by `stream("shuffle", p)` laid end to end, global step t taking positions [t B, (t + 1) B), so
 * every batch is full and may span two passes; `epochs` rounds of steps / epochs steps. Both are
 * pure functions of (epoch, step), so a resumed run draws what an uninterrupted one would.
 */
export function batchDrawer(parts: Pick<TrainerParts, "spec" | "seeds">, samples: readonly Sample[]) {
  const { spec, seeds } = parts;
  const { batchSize, epochs, steps } = spec.training;
  if (steps === undefined) {
    let shuffled = { epoch: -1, order: [] as Sample[] };
    return {
      stepsPerEpoch: Math.ceil(samples.length / batchSize),
      batchAt(epoch: number, step: number) {
        if (shuffled.epoch !== epoch) shuffled = { epoch, order: seeds.stream("shuffle", epoch).shuffle(samples) };
        const batch = shuffled.order.slice(step * batchSize, (step + 1) * batchSize);
        return { batch, passes: batch.map(() => epoch) };
      },
    };
  }
  if (!Number.isInteger(steps) || steps < 1 || steps % epochs !== 0) {
    throw new XferError(`training.steps must be a positive integer that training.epochs (${epochs}) divides into equal rounds, got ${steps}`);
  }
  const passes = new Map<number, Sample[]>();
  const pass = (p: number): Sample[] => {
    let order = passes.get(p);
    if (!order) {
      // A batch reads at most two passes, and steps go forward: older passes are done with.
      for (const old of passes.keys()) if (old < p - 1) passes.delete(old);
      order = seeds.stream("shuffle", p).shuffle(samples);
      passes.set(p, order);
    }
    return order;
  };
  const stepsPerEpoch = steps / epochs;
  return {
    stepsPerEpoch,
    batchAt(epoch: number, step: number) {
      const first = (epoch * stepsPerEpoch + step) * batchSize;
      const batch: Sample[] = [];
      const keys: number[] = [];
      for (let position = first; position < first + batchSize; position++) {
        const p = Math.floor(position / samples.length);
        batch.push(pass(p)[position % samples.length]);
        keys.push(p);
      }
      return { batch, passes: keys };
    },
  };
}

/**
 * `training.batchNormMomentum`: PyTorch's momentum for every batch-norm layer, or "kornblith",
 * 1 - max(1 - 10 / s, 0.9) for s = n / batchSize steps per epoch (Kornblith et al. 2019 give the
 * decay, TensorFlow's convention: 1 - momentum).
 */
export function batchNormMomentumOf(spec: RunSpec, trainCount: number): number | undefined {
  const asked = spec.training.batchNormMomentum;
  if (asked === undefined) return undefined;
  if (asked === "kornblith") return 1 - Math.max(1 - 10 / (trainCount / spec.training.batchSize), 0.9);
  if (typeof asked !== "number" || !(asked > 0 && asked <= 1)) {
    throw new XferError(`training.batchNormMomentum must be a number in (0, 1] (PyTorch's convention) or "kornblith", got ${JSON.stringify(asked)}`);
  }
  return asked;
}

function applyBatchNormMomentum(parts: Pick<TrainerParts, "spec" | "backbone">, trainCount: number): void {
  const momentum = batchNormMomentumOf(parts.spec, trainCount);
  if (momentum === undefined) return;
  if (typeof parts.backbone.setBatchNormMomentum !== "function") {
    throw new XferError(`training.batchNormMomentum is set, but backbone "${parts.spec.backbone.name}" offers no setBatchNormMomentum (core/contracts.ts Backbone)`);
  }
  parts.backbone.setBatchNormMomentum(momentum);
}

function requireLpEpochs(spec: RunSpec): number {
  const lp = spec.training.lpEpochs;
  if (lp === undefined || !Number.isInteger(lp) || lp < 1 || lp >= spec.training.epochs) {
    throw new XferError(`training.mode "lp-ft" needs training.lpEpochs, an integer in [1, epochs), got ${lp}`);
  }
  return lp;
}

/** A sample's augmentation pipeline; the Node runtime's sample workers run the same one. */
export function applyAll(augmentations: readonly Augmentation[], image: Image, rng: Rng): Image {
  // One stream per sample and epoch, drawn from in pipeline order.
  return augmentations.reduce((img, aug) => aug.apply(img, rng), image);
}

let linearHeads = 0;

/**
 * A linear classifier with PyTorch's nn.Linear initialisation (uniform +-1/sqrt(fan_in)). Its
 * variables are named `<unique prefix>/linear/kernel` and `.../bias`, so checkpoints and resume
 * states name them the same in every process (tfjs's default names count variables process-wide).
 */
function linearHead(dim: number, numClasses: number, seeds: SeedTree) {
  const rng = seeds.stream("init", "linear-head");
  const bound = 1 / Math.sqrt(dim);
  const draw = (n: number) => Float32Array.from({ length: n }, () => rng.range(-bound, bound));
  const prefix = `xfer-linear${linearHeads++}`;
  const kernel = tf.tidy(() => tf.variable(tf.tensor2d(draw(dim * numClasses), [dim, numClasses]), true, `${prefix}/linear/kernel`));
  const bias = tf.tidy(() => tf.variable(tf.tensor1d(draw(numClasses)), true, `${prefix}/linear/bias`));
  return {
    variables: [kernel, bias],
    apply: (x: tf.Tensor2D) => tf.add(tf.matMul(x, kernel), bias) as tf.Tensor2D,
  };
}

function isBetter(metric: Metric, value: number, incumbent: number): boolean {
  return metric.direction === "max" ? value > incumbent : value < incumbent;
}

/**
 * Stacks images into an NHWC float32 batch. 8-bit images get the backbone's preprocessing
 * (scale to [0, 1], then subtract `mean` and divide by `std` per channel, as torchvision's
 * ToTensor + Normalize); float images are taken as already normalized by the pipeline.
 */
export function toBatch(images: readonly Image[], preprocess?: Pick<BackboneMeta, "mean" | "std">): tf.Tensor4D {
  const { height, width, channels } = images[0];
  normalisationOf(channels, preprocess);
  images.forEach((img) => requireSameShape(img, images[0]));
  return stackRows(images.map((img) => batchRow(img, preprocess)));
}

/** One image as its batch row, as toBatch makes it (the sample workers make rows with this too). */
export function batchRow(image: Image, preprocess?: Pick<BackboneMeta, "mean" | "std">): BatchRow {
  const { height, width, channels } = image;
  if (!(image.data instanceof Uint8Array)) return { height, width, channels, data: Float32Array.from(image.data) };
  const { mean, std } = normalisationOf(channels, preprocess);
  const data = new Float32Array(image.data.length);
  for (let j = 0; j < data.length; j++) data[j] = (image.data[j] / 255 - mean[j % channels]) / std[j % channels];
  return { height, width, channels, data };
}

/** Rows of one shape as an NHWC batch. */
export function stackRows(rows: readonly BatchRow[]): tf.Tensor4D {
  const { height, width, channels } = rows[0];
  const size = height * width * channels;
  const out = new Float32Array(rows.length * size);
  rows.forEach((row, i) => {
    requireSameShape(row, rows[0]);
    out.set(row.data, i * size);
  });
  return tf.tensor4d(out, [rows.length, height, width, channels]);
}

function normalisationOf(channels: number, preprocess?: Pick<BackboneMeta, "mean" | "std">): { mean: readonly number[]; std: readonly number[] } {
  const mean = preprocess?.mean ?? new Array<number>(channels).fill(0);
  const std = preprocess?.std ?? new Array<number>(channels).fill(1);
  if (mean.length !== channels || std.length !== channels) {
    throw new XferError(`images have ${channels} channel(s) but the backbone normalizes ${mean.length}; set the dataset's channels or the backbone's`);
  }
  return { mean, std };
}

function requireSameShape(img: Pick<Image, "height" | "width" | "channels">, first: Pick<Image, "height" | "width" | "channels">): void {
  const { height, width, channels } = first;
  if (img.height !== height || img.width !== width || img.channels !== channels) {
    throw new XferError(`batch images differ in shape: ${img.height}x${img.width}x${img.channels} vs ${height}x${width}x${channels}; add a resize/crop augmentation`);
  }
}

/** Labels as the metrics read them: multilabel rows hold 1 present, 0 absent, IGNORED_LABEL for the sample's `ignore` classes. */
function labelsOf(samples: readonly Sample[], task: Dataset["meta"]["task"], numClasses: number): Labels {
  if (task !== "multilabel") return samples.map((s) => s.label as number);
  return samples.map((s) => {
    const row = new Array<number>(numClasses).fill(0);
    for (const c of s.label as readonly number[]) row[c] = 1;
    for (const c of s.ignore ?? []) {
      if (!Number.isInteger(c) || c < 0 || c >= numClasses || row[c] !== 0) {
        throw new XferError(`sample "${s.id}": ignore lists class ${c}; expected class indices in 0..${numClasses - 1}, once each, none of them in its label`);
      }
      row[c] = IGNORED_LABEL;
    }
    return row;
  });
}
