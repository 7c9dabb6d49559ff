/**
 * The smallest complete study: a tiny CNN fine-tuned on the seeded synthetic dataset over a
 * small lr x weight-decay grid, with the paper's selection protocol. It needs no data and runs in
 * seconds, so it checks an installation end to end and is what CI runs through the CLI.
 */
import { defineRecipe } from "../../core/index.ts";

export default defineRecipe({
  name: "hello-transfer",
  description: "tiny CNN on seeded synthetic stripes; SGD+cosine over lr x weight decay; selection by val accuracy",
  template: {
    dataset: { name: "synthetic", options: { classes: 4, perClass: 40, size: 16, channels: 1 } },
    splitter: { name: "stratified-holdout", options: { valFraction: 0.25 } },
    backbone: { name: "tinycnn.random", options: { inputSize: 16, channels: 1, widths: [8, 16], hidden: 32 } },
    optimizer: { name: "sgd", options: { momentum: 0.9, nesterov: true } },
    schedule: { name: "cosine" },
    augment: { train: [], eval: [] },
    metrics: ["accuracy"],
    training: { epochs: 6, batchSize: 16, lr: 0.05, weightDecay: 0 },
    seed: 0,
  },
  grid: { "training.lr": [0.05, 0.01], "training.weightDecay": [0, 1e-4] },
  smoke: { template: { training: { epochs: 2 } }, grid: { "training.lr": [0.05] } },
  // Its backbone has no ImageNet accuracy; `xfer report` puts the runs on log10(parameters).
  report: { x: "log10_params" },
});
