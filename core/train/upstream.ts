/**
 * Loads an upstream run's best checkpoint (RunTemplate.upstream) into a freshly built backbone of
 * the same architecture. Every tensor of the body must be in the checkpoint with its shape; the
 * checkpoint may hold nothing else but the upstream classifier, which is dropped: the run keeps
 * the fresh head its backbone plugin built for this dataset, as with ImageNet weights (with
 * `keepHead`, the classifier is loaded too and must fit). Nothing is assigned unless everything
 * matches.
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { Backbone, MetricDirection, RunStore } from "../contracts.ts";
import type { PluginRef } from "../plugin.ts";
import { XferError } from "../errors.ts";
import type { UpstreamRef } from "../recipe.ts";
import { assignFrom, checkpointName } from "./trainer.ts";

/** The selection metric of an upstream run's dataset and its direction. */
export type SelectionLookup = (dataset: PluginRef) => Promise<{ readonly metric: string; readonly direction: MetricDirection }>;

/**
 * The upstream run a reference loads: its `run`, or with `best` the candidate whose best-epoch
 * score on its selection metric is best (the first in plan order on ties). Every candidate must
 * be done: a choice among some of them would depend on which finished first.
 */
export async function chooseUpstream(ref: UpstreamRef, store: RunStore, selection: SelectionLookup): Promise<string> {
  if (ref.run !== undefined) return ref.run;
  if (ref.runs === undefined || ref.runs.length === 0) throw new XferError(`upstream reference to recipe "${ref.recipe}" has no run identity: plan the recipe with planStages`);
  let chosen: { id: string; score: number } | undefined;
  for (const id of ref.runs) {
    const run = await store.get(id);
    if (run === undefined) throw new XferError(`upstream candidate ${id} of recipe "${ref.recipe}" (select ${JSON.stringify(ref.select)}, best) is not done; the best of the candidates is chosen once all are`);
    const { metric, direction } = await selection(run.spec.dataset as unknown as PluginRef);
    const score = run.result.best[metric];
    if (typeof score !== "number" || !Number.isFinite(score)) throw new XferError(`upstream candidate ${id} of recipe "${ref.recipe}": its result has no finite "${metric}" (its selection metric)`);
    const better = chosen === undefined || (direction === "max" ? score > chosen.score : score < chosen.score);
    if (better) chosen = { id, score };
  }
  return chosen!.id;
}

/** Loads the upstream run `ref` names (see chooseUpstream) into `backbone`; returns its identity. */
export async function loadUpstream(backbone: Backbone, ref: UpstreamRef, storeFor: (recipe: string) => RunStore, selection: SelectionLookup): Promise<string> {
  const store = storeFor(ref.recipe);
  const id = await chooseUpstream(ref, store, selection);
  const where = `upstream run ${id} of recipe "${ref.recipe}" (select ${JSON.stringify(ref.select)}${ref.best ? ", the best of its candidates" : ""})`;
  const checkpoint = await store.checkpoint(id);
  if (checkpoint === undefined) throw new XferError(`${where} has no published result; \`xfer run\` of this recipe runs its upstream stage first (or \`xfer run ${ref.recipe}\`)`);
  // The head is what linear probing trains: the variables left trainable when the body is frozen.
  // With keepHead it is loaded like the body (LP-FT), so nothing is left out.
  backbone.freeze({ except: "head" });
  const head = ref.keepHead ? new Set<string>() : new Set(backbone.trainableVariables().map((v) => checkpointName(v.name)));
  backbone.freeze(false);
  const body = backbone.stateVariables().filter((v) => !head.has(checkpointName(v.name)));
  const problems: string[] = [];
  const assignments: [tf.Variable, { readonly shape: readonly number[]; readonly data: Float32Array }][] = [];
  for (const variable of body) {
    const name = checkpointName(variable.name);
    const stored = checkpoint.get(name);
    if (stored === undefined) problems.push(`missing "${name}" [${variable.shape.join(", ")}]`);
    else if (stored.shape.join("x") !== variable.shape.join("x")) problems.push(`"${name}" is [${stored.shape.join(", ")}] in the checkpoint, [${variable.shape.join(", ")}] in this backbone`);
    else assignments.push([variable, stored]);
  }
  const known = new Set(body.map((v) => checkpointName(v.name)));
  for (const name of checkpoint.keys()) if (!known.has(name) && !head.has(name)) problems.push(`unexpected "${name}"`);
  if (problems.length > 0) {
    throw new XferError(`${where}: its checkpoint does not fit backbone "${backbone.meta.id}", nothing was loaded: ${problems.slice(0, 10).join("; ")}${problems.length > 10 ? `; ... ${problems.length - 10} more` : ""}`);
  }
  for (const [variable, stored] of assignments) assignFrom(variable, stored);
  return id;
}
