/**
 * A user-style recipe folder written into a temp directory: tiny CNN runs on the synthetic
 * dataset with a test split, so each run stores test predictions (predictions.safetensors).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

const CORE = resolve(import.meta.dirname, "../../core/index.ts");

/** Writes <root>/<name>/recipe.ts (and a package.json marking the folder as ES modules) and returns the recipe folder. */
export async function writePredictionsRecipe(root: string, name: string, opts: { perClass: number; lrs: readonly number[] }): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(root, "package.json"), JSON.stringify({ type: "module" }));
  await writeFile(join(dir, "recipe.ts"), `import { defineRecipe } from ${JSON.stringify(CORE)};
export default defineRecipe({
  name: ${JSON.stringify(name)},
  description: "tiny CNN runs on synthetic stripes with a test split",
  template: {
    dataset: { name: "synthetic", options: { classes: 3, perClass: ${opts.perClass}, size: 8 } },
    splitter: { name: "stratified-holdout", options: { valFraction: 0.25, testFraction: 0.25 } },
    backbone: { name: "tinycnn.random", options: { inputSize: 8, widths: [4, 8], hidden: 8 } },
    optimizer: { name: "sgd", options: { momentum: 0.9 } },
    schedule: { name: "constant" },
    augment: { train: [], eval: [] },
    metrics: ["accuracy", "qwk"],
    training: { epochs: 4, batchSize: 8, lr: 0.1, weightDecay: 0 },
    seed: 1,
  },
  grid: { "training.lr": ${JSON.stringify(opts.lrs)} },
});
`);
  return dir;
}
