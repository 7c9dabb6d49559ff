/**
 * Plans a recipe together with the recipes it takes weights from (RunTemplate.upstream): a list of
 * stages, upstream first, each a recipe and the runs of it that the next stages need. A reference
 * selects exactly one planned run of its recipe by spec values (or, with `best`, candidates of which
 * the best-scoring is loaded); its identity (their identities) goes into the
 * downstream spec before hashing, so a downstream run's hash changes whenever its upstream run's
 * does (another seed, budget or dataset upstream is another downstream run).
 */
import type { JsonObject } from "./contracts.ts";
import { InputError } from "./errors.ts";
import { canonicalJson } from "./hash.ts";
import { getPath, plan, varyingAxes, axesLabel, type PlannedRun, type PlanOptions, type TrainRecipe, type UpstreamRef, upstreamRunIds } from "./recipe.ts";

export interface Stage {
  readonly recipe: TrainRecipe;
  /** The recipe's runs this plan needs, in plan order. */
  readonly runs: readonly PlannedRun[];
}

export interface StageLookups {
  /** The recipe an upstream reference names (by the name its defineRecipe gives). */
  recipe(name: string): Promise<TrainRecipe>;
  /** A planned upstream run's identity (its spec hash, plus the content hash of external weights). */
  identity(run: PlannedRun): Promise<string>;
}

/** An upstream recipe's planned runs with their identities, which downstream specs record. */
interface Planned {
  readonly recipe: TrainRecipe;
  readonly runs: readonly (PlannedRun & { readonly id: string })[];
}

/**
 * The stages of `recipe`: every upstream recipe it references (recursively, deepest first), planned
 * with the same seed and smoke settings (filters apply to `recipe` only) and cut to the runs
 * referenced, then `recipe` itself. An upstream reference that selects no run, or several, is an
 * error naming the selection and what the upstream plan offers; so is a reference whose backbone
 * differs from the upstream run's, a recipe whose name is not the one referenced, and a cycle.
 */
export async function planStages(recipe: TrainRecipe, options: PlanOptions, lookups: StageLookups): Promise<Stage[]> {
  // Upstream recipes planned whole, in dependency order (a recipe after every recipe it references)...
  const upstream = new Map<string, Planned>();
  const runs = await planWith(recipe, options, lookups, upstream, []);
  // ...then cut, from the last back, to the runs a later stage references.
  const needed = new Set(runs.flatMap((run) => upstreamRunIds(run.spec.upstream)));
  const stages: Stage[] = [{ recipe, runs }];
  for (const planned of [...upstream.values()].reverse()) {
    const kept = planned.runs.filter((run) => needed.has(run.id));
    for (const run of kept) for (const id of upstreamRunIds(run.spec.upstream)) needed.add(id);
    stages.unshift({ recipe: planned.recipe, runs: kept.map(({ hash, spec }) => ({ hash, spec })) });
  }
  return stages;
}

/** Plans `recipe` with its upstream references resolved, planning each upstream recipe first (into `upstream`). */
async function planWith(recipe: TrainRecipe, options: PlanOptions, lookups: StageLookups, upstream: Map<string, Planned>, path: readonly string[]): Promise<PlannedRun[]> {
  if (path.includes(recipe.name)) throw new InputError(`recipe "${recipe.name}"`, `upstream references form a cycle: ${[...path, recipe.name].join(" -> ")}`);
  // Upstream recipes get the same seeds and smoke mode; --filter picks runs of the recipe asked for only.
  const upstreamOptions: PlanOptions = { seed: options.seed, defaultSeed: options.defaultSeed, smoke: options.smoke ?? false };
  for (const name of upstreamRecipes(recipe, options)) {
    if (upstream.has(name)) continue;
    const found = await lookups.recipe(name);
    if (found.name !== name) throw new InputError(`recipe "${recipe.name}" upstream recipe "${name}"`, `loads a recipe named "${found.name}"; an upstream reference names the recipe by its name`);
    const runs = await planWith(found, upstreamOptions, lookups, upstream, [...path, recipe.name]);
    const identified = [];
    for (const run of runs) identified.push({ ...run, id: await lookups.identity(run) });
    upstream.set(name, { recipe: found, runs: identified });
  }
  return plan(recipe, {
    ...options,
    upstream: (ref, spec) => {
      const selected = selectUpstream(recipe.name, ref, spec, upstream.get(ref.recipe)!);
      return ref.best ? selected.map((run) => run.id) : selected[0].id;
    },
  });
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

/**
 * The upstream run `ref` selects (with `best`, its candidates in plan order), checked to have the
 * same backbone as the run that loads it.
 */
function selectUpstream(recipeName: string, ref: UpstreamRef, spec: JsonObject, stage: Planned): Planned["runs"] {
  const selection = Object.entries(ref.select);
  const where = `recipe "${recipeName}" upstream ${canonicalJson({ recipe: ref.recipe, select: ref.select, ...(ref.best ? { best: true } : {}) })}`;
  if (selection.length === 0) throw new InputError(where, `select names no spec path; give the values that pick one run of "${ref.recipe}" (its grid axes: ${varyingAxes(stage.runs.map((r) => r.spec)).join(", ") || "none"})`);
  const matching = stage.runs.filter((run) => selection.every(([path, value]) => {
    const actual = getPath(run.spec as unknown as JsonObject, path);
    return actual !== undefined && canonicalJson(actual) === canonicalJson(value);
  }));
  if (matching.length === 0) {
    const offered = selection.map(([path]) => `"${path}" takes ${[...new Set(stage.runs.map((r) => canonicalJson(getPath(r.spec as unknown as JsonObject, path) ?? null)))].sort().join(", ")}`);
    throw new InputError(where, `selects none of the ${stage.runs.length} planned run(s) of "${ref.recipe}"; ${offered.join("; ")}`);
  }
  if (matching.length > 1 && !ref.best) {
    const axes = varyingAxes(matching.map((r) => r.spec));
    throw new InputError(where, `is ambiguous: ${matching.length} runs of "${ref.recipe}" match (${matching.slice(0, 4).map((r) => axesLabel(r.spec, axes)).join("; ")}${matching.length > 4 ? "; ..." : ""}); add the axes that tell them apart (${axes.join(", ")}) to select`);
  }
  for (const run of matching) {
    if (canonicalJson(run.spec.backbone as unknown as JsonObject) !== canonicalJson(spec.backbone ?? null)) {
      throw new InputError(where, `selects a run of backbone ${canonicalJson(run.spec.backbone as unknown as JsonObject)}, but this run builds ${canonicalJson(spec.backbone ?? null)}; the architecture must be the same to load its weights`);
    }
  }
  return matching;
}
