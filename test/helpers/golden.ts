/**
 * A fixed template and the hashes its plan must keep, on Node and on Deno (test/deno). The values
 * were cross-checked with Python: sha256(json.dumps(spec, sort_keys=True, separators=(",", ":"))).
 */
import type { RunTemplate } from "../../core/index.ts";

export const helloLikeTemplate = {
  dataset: { name: "synthetic", options: { classes: 3, perClass: 12, size: 8 } },
  splitter: { name: "test-every-third" },
  backbone: { name: "tinycnn.random", options: { inputSize: 8, widths: [4, 8], hidden: 8 } },
  optimizer: { name: "test-sgd" },
  schedule: { name: "test-constant" },
  augment: { train: [], eval: [] },
  metrics: ["accuracy"],
  training: { epochs: 2, batchSize: 8, lr: 0.1, weightDecay: 0 },
  seed: 0,
} satisfies RunTemplate;

export const GOLDEN = {
  hashes: [
    "ac79b399d11d60a7ad2db0c9a602aa442554b3ac84575a3de676762bf75c0d0e",
    "b500808d0c528bf9f0a8f0ea39238f1f59349ffb8bfff91f54f018e3a45bd799",
  ],
};
