/**
 * Plans a recipe together with the recipes it takes weights from (RunTemplate.upstream): a list of
 * stages, upstream first, each a recipe and the runs of it that the next stages need. A reference
 * selects exactly one planned run of its recipe by spec values; its identity goes into the
 * downstream spec before hashing, so a downstream run's hash changes whenever its upstream run's
 * does (another seed, budget or dataset upstream is another downstream run).
 */
import type { JsonObject } from "./contracts.ts";
import { InputError } from "./errors.ts";
import { canonicalJson } from "./hash.ts";
import { getPath, plan, varyingAxes, axesLabel, type PlannedRun, type PlanOptions, type TrainRecipe, type UpstreamRef } from "./recipe.ts";

export interface Stage {
  readonly recipe: TrainRecipe;
  /** The recipe's runs this plan needs, in plan order, each with its identity. */
  readonly runs: readonly StagedRun[];
}

export interface StagedRun extends PlannedRun {
  /** core/run-identity.ts: the spec hash, extended by external weights; what the store files it under. */
  readonly id: string;
}

export interface StageLookups {
  /** A recipe an upstream reference names. */
  recipe(name: string): Promise<TrainRecipe>;
  /** A planned run's identity (its spec hash, plus the content hash of external weights). */
  identity(run: PlannedRun): Promise<string>;
}

/**
 * The stages of `recipe`: every upstream recipe it references (recursively, deepest first), planned
 * with the same seed and smoke settings (filters apply to `recipe` only) and cut to the runs
 * referenced, then `recipe` itself. An upstream reference that selects no run, or several, is an
 * error naming the selection and what the upstream plan offers; so is a reference whose backbone
 * differs from the upstream run's, and a cycle of recipes.
 */
export async function planStages(recipe: TrainRecipe, options: PlanOptions, lookups: StageLookups): Promise<Stage[]> {
  // Planned whole, in dependency order (a recipe after every recipe it references)...
  const stages = new Map<string, Stage>();
  await planInto(recipe, options, lookups, stages, []);
  // ...then cut, from the last stage back, to the runs a later stage references.
  const ordered = [...stages.values()];
  const needed = new Set(ordered[ordered.length - 1].runs.map((run) => run.id));
  const cut: Stage[] = [];
  for (const stage of ordered.reverse()) {
    const runs = stage.runs.filter((run) => needed.has(run.id));
    for (const run of runs) if (run.spec.upstream?.run !== undefined) needed.add(run.spec.upstream.run);
    cut.unshift({ recipe: stage.recipe, runs });
  }
  return cut;
}

async function planInto(recipe: TrainRecipe, options: PlanOptions, lookups: StageLookups, stages: Map<string, Stage>, path: readonly string[]): Promise<Stage> {
  if (path.includes(recipe.name)) throw new InputError(`recipe "${recipe.name}"`, `upstream references form a cycle: ${[...path, recipe.name].join(" -> ")}`);
  // Upstream recipes get the same seeds and smoke mode; --filter picks runs of the recipe asked for only.
  const upstreamOptions: PlanOptions = { seed: options.seed, defaultSeed: options.defaultSeed, smoke: options.smoke ?? false };
  const upstream = new Map<string, Stage>();
  for (const name of upstreamRecipes(recipe, options)) {
    upstream.set(name, stages.get(name) ?? (await planInto(await lookups.recipe(name), upstreamOptions, lookups, stages, [...path, recipe.name])));
  }
  const runs = plan(recipe, { ...options, upstream: (ref, spec) => selectUpstream(recipe.name, ref, spec, upstream.get(ref.recipe)!).id });
  const staged: StagedRun[] = [];
  for (const run of runs) staged.push({ ...run, id: await lookups.identity(run) });
  const stage: Stage = { recipe, runs: staged };
  stages.set(recipe.name, stage);
  return stage;
}

/** The recipes a plan of `recipe` refers to, found on a plan whose references are left unresolved. */
function upstreamRecipes(recipe: TrainRecipe, options: PlanOptions): string[] {
  const names = new Set<string>();
  plan(recipe, {
    ...options,
    filters: [],
    upstream: (ref) => {
      names.add(ref.recipe);
      return "0".repeat(64);
    },
  });
  return [...names];
}

/** The one upstream run `ref` selects, checked to have the same backbone as the run that loads it. */
function selectUpstream(recipeName: string, ref: UpstreamRef, spec: JsonObject, stage: Stage): StagedRun {
  const selection = Object.entries(ref.select);
  const where = `recipe "${recipeName}" upstream ${canonicalJson({ recipe: ref.recipe, select: ref.select })}`;
  if (selection.length === 0) throw new InputError(where, `select names no spec path; give the values that pick one run of "${ref.recipe}" (its grid axes: ${varyingAxes(stage.runs.map((r) => r.spec)).join(", ") || "none"})`);
  const matching = stage.runs.filter((run) => selection.every(([path, value]) => {
    const actual = getPath(run.spec as unknown as JsonObject, path);
    return actual !== undefined && canonicalJson(actual) === canonicalJson(value);
  }));
  if (matching.length === 0) {
    const offered = selection.map(([path]) => `"${path}" takes ${[...new Set(stage.runs.map((r) => canonicalJson(getPath(r.spec as unknown as JsonObject, path) ?? null)))].sort().join(", ")}`);
    throw new InputError(where, `selects none of the ${stage.runs.length} planned run(s) of "${ref.recipe}"; ${offered.join("; ")}`);
  }
  if (matching.length > 1) {
    const axes = varyingAxes(matching.map((r) => r.spec));
    throw new InputError(where, `is ambiguous: ${matching.length} runs of "${ref.recipe}" match (${matching.slice(0, 4).map((r) => axesLabel(r.spec, axes)).join("; ")}${matching.length > 4 ? "; ..." : ""}); add the axes that tell them apart (${axes.join(", ")}) to select`);
  }
  const [run] = matching;
  if (canonicalJson(run.spec.backbone as unknown as JsonObject) !== canonicalJson(spec.backbone ?? null)) {
    throw new InputError(where, `selects a run of backbone ${canonicalJson(run.spec.backbone as unknown as JsonObject)}, but this run builds ${canonicalJson(spec.backbone ?? null)}; the architecture must be the same to load its weights`);
  }
  return run;
}
