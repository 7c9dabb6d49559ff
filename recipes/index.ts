/**
 * The explicit list of built-in recipes, by folder name. A user's own recipe is named by its
 * path instead (`xfer run ./my-recipes/foo`).
 */
import type { AnalysisRecipe } from "../core/analysis/index.ts";
import type { MeasureRecipe, TrainRecipe } from "../core/index.ts";

export type Recipe = TrainRecipe | AnalysisRecipe | MeasureRecipe;
export type RecipeModule = { default: Recipe };

export const BUILTIN_RECIPES: Readonly<Record<string, () => Promise<RecipeModule>>> = {
  // analysis of published (or your own) results tables
  "transfer-trends": () => import("./transfer-trends/recipe.ts"),
  "real-world-average": () => import("./real-world-average/recipe.ts"),
  "model-rankings": () => import("./model-rankings/recipe.ts"),
  "pretraining-data": () => import("./pretraining-data/recipe.ts"),
  "model-size": () => import("./model-size/recipe.ts"),
  "melanoma-metrics": () => import("./melanoma-metrics/recipe.ts"),
  // training
  "hello-transfer": () => import("./hello-transfer/recipe.ts"),
  "fashion-mnist-pretrain": () => import("./fashion-mnist-pretrain/recipe.ts"),
  "fashion-mnist-study": () => import("./fashion-mnist-study/recipe.ts"),
  "imagenet-transfer": () => import("./imagenet-transfer/recipe.ts"),
  "imagenet-transfer-appendix": () => import("./imagenet-transfer-appendix/recipe.ts"),
  "cifar10-transfer": () => import("./cifar10-transfer/recipe.ts"),
  "aptos-augmentation": () => import("./aptos-augmentation/recipe.ts"),
  "cct20-augmentation": () => import("./cct20-augmentation/recipe.ts"),
  "aptos-interventions": () => import("./aptos-interventions/recipe.ts"),
  "clip-linear-probe": () => import("./clip-linear-probe/recipe.ts"),
  "clip-transfer": () => import("./clip-transfer/recipe.ts"),
  "kornblith-transfer": () => import("./kornblith-transfer/recipe.ts"),
  // measured from datasets directly
  "dataset-fid": () => import("./dataset-fid/recipe.ts"),
};
