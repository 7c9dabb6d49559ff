/**
 * Preflight: checks a whole plan before a backend starts, so a sweep fails in a second with every
 * problem listed rather than at its 500th run with the first. It checks plugin names (with "did
 * you mean"), the options of the plugins that are cheap to create (datasets, splitters,
 * augmentations, schedules, metrics: their create() parses the options and loads nothing),
 * each dataset's data root and each backbone's weights file. Optimizers and backbones are not
 * created here (they need a tensor backend; backbones load weights): their `validate` checks their
 * options instead (a plugin without one is checked when a run creates it). File checks go through
 * `probe`, so core stays free of Node.
 */
import type { JsonObject } from "./contracts.ts";
import { XferError } from "./errors.ts";
import { canonicalJson } from "./hash.ts";
import type { PluginContext, PluginKind, PluginRef, PluginRegistry } from "./plugin.ts";
import type { PlannedRun, RunSpec } from "./recipe.ts";
import { SeedTree } from "./rng.ts";
import { weightsSource } from "./run-identity.ts";

export interface PreflightProbe {
  /** Why `path` is not a readable directory, or undefined when it is one. */
  directoryProblem(path: string): Promise<string | undefined>;
  /** Why `path` is not a readable file, or undefined when it is one. */
  fileProblem(path: string): Promise<string | undefined>;
}

export interface PreflightInput {
  readonly registry: PluginRegistry;
  readonly runs: readonly PlannedRun[];
  /** config dataRoots (with --smoke's fixture roots applied). */
  readonly dataRoots: Readonly<Record<string, string>>;
  /** config weights: backbone id -> file. */
  readonly weights: Readonly<Record<string, string>>;
}

/** Every problem of the plan, each once with the number of runs it concerns; empty when the plan can start. */
export async function preflight(input: PreflightInput, probe: PreflightProbe): Promise<string[]> {
  const problems = new Map<string, number>();
  const note = (problem: string) => problems.set(problem, (problems.get(problem) ?? 0) + 1);
  const checked = new Map<string, string | undefined>();
  // A dataset's default root is known only once it is created.
  const defaultRoots = new Map<string, string | undefined>();
  /** Creates each distinct plugin reference once; a failure is noted for every run that uses it. */
  const tryCreate = async (kind: PluginKind, ref: PluginRef, ctx: PluginContext) => {
    if (!input.registry.has(kind, ref.name)) return;
    // Optimizers and schedules take the run's lr / weight decay / epochs from the context.
    const key = `${kind}\u0000${canonicalJson(ref as unknown as JsonObject)}\u0000${JSON.stringify(ctx.training ?? null)}`;
    if (!checked.has(key)) {
      checked.set(key, kind === "backbone" || kind === "optimizer" ? validateProblem(input.registry, kind, ref, ctx) : await createProblem(input.registry, kind, ref, ctx, defaultRoots));
    }
    const problem = checked.get(key);
    if (problem !== undefined) note(problem);
  };
  for (const { spec } of input.runs) {
    for (const problem of pluginNameProblems(input.registry, spec)) note(problem);
    const seeds = new SeedTree(spec.seed);
    const { lr, weightDecay, epochs } = spec.training;
    const ctx: PluginContext = { seeds, training: { lr, weightDecay, epochs }, weightsFor: (id) => input.weights[id] };
    await tryCreate("dataset", spec.dataset, { seeds });
    await tryCreate("splitter", spec.splitter, ctx);
    await tryCreate("schedule", spec.schedule, ctx);
    await tryCreate("backbone", spec.backbone, ctx);
    await tryCreate("optimizer", spec.optimizer, ctx);
    for (const ref of [...spec.augment.train, ...spec.augment.eval]) await tryCreate("augmentation", ref, ctx);
    for (const ref of spec.augment.batch ?? []) await tryCreate("batch-augmentation", ref, ctx);
    for (const name of spec.metrics) await tryCreate("metric", { name }, ctx);
    for (const problem of await fileProblems(input, spec, probe, checked, defaultRoots)) note(problem);
  }
  return [...problems].map(([problem, count]) => `${problem} (${count} run(s))`);
}

/** Why the plugin's options do not validate, or undefined (also when it has no `validate`). */
function validateProblem(registry: PluginRegistry, kind: PluginKind, ref: PluginRef, ctx: PluginContext): string | undefined {
  try {
    registry.get(kind, ref.name).validate?.(ref.options ?? {}, ctx as never);
    return undefined;
  } catch (error) {
    if (!(error instanceof XferError)) throw error;
    return error.message;
  }
}

/** Why creating the plugin failed (its options), or undefined; a created dataset's default root goes into `defaultRoots`. */
async function createProblem(registry: PluginRegistry, kind: PluginKind, ref: PluginRef, ctx: PluginContext, defaultRoots: Map<string, string | undefined>): Promise<string | undefined> {
  try {
    const created = await registry.create(kind, ref, ctx as never);
    if (kind === "dataset") defaultRoots.set(ref.name, (created as { meta?: { defaultRoot?: string } }).meta?.defaultRoot);
    return undefined;
  } catch (error) {
    if (!(error instanceof XferError)) throw error;
    return error.message;
  }
}

/** The data root of the run's dataset (configured, else its default) and the backbone's weights file. */
async function fileProblems(
  input: PreflightInput, spec: RunSpec, probe: PreflightProbe, cache: Map<string, string | undefined>, defaultRoots: ReadonlyMap<string, string | undefined>,
): Promise<string[]> {
  const problems: string[] = [];
  const configured = input.dataRoots[spec.dataset.name];
  const root = configured ?? defaultRoots.get(spec.dataset.name);
  if (root !== undefined) {
    const where = configured !== undefined ? `config dataRoots["${spec.dataset.name}"]` : `dataset "${spec.dataset.name}" default root`;
    const key = `dir\u0000${root}`;
    if (!cache.has(key)) cache.set(key, await probe.directoryProblem(root));
    const problem = cache.get(key);
    if (problem !== undefined) problems.push(`${where}: ${root}: ${problem}`);
  }
  const weights = weightsSource(spec, input.weights);
  if (weights !== undefined) {
    const key = `file\u0000${weights}`;
    if (!cache.has(key)) cache.set(key, await probe.fileProblem(weights));
    const problem = cache.get(key);
    const where = typeof (spec.backbone.options as JsonObject | undefined)?.weights === "string" ? `backbone "${spec.backbone.name}" option weights` : `config weights["${spec.backbone.name}"]`;
    if (problem !== undefined) problems.push(`${where}: ${weights}: ${problem}`);
  }
  return problems;
}

/** The plugin names of a spec the registry lacks, each with the valid names and the nearest ones. */
function pluginNameProblems(registry: PluginRegistry, spec: RunSpec): string[] {
  const refs: [PluginKind, string][] = [
    ["dataset", spec.dataset.name],
    ["splitter", spec.splitter.name],
    ["backbone", spec.backbone.name],
    ["optimizer", spec.optimizer.name],
    ["schedule", spec.schedule.name],
    ...[...spec.augment.train, ...spec.augment.eval].map((ref): [PluginKind, string] => ["augmentation", ref.name]),
    ...(spec.augment.batch ?? []).map((ref): [PluginKind, string] => ["batch-augmentation", ref.name]),
    ...spec.metrics.map((name): [PluginKind, string] => ["metric", name]),
  ];
  return refs.filter(([kind, name]) => !registry.has(kind, name)).map(([kind, name]) => unknownNameMessage(kind, name, registry.names(kind)));
}

export function unknownNameMessage(kind: string, name: string, valid: readonly string[]): string {
  const near = nearestNames(name, valid);
  const hint = near.length > 0 ? `did you mean ${near.map((n) => `"${n}"`).join(" or ")}? ` : "";
  return `unknown ${kind} "${name}"; ${hint}valid ${kind} names: ${[...valid].sort().join(", ") || "(none registered)"}`;
}

/** The valid names within a third of the name's length in edits (at least 2), closest first. */
export function nearestNames(name: string, valid: readonly string[]): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const scored = valid.map((candidate) => ({ candidate, distance: levenshtein(name.toLowerCase(), candidate.toLowerCase()) }));
  const close = scored.filter((s) => s.distance <= limit).sort((a, b) => a.distance - b.distance || (a.candidate < b.candidate ? -1 : 1));
  return close.slice(0, 3).map((s) => s.candidate);
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
