/** A small study on the project's own dataset; `xfer run ./my-study --smoke` reads ./fixtures/tiny. */
import { defineRecipe } from "xfer";

/** Dataset name -> smoke fixture, relative to this folder. */
export const smokeDataRoots = { "json-labels": "./fixtures/tiny" };

export default defineRecipe({
  name: "my-study",
  description: "a tiny CNN on images/<id>.png + labels.json",
  template: {
    dataset: { name: "json-labels", options: { classNames: ["dark", "light"] } },
    splitter: { name: "stratified-holdout", options: { valFraction: 0.25 } },
    backbone: { name: "tinycnn.random", options: { inputSize: 8, channels: 3, widths: [2, 4], hidden: 4 } },
    optimizer: { name: "sgd" },
    schedule: { name: "constant" },
    augment: { train: [], eval: [] },
    metrics: ["accuracy"],
    training: { epochs: 3, batchSize: 4, lr: 0.1, weightDecay: 0 },
    seed: 0,
  },
  grid: { "training.lr": [0.1, 0.01] },
  smoke: { template: { training: { epochs: 1 } }, grid: {} },
});
