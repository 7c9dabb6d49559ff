/**
 * The Fashion-MNIST pretrain -> transfer study (recipes/fashion-mnist-pretrain and
 * recipes/fashion-mnist-study): the models, their pretraining budgets, the downstream tasks and
 * the ways to transfer, in one place so both recipes (and their tests) read the same lists.
 * Why each piece is there: recipes/fashion-mnist-study/README.md.
 */
import type { Grid, JsonObject, PluginRef } from "../../core/index.ts";

/** The upstream classes, the ImageNet stand-in: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal. */
export const UPSTREAM_CLASSES = [0, 1, 2, 3, 4, 5] as const;
/** The held-out classes, new to every upstream model: Shirt, Sneaker, Bag, Ankle boot. */
export const NEW_CLASSES = [6, 7, 8, 9] as const;

const tinycnn = (widths: readonly [number, number], hidden: number): PluginRef => ({ name: "tinycnn.random", options: { widths: [...widths], hidden } });
const mini = (id: string): PluginRef => ({ name: `${id}.random` });

/**
 * A model is an architecture and a pretraining budget (training images per upstream class), as the
 * paper's models differ in capacity and training: together they spread upstream accuracy.
 * `channels`: tinycnn reads the grayscale image, the catalog minis are 3-channel nets (replicated).
 */
export interface StudyModel {
  readonly label: string;
  readonly backbone: PluginRef;
  readonly channels: 1 | 3;
  readonly perClass: number;
  /**
   * Input size when 28 px is too small for the architecture: densenet_mini's last transition
   * pools a 1x1 map away below 29 px, vit_mini takes exactly 32 (a bilinear resize, last in both
   * pipelines).
   */
  readonly inputSize?: number;
  /** Pretraining lr when the shared 0.05 does not train the architecture (squeezenet_mini stays at chance). */
  readonly lr?: number;
}

export const MODELS: readonly StudyModel[] = [
  { label: "tinycnn-4-8-16@100", backbone: tinycnn([4, 8], 16), channels: 1, perClass: 100 },
  { label: "tinycnn-8-16-32@300", backbone: tinycnn([8, 16], 32), channels: 1, perClass: 300 },
  { label: "tinycnn-16-32-64@1000", backbone: tinycnn([16, 32], 64), channels: 1, perClass: 1000 },
  { label: "tinycnn-16-32-64@4000", backbone: tinycnn([16, 32], 64), channels: 1, perClass: 4000 },
  { label: "resnet18_mini@300", backbone: mini("resnet18_mini"), channels: 3, perClass: 300 },
  { label: "resnet18_mini@4000", backbone: mini("resnet18_mini"), channels: 3, perClass: 4000 },
  { label: "mobilenet_v3_mini@1000", backbone: mini("mobilenet_v3_mini"), channels: 3, perClass: 1000 },
  { label: "shufflenet_v2_mini@1000", backbone: mini("shufflenet_v2_mini"), channels: 3, perClass: 1000 },
  { label: "squeezenet_mini@1000", backbone: mini("squeezenet_mini"), channels: 3, perClass: 1000, lr: 0.01 },
  { label: "densenet_mini@1000", backbone: mini("densenet_mini"), channels: 3, perClass: 1000, inputSize: 32 },
  { label: "vgg_bn_mini@1000", backbone: mini("vgg_bn_mini"), channels: 3, perClass: 1000 },
  { label: "efficientnet_mini@1000", backbone: mini("efficientnet_mini"), channels: 3, perClass: 1000 },
  { label: "convnext_mini@1000", backbone: mini("convnext_mini"), channels: 3, perClass: 1000 },
  { label: "vit_mini@1000", backbone: mini("vit_mini"), channels: 3, perClass: 1000, inputSize: 32 },
];

/** Smoke mode: one tinycnn and one catalog mini, on the fixture. */
export const SMOKE_MODELS: readonly StudyModel[] = [MODELS[0], MODELS[4]];

/** 28 -> 10 -> 28 px: detail finer than about 3 pixels is gone (docs/datasets.md, a shifted domain). */
const LOW_RESOLUTION: readonly PluginRef[] = [
  { name: "resize-center-crop", options: { resize: 10, crop: 10 } },
  { name: "resize-center-crop", options: { resize: 28, crop: 28 } },
];

/**
 * A downstream task: classes, training images per class, and whether the images are shifted.
 * Every task holds out 50 images per class for val and scores at most 250 per class of t10k.
 */
export interface StudyTask {
  readonly label: string;
  readonly classes: readonly number[];
  readonly perClass: number;
  readonly lowResolution: boolean;
}

export const TASKS: readonly StudyTask[] = [
  { label: "new-classes-k100", classes: NEW_CLASSES, perClass: 100, lowResolution: false },
  { label: "new-classes-k20", classes: NEW_CLASSES, perClass: 20, lowResolution: false },
  { label: "new-classes-k5", classes: NEW_CLASSES, perClass: 5, lowResolution: false },
  { label: "low-resolution-k100", classes: UPSTREAM_CLASSES, perClass: 100, lowResolution: true },
];

export const VAL_PER_CLASS = 50;
export const TEST_PER_CLASS = 250;
/** Upstream: 500 val images per class for checkpoint selection, 1,000 t10k test images per class (all of them). */
export const UPSTREAM_VAL_PER_CLASS = 500;

/** The ways to transfer (tags.transfer), each with the training it changes; fine-tuning over a small lr grid. */
export const TRANSFERS = [
  { transfer: "finetune", upstream: true, training: [{ mode: "finetune", lr: 0.01 }, { mode: "finetune", lr: 0.05 }] },
  { transfer: "linear-probe", upstream: true, training: [{ mode: "linear-probe", lr: 0.1 }] },
  { transfer: "logistic-regression", upstream: true, training: [{ mode: "logistic-regression", lr: 0.1 }] },
  { transfer: "scratch", upstream: false, training: [{ mode: "finetune", lr: 0.05 }] },
] as const;

export const PRETRAIN_RECIPE = "fashion-mnist-pretrain";

/** The fashion-mnist dataset reference of a model (its channels) restricted to `classes`. */
export function datasetOf(model: StudyModel, classes: readonly number[]): JsonObject {
  return { name: "fashion-mnist", options: { classes: [...classes], channels: model.channels } };
}

/** The model's per-image steps after the task's: the resize to its input size, if it needs one. */
function resized(model: StudyModel, steps: readonly PluginRef[]): PluginRef[] {
  const size = model.inputSize;
  return [...steps, ...(size === undefined ? [] : [{ name: "resize-center-crop", options: { resize: size, crop: size } }])];
}

function pipelines(model: StudyModel, steps: readonly PluginRef[]): JsonObject {
  return { train: resized(model, steps), eval: resized(model, steps) } as unknown as JsonObject;
}

/** Upstream grid: one point per model, smoke or not (`counts` sizes the split). */
export function pretrainGrid(models: readonly StudyModel[], counts: (model: StudyModel) => JsonObject): Grid[] {
  return models.map((model): Grid => ({
    "tags.model": [model.label],
    backbone: [model.backbone as unknown as JsonObject],
    dataset: [datasetOf(model, UPSTREAM_CLASSES)],
    "splitter.options": [counts(model)],
    augment: [pipelines(model, [])],
    ...(model.lr === undefined ? {} : { "training.lr": [model.lr] }),
  }));
}

/** Downstream grid: every model x task x way to transfer (x lr for fine-tuning). */
export function studyGrid(models: readonly StudyModel[], tasks: readonly StudyTask[], counts: (task: StudyTask) => JsonObject): Grid[] {
  return models.flatMap((model) => tasks.flatMap((task) => TRANSFERS.map((way): Grid => ({
    "tags.model": [model.label],
    "tags.task": [task.label],
    "tags.transfer": [way.transfer],
    backbone: [model.backbone as unknown as JsonObject],
    dataset: [datasetOf(model, task.classes)],
    "splitter.options": [counts(task)],
    augment: [pipelines(model, task.lowResolution ? LOW_RESOLUTION : [])],
    upstream: [way.upstream ? { recipe: PRETRAIN_RECIPE, select: { "tags.model": model.label } } : null],
    "training.mode": [...new Set(way.training.map((t) => t.mode))],
    "training.lr": way.training.map((t) => t.lr),
  }))));
}
