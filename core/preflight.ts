/**
 * Preflight: checks a whole plan before a backend starts, so a sweep fails in a second with every
 * problem listed rather than at its 500th run with the first. It checks plugin names (with "did
 * you mean"), the options of the plugins that are cheap to create (datasets, splitters,
 * augmentations, schedules, metrics: their create() parses the options and loads nothing),
 * each dataset's data root and each backbone's weights file. Optimizers and backbones are not
 * created here (they need a tensor backend; backbones load weights): their `validate` checks their
 * options instead (a plugin without one is checked when a run creates it). File checks go through
 * `probe`, so core stays free of Node. It also refuses a run whose training step would not fit in
 * the wasm heap (`stepHeapProblem`).
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
  /** The heap a training step must fit in (WASM_HEAP_LIMIT_BYTES when the runs use wasm); absent: not checked. */
  readonly heapLimitBytes?: number;
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
    const heap = input.heapLimitBytes === undefined ? undefined : stepHeapProblem(spec, input.heapLimitBytes);
    if (heap !== undefined) note(heap);
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

/** wasm32's address space: the wasm backend's heap can never grow past 4 GiB. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 2 ** 30;

/**
 * Measured peak wasm heap of one training step (forward, backward, SGD with momentum) by
 * architecture (the catalog id before its first "."): `fixedBytes + rows * perSampleBytes` at
 * `size` px, activations scaling with the image area. ResNet-50 from test/bench/memory.bench.ts's
 * heap at batches 8 and 16; the others from the same step's peak of live tensor bytes at batches 1
 * and 2 times ResNet-50's heap-to-tensor ratio (docs/backends.md, "Memory"). Architectures not
 * listed are not checked before a run; the step's own out-of-memory error still names the fix.
 */
const STEP_HEAP: Readonly<Record<string, { readonly size: number; readonly fixedBytes: number; readonly perSampleBytes: number }>> = {
  // Heap at batches 2 and 8: 951 MB and 2,826 MB.
  resnet50: { size: 224, fixedBytes: 325_779_456, perSampleBytes: 312_475_648 },
  // At 112 px, heap at batches 4 and 16: 279 MB and 482 MB.
  resnet18: { size: 112, fixedBytes: 210_938_540, perSampleBytes: 16_913_749 },
  // Default widths, heap at batches 16 and 64: 29 MB and 96 MB (narrower options need less).
  tinycnn: { size: 28, fixedBytes: 6_881_280, perSampleBytes: 1_388_544 },
};

/**
 * The training images' size: the last train augmentation's `size` or `crop` option
 * (random-resized-crop, resize-center-crop), else the backbone's `inputSize` option; undefined
 * when neither says (the measured size is then assumed).
 */
function trainImageSize(spec: Pick<RunSpec, "backbone" | "augment">): number | undefined {
  for (const ref of [...spec.augment.train].reverse()) {
    const options = (ref.options ?? {}) as JsonObject;
    const size = options.size ?? options.crop;
    if (typeof size === "number") return size;
    if (Array.isArray(size) && typeof size[0] === "number" && typeof size[1] === "number") return Math.sqrt(size[0] * size[1]);
  }
  const inputSize = (spec.backbone.options as JsonObject | undefined)?.inputSize;
  return typeof inputSize === "number" ? inputSize : undefined;
}

/** The estimated peak heap of one training step of `spec`'s backbone over `rows` images, or undefined for an unmeasured architecture. */
export function estimateStepHeapBytes(spec: Pick<RunSpec, "backbone" | "augment">, rows: number): number | undefined {
  const measured = STEP_HEAP[spec.backbone.name.split(".")[0]];
  if (measured === undefined) return undefined;
  const size = trainImageSize(spec) ?? measured.size;
  return measured.fixedBytes + rows * measured.perSampleBytes * (size / measured.size) ** 2;
}

/**
 * Why the run's training step cannot fit in `limitBytes` of heap, with the largest micro-batch
 * (a divisor of batchSize) that fits; undefined when it fits or cannot be estimated. Runs
 * without gradient steps (logistic regression on features) are not checked.
 */
export function stepHeapProblem(spec: RunSpec, limitBytes: number): string | undefined {
  const { batchSize, microBatch, mode } = spec.training;
  if (mode === "logistic-regression") return undefined;
  const rows = Math.min(microBatch ?? batchSize, batchSize);
  const needed = estimateStepHeapBytes(spec, rows);
  if (needed === undefined || needed <= limitBytes) return undefined;
  const size = trainImageSize(spec);
  const what = rows < batchSize ? `micro-batch of ${rows} (training.microBatch)` : `batch of ${rows} (training.batchSize)`;
  return `backbone "${spec.backbone.name}": a training step on a ${what}${size === undefined ? "" : ` at ${size} px`} needs about ${byteText(needed)} of wasm heap, more than the ${byteText(limitBytes)} it can have; ${microBatchAdvice(spec, rows, limitBytes)}`;
}

/**
 * The error of a training step that ran out of heap while running (core/train/step.ts): the same
 * advice as the preflight check, so a user meets one message whichever catches it first.
 */
export function heapExhaustedMessage(run: string, spec: Pick<RunSpec, "backbone" | "training"> & Partial<Pick<RunSpec, "augment">>, rows: number, microBatch: number | undefined): string {
  const failed = Math.min(microBatch ?? rows, rows);
  const micro = failed < rows ? ` in micro-batches of ${failed}` : "";
  // After the first failure every later call into the module aborts too (measured), so the runs that follow in this process fail as well.
  return `run ${run}: a training step of backbone "${spec.backbone.name}" on a batch of ${rows}${micro} ran out of the wasm heap (at most ${byteText(WASM_HEAP_LIMIT_BYTES)}); ${microBatchAdvice(spec, failed, WASM_HEAP_LIMIT_BYTES)}. The wasm backend of this process cannot run anything after it: later runs in this process fail too, and running xfer run again retries them`;
}

/** The largest micro-batch below `rows` that divides batchSize and fits by the estimate; without an estimate, the rule. */
function microBatchAdvice(spec: Pick<RunSpec, "backbone" | "training"> & Partial<Pick<RunSpec, "augment">>, rows: number, limitBytes: number): string {
  const { batchSize } = spec.training;
  for (let micro = Math.min(rows, batchSize) - 1; micro >= 1; micro -= 1) {
    if (batchSize % micro !== 0) continue;
    const needed = spec.augment === undefined ? undefined : estimateStepHeapBytes(spec as RunSpec, micro);
    if (needed === undefined) {
      return `set training.microBatch to a divisor of training.batchSize (${batchSize}) below ${rows} (gradient accumulation keeps the batch; docs/training.md)`;
    }
    if (needed <= limitBytes) {
      return `set training.microBatch to ${micro} (gradient accumulation keeps the batch of ${batchSize}; about ${byteText(needed)} a step; docs/training.md)`;
    }
  }
  return "even one image per step does not fit: use a smaller input size or backbone";
}

function byteText(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
