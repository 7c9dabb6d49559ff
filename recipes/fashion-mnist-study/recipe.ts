/**
 * The paper's question on real images, on a laptop: does upstream progress carry over? Each of the
 * 14 models `fashion-mnist-pretrain` trains on six Fashion-MNIST classes is transferred to four
 * downstream tasks (the four held-out classes with 100, 20 and 5 images per class, and the upstream
 * classes at low resolution) in four ways: fine-tuning over a small lr grid, linear probing,
 * Kornblith et al.'s fixed-feature logistic regression, and the same architecture trained from
 * scratch. `xfer run fashion-mnist-study` runs the upstream stage first. README.md has the
 * commands, the time it took and what the numbers show.
 */
import { defineRecipe } from "../../core/index.ts";
import { MODELS, SMOKE_MODELS, studyGrid, TASKS, TEST_PER_CLASS, VAL_PER_CLASS } from "../shared/fashion-mnist-study.ts";

export default defineRecipe({
  name: "fashion-mnist-study",
  description: "14 pretrained mini models x 4 Fashion-MNIST tasks (new classes k=100/20/5, low resolution) x fine-tune / linear probe / logistic regression / scratch",
  template: {
    dataset: { name: "fashion-mnist", options: { channels: 1 } },
    splitter: { name: "predefined-holdout", options: { train: "train", test: "test", valPerClass: VAL_PER_CLASS } },
    backbone: MODELS[0].backbone,
    optimizer: { name: "sgd", options: { momentum: 0.9, nesterov: true } },
    schedule: { name: "cosine", options: { per: "step" } },
    augment: { train: [], eval: [] },
    metrics: ["accuracy"],
    training: { epochs: 10, batchSize: 32, lr: 0.01, weightDecay: 5e-4 },
    seed: 0,
  },
  grid: studyGrid(MODELS, TASKS, (task) => ({ train: "train", test: "test", valPerClass: VAL_PER_CLASS, trainPerClass: task.perClass, testPerClass: TEST_PER_CLASS })),
  smoke: {
    // The fixture: 2 train and 1 test image per class; one task of each kind.
    template: { training: { epochs: 1, batchSize: 8 } },
    grid: studyGrid(SMOKE_MODELS, [TASKS[2], TASKS[3]], () => ({ train: "train", test: "test", valPerClass: 1, trainPerClass: 1 })),
  },
  report: { x: "upstream_accuracy", by: ["transfer"], compare: { axis: "transfer", reference: "finetune" } },
});
