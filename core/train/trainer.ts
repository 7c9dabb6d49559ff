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
  Augmentation, Backbone, Dataset, DatasetContext, DatasetIndex, EnvironmentRecord, EpochRecord, Image, Labels,
  Metric, Optimizer, RunResult, Sample, Schedule, Scores, Splitter,
} from "../contracts.ts";
import { XferError } from "../errors.ts";
import type { RunSpec } from "../recipe.ts";
import type { SeedTree } from "../rng.ts";

export interface TrainerParts {
  readonly hash: string;
  readonly spec: RunSpec;
  readonly seeds: SeedTree;
  readonly dataset: Dataset;
  readonly index: DatasetIndex;
  readonly datasetContext: DatasetContext;
  readonly splitter: Splitter;
  readonly backbone: Backbone;
  readonly optimizer: Optimizer;
  readonly schedule: Schedule;
  readonly trainAugmentations: readonly Augmentation[];
  readonly evalAugmentations: readonly Augmentation[];
  /** The selection metric first. */
  readonly metrics: readonly Metric[];
  readonly environment: EnvironmentRecord;
  readonly onProgress?: (event: TrainProgress) => void;
  readonly onEpoch?: (record: EpochRecord) => Promise<void>;
}

export interface TrainProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly loss: number;
}

/** Single-label tasks train with softmax cross-entropy; multilabel with sigmoid BCE. */
function lossOf(task: Dataset["meta"]["task"], logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Scalar {
  if (task === "multilabel") {
    return tf.mean(tf.sub(tf.add(tf.relu(logits), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))), tf.mul(logits, labels))) as tf.Scalar;
  }
  const logProbs = tf.logSoftmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, logProbs), 1))) as tf.Scalar;
}

export async function train(parts: TrainerParts): Promise<RunResult> {
  const started = performance.now();
  const { spec, dataset, seeds, backbone, optimizer, schedule, metrics } = parts;
  const { epochs, batchSize } = spec.training;
  const { index } = parts;
  const numClasses = (index.classNames ?? dataset.meta.classNames).length;
  const byId = new Map(index.samples.map((s) => [s.id, s]));
  const split = parts.splitter.split(index, spec.seed);
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

  const decoded = new Map<string, Image>();
  const load = async (sample: Sample): Promise<Image> => {
    let image = decoded.get(sample.id);
    if (!image) {
      image = await dataset.load(sample, parts.datasetContext);
      decoded.set(sample.id, image);
    }
    return image;
  };

  const variables = backbone.trainableVariables();
  const stepsPerEpoch = Math.ceil(trainSamples.length / batchSize);
  const history: EpochRecord[] = [];
  const [selection, ...others] = metrics;
  let bestEpoch = -1;
  let best: Record<string, number> = {};
  let bestWeights: tf.Tensor[] | undefined;

  for (let epoch = 0; epoch < epochs; epoch++) {
    const epochStart = performance.now();
    const order = seeds.stream("shuffle", epoch).shuffle(trainSamples);
    let lossSum = 0;
    for (let step = 0; step < stepsPerEpoch; step++) {
      const batch = order.slice(step * batchSize, (step + 1) * batchSize);
      const images = await Promise.all(
        batch.map(async (s) => parts.trainAugmentations.reduce((img, aug) => aug.apply(img, seeds.stream("augment", epoch, s.id)), await load(s))),
      );
      const lr = schedule.lr({ epoch, step, stepsPerEpoch });
      const loss = tf.tidy(() => {
        const x = toBatch(images);
        const y = targets(batch, numClasses);
        const { value, grads } = tf.variableGrads(() => lossOf(dataset.meta.task, backbone.forward(x, true), y), variables);
        optimizer.step(variables, variables.map((v) => grads[v.name]), lr);
        return value.dataSync()[0];
      });
      if (!Number.isFinite(loss)) throw new XferError(`run ${parts.hash}: training loss became ${loss} at epoch ${epoch + 1}, step ${step + 1}`);
      lossSum += loss;
      parts.onProgress?.({ epoch, epochs, step: step + 1, stepsPerEpoch, loss });
    }

    const valScores = await predict(parts, valSamples, load);
    const valLabels = labelsOf(valSamples, dataset.meta.task, numClasses);
    const values: Record<string, number> = {};
    for (const metric of [selection, ...others]) values[metric.name] = metric.compute(valLabels, valScores);
    const record: EpochRecord = { epoch: epoch + 1, trainLoss: lossSum / stepsPerEpoch, selection: values, seconds: (performance.now() - epochStart) / 1000 };
    history.push(record);
    await parts.onEpoch?.(record);

    if (bestEpoch < 0 || isBetter(selection, values[selection.name], best[selection.name])) {
      bestEpoch = epoch + 1;
      best = values;
      bestWeights?.forEach((t) => t.dispose());
      bestWeights = variables.map((v) => tf.clone(v));
    }
    const patience = spec.training.patience;
    if (patience !== undefined && epoch + 1 - bestEpoch >= patience) break;
  }

  let test: Record<string, number> | undefined;
  if (testSamples && bestWeights) {
    const current = variables.map((v) => tf.clone(v));
    variables.forEach((v, i) => v.assign(bestWeights![i]));
    const valScores = await predict(parts, valSamples, load);
    const valLabels = labelsOf(valSamples, dataset.meta.task, numClasses);
    const testScores = await predict(parts, testSamples, load);
    const testLabels = labelsOf(testSamples, dataset.meta.task, numClasses);
    test = {};
    // Fitted metrics (multilabel thresholds) learn on the selection split, then score the test split.
    for (const metric of metrics) test[metric.name] = (metric.fit?.(valLabels, valScores) ?? metric).compute(testLabels, testScores);
    variables.forEach((v, i) => v.assign(current[i]));
    current.forEach((t) => t.dispose());
  }
  bestWeights?.forEach((t) => t.dispose());

  return {
    hash: parts.hash,
    recipe: spec.recipe,
    epochs: history,
    bestEpoch,
    best,
    ...(test ? { test } : {}),
    seconds: (performance.now() - started) / 1000,
    seeds: { root: String(seeds.root), split: String(spec.seed), shuffle: seeds.key("shuffle"), augment: seeds.key("augment"), init: seeds.key("init") },
    environment: parts.environment,
  };
}

function isBetter(metric: Metric, value: number, incumbent: number): boolean {
  return metric.direction === "max" ? value > incumbent : value < incumbent;
}

async function predict(parts: TrainerParts, samples: readonly Sample[], load: (s: Sample) => Promise<Image>): Promise<Scores> {
  const { batchSize } = parts.spec.training;
  const multilabel = parts.dataset.meta.task === "multilabel";
  const rows: number[][] = [];
  for (let start = 0; start < samples.length; start += batchSize) {
    const batch = samples.slice(start, start + batchSize);
    // Eval augmentations are deterministic; the stream is keyed by sample for completeness.
    const images = await Promise.all(
      batch.map(async (s) => parts.evalAugmentations.reduce((img, aug) => aug.apply(img, parts.seeds.stream("eval", s.id)), await load(s))),
    );
    const probs = tf.tidy(() => {
      const logits = parts.backbone.forward(toBatch(images), false);
      return multilabel ? tf.sigmoid(logits) : tf.softmax(logits);
    });
    const data = (await probs.array()) as number[][];
    probs.dispose();
    rows.push(...data);
  }
  return rows;
}

/** Stacks images into an NHWC float32 batch; 8-bit images are scaled to [0, 1]. */
export function toBatch(images: readonly Image[]): tf.Tensor4D {
  const { height, width, channels } = images[0];
  const size = height * width * channels;
  const out = new Float32Array(images.length * size);
  images.forEach((img, i) => {
    if (img.height !== height || img.width !== width || img.channels !== channels) {
      throw new XferError(`batch images differ in shape: ${img.height}x${img.width}x${img.channels} vs ${height}x${width}x${channels}; add a resize/crop augmentation`);
    }
    if (img.data instanceof Uint8Array) {
      for (let j = 0; j < size; j++) out[i * size + j] = img.data[j] / 255;
    } else {
      out.set(img.data, i * size);
    }
  });
  return tf.tensor4d(out, [images.length, height, width, channels]);
}

function targets(samples: readonly Sample[], numClasses: number): tf.Tensor2D {
  const out = new Float32Array(samples.length * numClasses);
  samples.forEach((s, i) => {
    for (const c of typeof s.label === "number" ? [s.label] : s.label) out[i * numClasses + c] = 1;
  });
  return tf.tensor2d(out, [samples.length, numClasses]);
}

function labelsOf(samples: readonly Sample[], task: Dataset["meta"]["task"], numClasses: number): Labels {
  if (task !== "multilabel") return samples.map((s) => s.label as number);
  return samples.map((s) => {
    const row = new Array<number>(numClasses).fill(0);
    for (const c of s.label as readonly number[]) row[c] = 1;
    return row;
  });
}
