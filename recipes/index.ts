/**
 * The explicit list of built-in recipes, by folder name. A user's own recipe is named by its
 * path instead (`xfer run ./my-recipes/foo`).
 */
import type { TrainRecipe } from "../core/index.ts";

export type RecipeModule = { default: TrainRecipe };

export const BUILTIN_RECIPES: Readonly<Record<string, () => Promise<RecipeModule>>> = {
  "hello-transfer": () => import("./hello-transfer/recipe.ts"),
};
