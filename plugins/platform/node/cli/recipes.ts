/** Finds a recipe by built-in folder name (`aptos-augmentation`, `recipes/aptos-augmentation`) or by path. */
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { UnknownNameError, XferError } from "../../../../core/index.ts";
import { BUILTIN_RECIPES, type Recipe } from "../../../../recipes/index.ts";

export type AnyRecipe = Recipe;

export function builtinRecipeNames(): string[] {
  return Object.keys(BUILTIN_RECIPES).sort();
}

export async function resolveRecipe(ref: string, cwd = process.cwd()): Promise<AnyRecipe> {
  // Built-in names win; anything else is a path to a recipe folder or file.
  const name = ref.replace(/^(\.\/)?recipes\//, "").replace(/\/+$/, "");
  const builtin = BUILTIN_RECIPES[name];
  if (builtin) return checkRecipe((await builtin()).default, `recipes/${name}`);
  const path = resolve(cwd, ref);
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, "recipe.ts") : path;
  if (!existsSync(file)) throw new UnknownNameError("recipe", ref, builtinRecipeNames());
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  return checkRecipe(module.default, file);
}

function checkRecipe(value: unknown, source: string): AnyRecipe {
  const recipe = value as Partial<AnyRecipe> | undefined;
  if (!recipe || typeof recipe !== "object" || (recipe.kind !== "train" && recipe.kind !== "analysis")) {
    throw new XferError(`${source}: the default export is not a recipe; write \`export default defineRecipe({ ... })\` or defineAnalysisRecipe`);
  }
  return recipe as AnyRecipe;
}
