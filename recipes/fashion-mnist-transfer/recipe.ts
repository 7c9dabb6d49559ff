/**
 * A real-data study that fits on a laptop CPU: four random-init mini backbones of clearly different
 * capacity (about 7k to 106k parameters) trained from scratch on Fashion-MNIST with two optimizer
 * settings each, selected on a class-stratified holdout of the predefined train split and scored
 * on the predefined test split at the best epoch. `xfer report fashion-mnist-transfer` turns the
 * runs into the trend of test accuracy on log10(parameters) (the `report.x` below). See README.md
 * for what it does and does not show.
 */
import { defineRecipe, type Grid, type JsonObject } from "../../core/index.ts";

/**
 * The models, smallest first: every backbone reference of the recipe lives here. `channels` is
 * what the backbone takes (the catalog minis are 3-channel ImageNet-style nets, so the grayscale
 * images are replicated for them).
 */
export const MODELS = [
  { label: "tinycnn-4-8-16", backbone: { name: "tinycnn.random", options: { widths: [4, 8], hidden: 16 } }, channels: 1 },
  { label: "tinycnn-8-16-32", backbone: { name: "tinycnn.random", options: { widths: [8, 16], hidden: 32 } }, channels: 1 },
  { label: "resnet18_mini", backbone: { name: "resnet18_mini.random" }, channels: 3 },
  { label: "tinycnn-16-32-64", backbone: { name: "tinycnn.random", options: { widths: [16, 32], hidden: 64 } }, channels: 1 },
] as const;

/** The optimizer axis: each setting carries its own base lr and weight decay. */
export const OPTIMIZERS = [
  { label: "sgd", optimizer: { name: "sgd", options: { momentum: 0.9, nesterov: true } }, lr: 0.05, weightDecay: 5e-4 },
  { label: "adamw", optimizer: { name: "adamw" }, lr: 2e-3, weightDecay: 0.01 },
] as const;

type Model = (typeof MODELS)[number];
type OptimizerSetting = (typeof OPTIMIZERS)[number];

/** One grid point per (model, optimizer setting); a union of single-point grids keeps the pairs together. */
export function gridOf(models: readonly Model[], optimizers: readonly OptimizerSetting[]): Grid[] {
  return models.flatMap((m) => optimizers.map((o): Grid => ({
    backbone: [m.backbone as unknown as JsonObject],
    "dataset.options.channels": [m.channels],
    optimizer: [o.optimizer as unknown as JsonObject],
    "training.lr": [o.lr],
    "training.weightDecay": [o.weightDecay],
  })));
}

export default defineRecipe({
  name: "fashion-mnist-transfer",
  description: "four mini backbones (7k-106k params) from scratch on Fashion-MNIST; SGD vs AdamW; val holdout from train, test = t10k",
  template: {
    dataset: { name: "fashion-mnist", options: { channels: 1 } },
    splitter: { name: "predefined-holdout", options: { train: "train", test: "test", valFraction: 0.1 } },
    backbone: MODELS[0].backbone as unknown as JsonObject,
    optimizer: OPTIMIZERS[0].optimizer as unknown as JsonObject,
    schedule: { name: "cosine", options: { per: "step" } },
    augment: { train: [], eval: [] },
    metrics: ["accuracy"],
    training: { epochs: 3, batchSize: 128, lr: OPTIMIZERS[0].lr, weightDecay: OPTIMIZERS[0].weightDecay },
    seed: 0,
  },
  grid: gridOf(MODELS, OPTIMIZERS),
  report: { x: "log10_params" },
  smoke: {
    // `--smoke` reads the committed fixture (20 train, 10 test images) whatever the config says.
    template: { splitter: { options: { valFraction: 0.5 } }, training: { epochs: 1, batchSize: 8 } },
    grid: gridOf([MODELS[0], MODELS[2]], OPTIMIZERS),
  },
});
