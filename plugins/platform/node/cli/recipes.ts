/**
 * Finds a recipe by built-in folder name (`aptos-augmentation`, `recipes/aptos-augmentation`) or by
 * path, and registers the plugins a user's recipe folder brings beside it.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InputError, planStages, UnknownNameError, XferError, type MeasureRecipe, type PlanOptions, type PluginRegistry, type Stage, type TrainRecipe, type XferConfig } from "../../../../core/index.ts";
import { externalWeights, runIdentity } from "../../../../core/run-identity.ts";
import { weightsTensorsHash } from "../weights-hash.ts";
import { BUILTIN_RECIPES, type Recipe } from "../../../../recipes/index.ts";
import { exportedPlugins } from "../config.ts";
import { importUserModule } from "../user-module.ts";

/** The recipes of every command but `xfer run` and `xfer plan`: those with runs or a results table. */
export type AnyRecipe = Exclude<Recipe, MeasureRecipe>;

export function builtinRecipeNames(): string[] {
  return Object.keys(BUILTIN_RECIPES).sort();
}

/** What a recipe folder must hold; printed when a path is not one. */
const RECIPE_FOLDER = "a recipe folder holds recipe.ts, whose default export is made by defineRecipe({ ... }) (training), defineAnalysisRecipe({ ... }) (analysis) or defineMeasureRecipe({ ... }) (measure); "
  + "beside it recipe.ts may export `plugins` (the plugins the recipe needs) and `smokeDataRoots` (dataset name -> fixture folder, relative to the recipe folder, that --smoke reads)";

export interface LoadedRecipe<R extends Recipe = AnyRecipe> {
  readonly recipe: R;
  /** Dataset name -> absolute fixture root the recipe's `--smoke` reads (from `smokeDataRoots`). */
  readonly smokeDataRoots: Record<string, string>;
}

/**
 * Loads a training or analysis recipe (see `loadRunnableRecipe`); a measure recipe is refused,
 * since it has neither runs nor a results table.
 */
export async function loadRecipe(ref: string, registry: PluginRegistry, cwd = process.cwd()): Promise<LoadedRecipe> {
  const loaded = await loadRunnableRecipe(ref, registry, cwd);
  const { recipe } = loaded;
  if (recipe.kind === "measure") {
    throw new XferError(`"${recipe.name}" is a measure recipe: it reads datasets and writes a report, with no runs or results table; \`xfer run ${recipe.name}\` computes it`);
  }
  return { ...loaded, recipe };
}

/**
 * Loads a recipe of any kind (what `xfer run` and `xfer plan` take); the plugins a user's
 * recipe.ts exports as `plugins` (a plugin or an array) are registered in `registry`, so they
 * join the built-ins and the config's plugins in one registry.
 */
export async function loadRunnableRecipe(ref: string, registry: PluginRegistry, cwd = process.cwd()): Promise<LoadedRecipe<Recipe>> {
  // Built-in names win; anything else is a path to a recipe folder or file.
  const name = ref.replace(/^(\.\/)?recipes\//, "").replace(/\/+$/, "");
  const builtin = BUILTIN_RECIPES[name];
  if (builtin) return { recipe: checkRecipe((await builtin()).default, `recipes/${name}`), smokeDataRoots: {} };
  const path = resolve(cwd, ref);
  if (!existsSync(path)) {
    if (ref.includes("/") || ref.includes(".")) throw new XferError(`${ref}: no such file or folder; ${RECIPE_FOLDER}`);
    throw new UnknownNameError("recipe", ref, builtinRecipeNames());
  }
  const file = statSync(path).isDirectory() ? join(path, "recipe.ts") : path;
  if (!existsSync(file)) throw new XferError(`${ref}: not a recipe folder (no recipe.ts in ${path}); ${RECIPE_FOLDER}`);
  if (!/\.[cm]?[jt]s$/.test(file)) throw new XferError(`${ref}: not a recipe (a recipe is a folder with recipe.ts, or that file itself); ${RECIPE_FOLDER}`);
  const module = await importUserModule(file);
  const recipe = checkRecipe(module.default, file);
  if (module.plugins !== undefined) {
    const plugins = exportedPlugins({ plugins: module.plugins }, file);
    if (plugins.length === 0) throw new InputError(file, "the export `plugins` holds no plugin; export a plugin object or an array of them");
    for (const plugin of plugins) registry.register(plugin, file);
  }
  return { recipe, smokeDataRoots: smokeRoots(module.smokeDataRoots, file) };
}

function smokeRoots(value: unknown, file: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === "string" && v !== "")) {
    throw new InputError(file, `the export \`smokeDataRoots\` must map dataset names to folders relative to the recipe folder, e.g. { "json-labels": "./fixtures/tiny" }`);
  }
  const roots = Object.fromEntries(Object.entries(value as Record<string, string>).map(([dataset, dir]) => [dataset, resolve(dirname(file), dir)]));
  for (const [dataset, dir] of Object.entries(roots)) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(file, `smokeDataRoots "${dataset}": ${dir} is not a folder`);
  }
  return roots;
}

function checkRecipe(value: unknown, source: string): Recipe {
  const recipe = value as Partial<Recipe> | undefined;
  if (!recipe || typeof recipe !== "object" || (recipe.kind !== "train" && recipe.kind !== "analysis" && recipe.kind !== "measure")) {
    throw new XferError(`${source}: the default export is not a recipe; ${RECIPE_FOLDER}`);
  }
  if (recipe.kind === "measure" && typeof recipe.measure !== "function") throw new XferError(`${source}: a measure recipe needs a measure(input) function; ${RECIPE_FOLDER}`);
  return recipe as Recipe;
}

/**
 * The stages of a training recipe (core/stages.ts): the upstream recipes it takes weights from are
 * found like any recipe reference (a built-in name, else a folder relative to the working
 * directory) and must be training recipes; an upstream run's identity includes its external
 * weights as the runner computes it.
 */
export function planRecipeStages(recipe: TrainRecipe, options: PlanOptions, registry: PluginRegistry, config: XferConfig): Promise<Stage[]> {
  return planStages(recipe, options, {
    async recipe(name) {
      const { recipe: found } = await loadRecipe(name, registry);
      if (found.kind !== "train") throw new XferError(`upstream recipe "${name}" is an analysis recipe; an upstream reference names a training recipe whose runs store checkpoints`);
      return found;
    },
    async identity(run) {
      const weights = await externalWeights(run.spec, config.weights, weightsTensorsHash);
      return runIdentity({ specHash: run.hash, ...(weights ? { weights } : {}) });
    },
  });
}
