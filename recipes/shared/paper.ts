/**
 * The fine-tuning protocol of Fang, Kornblith & Schmidt (2023) as reusable recipe parts, taken
 * from the reference code (../shared/reference/README.md): per-dataset reads, splits, flips and
 * image size; the optimizer x schedule x lr x weight-decay grid; batch 128, 30 epochs (Melanoma
 * 10), cross-entropy, selection by the dataset's metric on the validation split.
 */
import { defineRecipe, PAPER_DATASET_PLUGINS, type DeepPartial, type Grid, type PaperDatasetPlugin, type RunTemplate, type TrainRecipe } from "../../core/index.ts";

/** The dataset plugins of the paper's six datasets, from core's dataset facts table. */
export type PaperDataset = PaperDatasetPlugin;
export const PAPER_DATASETS: readonly PaperDataset[] = PAPER_DATASET_PLUGINS;

/**
 * The 19 backbones of Table 4 by id.
 */
export const PAPER_BACKBONES: readonly string[] = [
  "alexnet.tv_in1k", "squeezenet1_1.tv_in1k", "shufflenet_v2_x0_5.tv_in1k", "mobilenet_v3_small.tv_in1k",
  "shufflenet_v2_x1_0.tv_in1k", "vgg13_bn.tv_in1k", "deit_tiny_patch16_224.fb_in1k", "vgg16_bn.tv_in1k",
  "densenet121.tv_in1k", "resnet50.tv_in1k", "resnext50_32x4d.tv_in1k", "efficientnet_b0.tv_in1k",
  "resnet152.tv_in1k", "vit_b_16.tv_in1k", "deit_small_patch16_224.fb_in1k", "inception_resnet_v2.tf_in1k",
  "convnext_tiny.tv_in1k", "pnasnet5large.tf_in1k", "efficientnet_b4.tv_in1k",
];

/**
 * Table 16 (Appendix O): six more ImageNet models, by catalog id with the paper's name; with Table 4's
 * 19 they are the 25 models of Figure 11 and Table 15.
 */
export const APPENDIX_BACKBONES: Readonly<Record<string, string>> = {
  "tinynet_e.in1k": "TinyNet e", "dla46_c.in1k": "DLA46 c", "dla46x_c.in1k": "DLA46x c", "tinynet_d.in1k": "TinyNet d",
  "swin_base_patch4_window7_224.ms_in1k": "SWIN Base", "caformer_b36.sail_in1k": "CAFormer B36",
};

/** DeiT models and EuroSAT use 224 pixels, everything else 256 (reference code). */
export function imageSize(dataset: PaperDataset, backbone: string): number {
  return dataset === "eurosat" || backbone.startsWith("deit_") ? 224 : 256;
}

/** Train: RandomResizedCrop(size, scale=(0.65, 1)) and the dataset's flips; eval: Resize + CenterCrop. */
export function paperAugmentations(dataset: PaperDataset, size: number): RunTemplate["augment"] {
  const flips = dataset === "eurosat" ? [] : dataset === "cct20" || dataset === "aptos2019" ? ["horizontal-flip"] : ["horizontal-flip", "vertical-flip"];
  return {
    train: [{ name: "random-resized-crop", options: { size, scale: [0.65, 1] } }, ...flips.map((name) => ({ name }))],
    eval: [{ name: "resize-center-crop", options: { resize: size, crop: size } }],
  };
}

/** Reads (OpenCV's BGR quirk where the reference code had it), splits and epochs per dataset. */
export const PAPER_DATASET_PARTS: Readonly<Record<PaperDataset, DeepPartial<RunTemplate>>> = {
  cct20: { dataset: { name: "cct20", options: { channelOrder: "bgr" } }, splitter: { name: "predefined", options: { train: "train", val: "cis_val", test: "cis_test" } } },
  aptos2019: { dataset: { name: "aptos2019", options: { channelOrder: "bgr" } }, splitter: { name: "reference-holdout", options: { valFraction: 0.2 } }, splitSeed: 414 },
  hpa: { dataset: { name: "hpa", options: { channelOrder: "bgr", channels: 3 } }, splitter: { name: "predefined", options: { train: "train", val: "val", test: "test_val" } } },
  melanoma: { dataset: { name: "melanoma", options: { channelOrder: "bgr" } }, splitter: { name: "reference-folds", options: { trainFraction: 0.8, strataOrder: ["2020", "2019"] } }, splitSeed: 23, training: { epochs: 10 } },
  cassava: { dataset: { name: "cassava" }, splitter: { name: "reference-holdout", options: { valFraction: 0.2 } }, splitSeed: 414 },
  eurosat: { dataset: { name: "eurosat" }, splitter: { name: "reference-holdout", options: { valFraction: 0.2 } }, splitSeed: 42 },
};

export const PAPER_TRAINING = {
  training: { epochs: 30, batchSize: 128, lr: 0.01, weightDecay: 0, decodeResize: 320 },
  metrics: [],
  seed: 0,
} satisfies DeepPartial<RunTemplate>;

const SGD = { name: "sgd", options: { momentum: 0.9, nesterov: true } };
export const ADAMW = { name: "adamw", options: { decayConvention: "reference" } };
const SGD_LRS = [1e-1, 1e-2, 1e-3, 1e-4];
const ADAMW_LRS = [1e-2, 1e-3, 1e-4, 1e-5];
export const WEIGHT_DECAYS = [1e-3, 1e-4, 1e-5, 1e-6, 0];

/** The three optimizer/schedule combinations x lr x weight decay: 60 runs per (backbone, dataset). */
export function paperOptimizerGrid(milestones: readonly number[]): Grid[] {
  return [
    { optimizer: [ADAMW], schedule: [{ name: "cosine" }], "training.lr": ADAMW_LRS, "training.weightDecay": WEIGHT_DECAYS },
    { optimizer: [SGD], schedule: [{ name: "cosine" }], "training.lr": SGD_LRS, "training.weightDecay": WEIGHT_DECAYS },
    { optimizer: [SGD], schedule: [{ name: "multistep", options: { milestones: [...milestones] } }], "training.lr": SGD_LRS, "training.weightDecay": WEIGHT_DECAYS },
  ];
}

/** Multi-step milestones: 15, 20, 25 of 30 epochs; Melanoma (10 epochs) at 5. */
export function paperMilestones(dataset: PaperDataset): number[] {
  return dataset === "melanoma" ? [5] : [15, 20, 25];
}

export interface PaperGridOptions {
  readonly datasets: readonly PaperDataset[];
  readonly backbones: readonly string[];
  /** Train/eval pipelines per (dataset, image size); default the paper's. */
  readonly augment?: (dataset: PaperDataset, size: number) => RunTemplate["augment"];
}

/**
 * One grid per (dataset, backbone, optimizer/schedule combination): the dataset's read, split,
 * epochs and the backbone's image size are single-valued axes (whole values replace the
 * template's), the lr and weight decay axes vary. Their union is the paper's sweep.
 */
export function paperGrids(options: PaperGridOptions): Grid[] {
  const augment = options.augment ?? paperAugmentations;
  return options.datasets.flatMap((dataset) => {
    const part = PAPER_DATASET_PARTS[dataset];
    return options.backbones.flatMap((backbone) =>
      paperOptimizerGrid(paperMilestones(dataset)).map((optimizerGrid) => ({
        dataset: [part.dataset],
        splitter: [part.splitter],
        splitSeed: [part.splitSeed ?? 0],
        "training.epochs": [part.training?.epochs ?? PAPER_TRAINING.training.epochs],
        backbone: [{ name: backbone }],
        augment: [augment(dataset, imageSize(dataset, backbone))],
        ...optimizerGrid,
      } as unknown as Grid)),
    );
  });
}

/** A template that names every required part; the grids replace all of them. */
export function paperTemplate(dataset: PaperDataset, backbone: string): RunTemplate {
  const part = PAPER_DATASET_PARTS[dataset];
  return {
    ...PAPER_TRAINING,
    dataset: part.dataset as RunTemplate["dataset"],
    splitter: part.splitter as RunTemplate["splitter"],
    backbone: { name: backbone },
    optimizer: SGD,
    schedule: { name: "cosine" },
    augment: paperAugmentations(dataset, imageSize(dataset, backbone)),
  };
}

/**
 * Smoke runs (`--smoke`, what CI runs): the committed fixture of the dataset (the CLI points
 * dataset roots at fixtures/datasets/ in smoke mode), a mini backbone, 32-pixel crops, one
 * epoch, and a seeded 50% holdout because the fixtures are too small for the reference draws.
 */
export function smokeGrid(dataset: PaperDataset, backbone: string, augment: RunTemplate["augment"][] = [paperAugmentations(dataset, 32)]): Grid {
  return ({
    dataset: [PAPER_DATASET_PARTS[dataset].dataset],
    splitter: [{ name: "stratified-holdout", options: { valFraction: 0.5 } }],
    splitSeed: [0],
    backbone: [{ name: backbone }],
    augment,
    optimizer: [SGD],
    schedule: [{ name: "cosine" }],
    "training.epochs": [1],
    "training.batchSize": [4],
    "training.decodeResize": [40],
    "training.lr": [0.01],
  }) as unknown as Grid;
}

/** Table 3: ResNet-50 with standard, AugMix and RandAugment ImageNet training, and two DeiTs. */
export const AUGMENTATION_ABLATION_BACKBONES: readonly string[] = [
  "resnet50.tv_in1k", "resnet50.am_in1k", "resnet50.ram_in1k",
  "deit_tiny_patch16_224.fb_in1k", "deit_small_patch16_224.fb_in1k",
];

/** Table 3's fine-tuning augmentations: the paper's base pipeline, plus AugMix or RandAugment. */
export const FINE_TUNING_AUGMENTATIONS = {
  base: (dataset: PaperDataset, size: number) => paperAugmentations(dataset, size),
  augmix: (dataset: PaperDataset, size: number) => withExtra(paperAugmentations(dataset, size), { name: "augmix" }),
  randaugment: (dataset: PaperDataset, size: number) => withExtra(paperAugmentations(dataset, size), { name: "rand-augment" }),
} as const;

/** torchvision order: crop and flips, then the policy (on 8-bit pixels), normalization last. */
function withExtra(pipeline: RunTemplate["augment"], extra: { name: string }): RunTemplate["augment"] {
  return { train: [...pipeline.train, extra], eval: pipeline.eval };
}

/** Table 3 for one dataset: backbones x fine-tuning augmentations x the optimizer grid, 50 epochs. */
export function augmentationAblationGrids(dataset: PaperDataset): Grid[] {
  return Object.values(FINE_TUNING_AUGMENTATIONS).flatMap((augment) =>
    paperGrids({ datasets: [dataset], backbones: AUGMENTATION_ABLATION_BACKBONES, augment }).map((grid) => ({ ...grid, "training.epochs": [50] })),
  );
}

/** The Table 3 recipe for one dataset (recipes/aptos-augmentation, recipes/cct20-augmentation). */
export function augmentationAblationRecipe(name: string, dataset: PaperDataset): TrainRecipe {
  const template = paperTemplate(dataset, "resnet50.tv_in1k");
  return defineRecipe({
    name,
    description: `Table 3 (${dataset}): 5 backbones x 3 fine-tuning augmentations x 60 optimizer settings, 50 epochs`,
    template: { ...template, training: { ...template.training, epochs: 50 } },
    grid: augmentationAblationGrids(dataset),
    smoke: { grid: smokeGrid(dataset, "resnet18_mini.random", Object.values(FINE_TUNING_AUGMENTATIONS).map((augment) => augment(dataset, 32))) },
  });
}
