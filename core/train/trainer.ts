/**
 * The trainer: epochs over seeded shuffles, evaluation on the selection split after each epoch,
 * the reference code's selection rule (strictly better wins, so the earliest epoch wins ties),
 * and the test split scored with the best epoch's weights.
 */
import * as tf from "@tensorflow/tfjs-core";
// The union package registers every gradient on the shared tfjs-core engine; tfjs-core's own
// register_all_gradients module uses extensionless ESM imports that Deno cannot resolve.
import "@tensorflow/tfjs";
import type {
  Augmentation, Backbone, BackboneMeta, Clock, Dataset, DatasetContext, DatasetIndex, EnvironmentRecord, EpochRecord, Image, Labels,
  Metric, NamedTensor, Optimizer, RunResult, Sample, Schedule, Scores, Splitter,
} from "../contracts.ts";
import { XferError } from "../errors.ts";
import type { RunSpec } from "../recipe.ts";
import type { BatchAugmentation } from "../image/batch.ts";
import {
  classTargets, fitOrdinalThresholds, ordinalRegressionLoss, sigmoidBinaryCrossEntropy, softmaxCrossEntropy, thresholdsToClasses,
} from "../losses.ts";
import type { Rng, SeedTree } from "../rng.ts";
import { isOrdinal, type RunHead } from "./head.ts";

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
}

export interface TrainProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly loss: number;
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
 * fixed-feature protocol of Kornblith et al. 2019, trained with the run's optimizer).
 */
interface Learner {
  /** Inputs for a batch (tensors the loop disposes after the step). */
  prepare(batch: readonly Sample[], epoch: number): Promise<tf.Tensor>;
  logits(input: tf.Tensor, epoch: number): tf.Tensor2D;
  trainable(epoch: number): tf.Variable[];
  state(): tf.Variable[];
  scores(samples: readonly Sample[]): Promise<Scores>;
  dispose(): void;
}

export async function train(parts: TrainerParts): Promise<RunResult> {
  const { spec, dataset, seeds, optimizer, schedule, metrics, head, clock } = parts;
  const started = clock.now();
  const { epochs, batchSize } = spec.training;
  const { index } = parts;
  const { numClasses } = head;
  const byId = new Map(index.samples.map((s) => [s.id, s]));
  const splitSeed = spec.splitSeed ?? spec.seed;
  const split = parts.splitter.split(index, splitSeed);
  const pick = (ids: readonly string[], part: string): Sample[] =>
    ids.map((id) => {
      const sample = byId.get(id);
      if (!sample) throw new XferError(`split "${part}" names sample "${id}", which dataset "${dataset.meta.name}" does not have`);
      return sample;
    });
  const trainSamples = pick(split.train, "train");
  const valSamples = pick(split.val, "val");
  const testSamples = split.test ? pick(split.test, "test") : undefined;
  if (trainSamples.length === 0 || valSamples.length === 0) {
    throw new XferError(`dataset "${dataset.meta.name}": the split left ${trainSamples.length} train and ${valSamples.length} val samples; both must be non-empty`);
  }

  const ordinal = isOrdinal(head);
  // Counted before the learner can freeze the body: the model the run trains, with its run head.
  const params = parts.backbone.trainableVariables().reduce((n, v) => n + v.size, 0);
  const learner = await createLearner(parts, [trainSamples, valSamples, testSamples ?? []]);
  const toTargets = (batch: readonly Sample[]) =>
    ordinal ? tf.tensor2d(batch.map((s) => s.label as number), [batch.length, 1]) : classTargets(batch.map((s) => s.label), numClasses);
  let thresholds: number[] | undefined;
  let bestThresholds: number[] | undefined;
  /** Scores the metrics read; ordinal predictions go through cut points fitted on the selection split. */
  const scoresOf = async (samples: readonly Sample[], fit: boolean): Promise<Scores> => {
    const raw = await learner.scores(samples);
    if (!ordinal) return raw;
    if (fit) thresholds = fitOrdinalThresholds(raw.map((r) => r[0]), samples.map((s) => s.label as number), numClasses);
    return ordinalScores(raw, thresholds!, numClasses);
  };
  const stepsPerEpoch = Math.ceil(trainSamples.length / batchSize);
  const history: EpochRecord[] = [];
  const [selection, ...others] = metrics;
  let bestEpoch = -1;
  let best: Record<string, number> = {};
  let bestState: tf.Tensor[] | undefined;

  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const epochStart = clock.now();
      const order = seeds.stream("shuffle", epoch).shuffle(trainSamples);
      const variables = learner.trainable(epoch);
      let lossSum = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        const batch = order.slice(step * batchSize, (step + 1) * batchSize);
        const { input, y } = mixBatch(parts, await learner.prepare(batch, epoch), toTargets(batch), epoch, step);
        const lr = schedule.lr({ epoch, step, stepsPerEpoch });
        const loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => lossOf(head, learner.logits(input, epoch), y), variables);
          optimizer.step(variables, variables.map((v) => grads[v.name]), lr);
          return value.dataSync()[0];
        });
        input.dispose();
        y.dispose();
        if (!Number.isFinite(loss)) throw new XferError(`run ${parts.hash}: training loss became ${loss} at epoch ${epoch + 1}, step ${step + 1}`);
        lossSum += loss;
        parts.onProgress?.({ epoch, epochs, step: step + 1, stepsPerEpoch, loss });
      }

      const valScores = await scoresOf(valSamples, true);
      const valLabels = labelsOf(valSamples, dataset.meta.task, numClasses);
      const values: Record<string, number> = {};
      for (const metric of [selection, ...others]) values[metric.name] = metric.compute(valLabels, valScores);
      const record: EpochRecord = { epoch: epoch + 1, trainLoss: lossSum / stepsPerEpoch, selection: values, seconds: (clock.now() - epochStart) / 1000 };
      history.push(record);
      await parts.onEpoch?.(record);

      if (bestEpoch < 0 || isBetter(selection, values[selection.name], best[selection.name])) {
        bestEpoch = epoch + 1;
        best = values;
        bestThresholds = thresholds;
        bestState?.forEach((t) => t.dispose());
        bestState = learner.state().map((v) => tf.clone(v));
      }
      const patience = spec.training.patience;
      if (patience !== undefined && epoch + 1 - bestEpoch >= patience) break;
    }

    if (bestState && parts.onBest) {
      const names = learner.state().map((v) => checkpointName(v.name));
      await parts.onBest(await Promise.all(bestState.map(async (t, i) => ({ name: names[i], shape: t.shape, data: (await t.data()) as Float32Array }))));
    }

    let test: Record<string, number> | undefined;
    if (testSamples && bestState) {
      // The test split is scored with the best epoch's weights (buffers included).
      learner.state().forEach((v, i) => v.assign(bestState![i]));
      thresholds = bestThresholds;
      const valScores = await scoresOf(valSamples, false);
      const valLabels = labelsOf(valSamples, dataset.meta.task, numClasses);
      const testScores = await scoresOf(testSamples, false);
      const testLabels = labelsOf(testSamples, dataset.meta.task, numClasses);
      test = {};
      // Fitted metrics (multilabel thresholds) learn on the selection split, then score the test split.
      for (const metric of metrics) test[metric.name] = (metric.fit?.(valLabels, valScores) ?? metric).compute(testLabels, testScores);
    }

    return {
      hash: parts.hash,
      recipe: spec.recipe,
      epochs: history,
      bestEpoch,
      best,
      ...(test ? { test } : {}),
      ...(bestThresholds ? { thresholds: bestThresholds } : {}),
      params,
      // Samples the dataset left out (skipMissing, skipUndecodable) belong with the result they shaped.
      ...(parts.index.skipped?.length ? { skipped: parts.index.skipped.map(({ id, reason }) => ({ id, reason })) } : {}),
      seconds: (clock.now() - started) / 1000,
      seeds: { root: String(seeds.root), split: String(splitSeed), shuffle: seeds.key("shuffle"), augment: seeds.key("augment"), init: seeds.key("init") },
      environment: parts.environment,
    };
  } finally {
    bestState?.forEach((t) => t.dispose());
    learner.dispose();
  }
}

async function createLearner(parts: TrainerParts, splits: readonly (readonly Sample[])[]): Promise<Learner> {
  const { spec, backbone, seeds, dataset, head } = parts;
  const mode = spec.training.mode ?? "finetune";
  const decodeOptions = spec.training.decodeResize === undefined ? undefined : { resize: spec.training.decodeResize };
  // Caching decoded images is the runtime's job (the Node runtime shares a bounded cache across runs).
  const load = (sample: Sample): Promise<Image> => dataset.load(sample, parts.datasetContext, decodeOptions);
  // Eval augmentations are deterministic; their stream is keyed by sample for completeness.
  const evalBatch = async (batch: readonly Sample[]) =>
    toBatch(await Promise.all(batch.map(async (s) => applyAll(parts.evalAugmentations, await load(s), seeds.stream("eval", s.id)))), backbone.meta);
  const trainBatch = async (batch: readonly Sample[], epoch: number) =>
    toBatch(await Promise.all(batch.map(async (s) => applyAll(parts.trainAugmentations, await load(s), seeds.stream("augment", epoch, s.id)))), backbone.meta);
  // Ordinal regression outputs stay raw numbers; the trainer maps them to classes.
  const toScores = (logits: tf.Tensor2D) =>
    isOrdinal(head) ? tf.clone(logits) : head.loss === "sigmoid-bce" ? tf.sigmoid(logits) : tf.softmax(logits);
  const batched = async (samples: readonly Sample[], predict: (batch: readonly Sample[]) => Promise<tf.Tensor>): Promise<Scores> => {
    const rows: number[][] = [];
    for (let start = 0; start < samples.length; start += spec.training.batchSize) {
      const probs = await predict(samples.slice(start, start + spec.training.batchSize));
      rows.push(...((await probs.array()) as number[][]));
      probs.dispose();
    }
    return rows;
  };

  if (mode === "frozen-features") {
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
      scores: (samples) => batched(samples, async (batch) => tf.tidy(() => toScores(linear.apply(stack(batch))))),
      dispose: () => linear.variables.forEach((v) => v.dispose()),
    };
  }

  const lpEpochs = mode === "linear-probe" ? Infinity : mode === "lp-ft" ? requireLpEpochs(spec) : 0;
  const frozen = (epoch: number) => epoch < lpEpochs;
  return {
    prepare: (batch, epoch) => trainBatch(batch, epoch),
    // A frozen body runs in eval mode, so batch norm keeps its running statistics.
    logits: (input, epoch) => backbone.forward(input as tf.Tensor4D, !frozen(epoch)),
    trainable(epoch) {
      backbone.freeze(frozen(epoch) ? { except: "head" } : false);
      return backbone.trainableVariables();
    },
    state: () => backbone.stateVariables(),
    scores: (samples) => batched(samples, async (batch) => {
      const input = await evalBatch(batch);
      const probs = tf.tidy(() => toScores(backbone.forward(input, false)));
      input.dispose();
      return probs;
    }),
    dispose: () => {},
  };
}

/** Variable names carry a per-instance prefix (tfjs needs unique names); checkpoints drop it. */
function checkpointName(variableName: string): string {
  return variableName.slice(variableName.indexOf("/") + 1);
}

/** Applies the batch augmentations in order, from the batch's own stream; disposes what it replaces. */
function mixBatch(parts: TrainerParts, input: tf.Tensor, y: tf.Tensor2D, epoch: number, step: number): { input: tf.Tensor; y: tf.Tensor2D } {
  const augmentations = parts.batchAugmentations ?? [];
  if (augmentations.length === 0) return { input, y };
  if ((parts.spec.training.mode ?? "finetune") === "frozen-features") {
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

function requireLpEpochs(spec: RunSpec): number {
  const lp = spec.training.lpEpochs;
  if (lp === undefined || !Number.isInteger(lp) || lp < 1 || lp >= spec.training.epochs) {
    throw new XferError(`training.mode "lp-ft" needs training.lpEpochs, an integer in [1, epochs), got ${lp}`);
  }
  return lp;
}

function applyAll(augmentations: readonly Augmentation[], image: Image, rng: Rng): Image {
  // One stream per sample and epoch, drawn from in pipeline order.
  return augmentations.reduce((img, aug) => aug.apply(img, rng), image);
}

/** A linear classifier with PyTorch's nn.Linear initialisation (uniform +-1/sqrt(fan_in)). */
function linearHead(dim: number, numClasses: number, seeds: SeedTree) {
  const rng = seeds.stream("init", "linear-head");
  const bound = 1 / Math.sqrt(dim);
  const draw = (n: number) => Float32Array.from({ length: n }, () => rng.range(-bound, bound));
  const kernel = tf.tidy(() => tf.variable(tf.tensor2d(draw(dim * numClasses), [dim, numClasses]), true));
  const bias = tf.tidy(() => tf.variable(tf.tensor1d(draw(numClasses)), true));
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
  const size = height * width * channels;
  const out = new Float32Array(images.length * size);
  const mean = preprocess?.mean ?? new Array<number>(channels).fill(0);
  const std = preprocess?.std ?? new Array<number>(channels).fill(1);
  if (mean.length !== channels || std.length !== channels) {
    throw new XferError(`images have ${channels} channel(s) but the backbone normalizes ${mean.length}; set the dataset's channels or the backbone's`);
  }
  images.forEach((img, i) => {
    if (img.height !== height || img.width !== width || img.channels !== channels) {
      throw new XferError(`batch images differ in shape: ${img.height}x${img.width}x${img.channels} vs ${height}x${width}x${channels}; add a resize/crop augmentation`);
    }
    if (img.data instanceof Uint8Array) {
      for (let j = 0; j < size; j++) out[i * size + j] = (img.data[j] / 255 - mean[j % channels]) / std[j % channels];
    } else {
      out.set(img.data, i * size);
    }
  });
  return tf.tensor4d(out, [images.length, height, width, channels]);
}

function labelsOf(samples: readonly Sample[], task: Dataset["meta"]["task"], numClasses: number): Labels {
  if (task !== "multilabel") return samples.map((s) => s.label as number);
  return samples.map((s) => {
    const row = new Array<number>(numClasses).fill(0);
    for (const c of s.label as readonly number[]) row[c] = 1;
    return row;
  });
}
