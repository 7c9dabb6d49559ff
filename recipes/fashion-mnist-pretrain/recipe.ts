/**
 * The upstream stage of the Fashion-MNIST transfer study, its ImageNet stand-in: 14 models of 10
 * families (three tinycnn widths and nine catalog minis, each with a pretraining budget) trained
 * from scratch on six of Fashion-MNIST's ten classes. `fashion-mnist-study` takes their best
 * checkpoints and transfers them; `xfer run fashion-mnist-study` runs this recipe first. See
 * recipes/fashion-mnist-study/README.md.
 */
import { defineRecipe } from "../../core/index.ts";
import { MODELS, pretrainGrid, SMOKE_MODELS, UPSTREAM_CLASSES, UPSTREAM_VAL_PER_CLASS } from "../shared/fashion-mnist-study.ts";

export default defineRecipe({
  name: "fashion-mnist-pretrain",
  description: "upstream of fashion-mnist-study: 14 mini models x pretraining budgets on 6 Fashion-MNIST classes; val 500/class of train, test = t10k",
  template: {
    dataset: { name: "fashion-mnist", options: { classes: [...UPSTREAM_CLASSES], channels: 1 } },
    splitter: { name: "predefined-holdout", options: { train: "train", test: "test", valPerClass: UPSTREAM_VAL_PER_CLASS } },
    backbone: MODELS[0].backbone,
    optimizer: { name: "sgd", options: { momentum: 0.9, nesterov: true } },
    schedule: { name: "cosine", options: { per: "step" } },
    augment: { train: [], eval: [] },
    metrics: ["accuracy"],
    training: { epochs: 3, batchSize: 64, lr: 0.05, weightDecay: 5e-4 },
    seed: 0,
  },
  grid: pretrainGrid(MODELS, (model) => ({ train: "train", test: "test", valPerClass: UPSTREAM_VAL_PER_CLASS, trainPerClass: model.perClass })),
  smoke: {
    // The committed fixture has 2 train and 1 test image per class.
    template: { training: { epochs: 1, batchSize: 8 } },
    grid: pretrainGrid(SMOKE_MODELS, () => ({ train: "train", test: "test", valPerClass: 1, trainPerClass: 1 })),
  },
});
