/**
 * Recipes and planning. A training recipe is a template of plugin references plus a grid; `plan`
 * expands it into RunSpecs: plain JSON in a stable key order, each with the SHA-256 of its
 * canonical JSON as its identity. Shared parts compose by deep merge (objects merge, arrays and
 * scalars replace), so a recipe reads as "the shared protocol plus one delta".
 */
import type { JsonObject, JsonValue } from "./contracts.ts";
import { InputError, XferError } from "./errors.ts";
import { canonicalJson, contentHash, sortKeys } from "./hash.ts";
import type { PluginRef } from "./plugin.ts";
import type { AnalysisRecipe } from "./analysis/report.ts";

export interface TrainingOptions {
  readonly epochs: number;
  readonly batchSize: number;
  /** Base learning rate; the schedule scales it per epoch or step. */
  readonly lr: number;
  readonly weightDecay: number;
  /** Stop after this many epochs without improvement of the selection metric. */
  readonly patience?: number;
  /** What is trained (see docs/training.md): default "finetune". */
  readonly mode?: "finetune" | "linear-probe" | "lp-ft" | "frozen-features" | "logistic-regression";
  /** For "lp-ft": epochs of linear probing before the whole network is fine-tuned. */
  readonly lpEpochs?: number;
  /**
   * "cross-entropy" (default; sigmoid BCE for multilabel datasets) or ordinal regression with one
   * output, L1 or MSE against the class index, mapped to classes by cut points fitted for the
   * selection metric on the selection split (the APTOS leaderboard intervention).
   */
  readonly loss?: "cross-entropy" | "ordinal-l1" | "ordinal-mse";
  /** Label smoothing of the cross-entropy target (torch semantics). */
  readonly labelSmoothing?: number;
  /**
   * Resize the shorter side to this many pixels when decoding, before augmentation; decoded
   * images are cached for the run, so this bounds memory on large photos (APTOS, Melanoma).
   * Absent: native size.
   */
  readonly decodeResize?: number;
  /**
   * A step budget instead of passes over the data: the run takes exactly this many optimizer
   * steps of `batchSize` samples, drawn from back-to-back seeded passes over the train split (a
   * batch may span two passes), in `epochs` equal rounds of `steps / epochs` steps; each round is
   * what an epoch is elsewhere (schedule position, validation, selection, resume). Kornblith et
   * al. 2019: 20,000 steps whatever the dataset's size (docs/training.md, "Step budgets").
   */
  readonly steps?: number;
  /**
   * Batch-norm momentum for every batch-norm layer of the backbone while training, in PyTorch's
   * convention (the weight of the batch statistic; torchvision's default 0.1), or "kornblith":
   * Kornblith et al. 2019's decay max(1 - 10/s, 0.9) for s = train samples / batchSize steps per
   * epoch, i.e. momentum 1 - max(1 - 10/s, 0.9). Absent: each layer's own.
   */
  readonly batchNormMomentum?: number | "kornblith";
  /**
   * Gradient accumulation: each step's `batchSize` samples go through the network in micro-batches
   * of this many (a divisor of batchSize), their gradients summed into one optimizer step, so a
   * recipe keeps the paper's batch where a whole batch's activations do not fit in memory. Batch
   * norm then normalises by each micro-batch's statistics (docs/training.md, "Gradient
   * accumulation and the memory check"). Equal to batchSize it is dropped from the spec: the same computation, the same hash.
   */
  readonly microBatch?: number;
}

/**
 * A backbone that starts from the best checkpoint of another recipe's run (the pretrain -> transfer
 * pipeline): named by the recipe and a selection of that run's spec, never by a file path.
 * Planning (core/stages.ts) finds the one matching run and fills in `run`, its identity, so the
 * upstream run's provenance is part of this run's hash. The checkpoint's classifier is replaced
 * by a fresh head, as for ImageNet weights.
 */
export interface UpstreamRef {
  /** The recipe whose run it is (built-in name, as `xfer run` takes it). */
  readonly recipe: string;
  /**
   * Spec path -> value (matched like --filter); exactly one planned run of `recipe` must match,
   * or with `best` at least one.
   */
  readonly select: JsonObject;
  /**
   * The selection picks candidates, and the run loads the one whose best-epoch score on its
   * selection metric (validation split) is best; ties go to the first in plan order. LP-FT's
   * "fine-tune the best probe": the choice waits until every candidate is done.
   */
  readonly best?: boolean;
  /**
   * Load the upstream classifier too instead of a fresh head (LP-FT: fine-tuning starts from the
   * trained probe); it must have this run's shape, so the same classes.
   */
  readonly keepHead?: boolean;
  /** The upstream run's identity, filled in by planning; a recipe never writes it. */
  readonly run?: string;
  /** With `best`: the candidates' identities in plan order, filled in by planning instead of `run`. */
  readonly runs?: readonly string[];
}

/** The upstream run identities a reference depends on: its run, or with `best` every candidate. */
export function upstreamRunIds(ref: UpstreamRef | null | undefined): readonly string[] {
  if (!ref) return [];
  return ref.runs ?? (ref.run === undefined ? [] : [ref.run]);
}

/** Everything one run needs, as data. */
export interface RunTemplate {
  readonly dataset: PluginRef;
  readonly splitter: PluginRef;
  readonly backbone: PluginRef;
  readonly optimizer: PluginRef;
  readonly schedule: PluginRef;
  /** Per-image pipelines, and batch augmentations (MixUp, CutMix) applied to training batches. */
  readonly augment: { readonly train: readonly PluginRef[]; readonly eval: readonly PluginRef[]; readonly batch?: readonly PluginRef[] };
  /** Metric names; the first is the selection metric unless the dataset names another. */
  readonly metrics: readonly string[];
  readonly training: TrainingOptions;
  /** Root seed; when a recipe names none, the config's seed (or `--seed`) is used. */
  readonly seed?: number;
  /**
   * Seed of the split, when it must not follow the run's seed: the reference splits were drawn
   * once (APTOS and Cassava 414, EuroSAT 42, Melanoma 23) and every run of the paper shares them.
   */
  readonly splitSeed?: number;
  /** Weights from another recipe's run (null or absent: the backbone plugin's own weights). */
  readonly upstream?: UpstreamRef | null;
  /**
   * Labels of a grid point's role that training ignores but analysis reads, e.g.
   * `tags.transfer = "scratch"` or `tags.task = "heldout-k5"` (`xfer results --by transfer`).
   */
  readonly tags?: Readonly<Record<string, string>>;
}

export interface RunSpec extends RunTemplate {
  readonly seed: number;
  readonly recipe: string;
  /** The grid coordinates of this run, path -> value. */
  readonly point: JsonObject;
}

export interface PlannedRun {
  readonly hash: string;
  readonly spec: RunSpec;
}

/** A grid: dotted path into the template -> the values it takes. Several grids are unioned. */
export type Grid = Readonly<Record<string, readonly JsonValue[]>>;

export type DeepPartial<T> = T extends readonly (infer _U)[]
  ? T
  : T extends object
    ? { -readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export interface TrainRecipe {
  readonly kind: "train";
  readonly name: string;
  readonly description: string;
  readonly template: RunTemplate;
  readonly grid?: Grid | readonly Grid[];
  /** What `--smoke` changes: fixtures, mini backbones, few steps. CI runs every recipe this way. */
  readonly smoke?: { readonly template?: DeepPartial<RunTemplate>; readonly grid?: Grid | readonly Grid[] };
  /** How `xfer report` analyses the runs (never part of a run spec or its hash). */
  readonly report?: RecipeReport;
}

export interface RecipeReport {
  /** Default x column of the trend analysis, e.g. "log10_params" (else imagenet_top1). */
  readonly x?: string;
  /** Default `--by` of `xfer report`: axes kept instead of chosen over (tag names or spec paths). */
  readonly by?: readonly string[];
  /** Compare each value of a kept axis with a reference value (correlation differences with bootstrap intervals). */
  readonly compare?: { readonly axis: string; readonly reference: string };
  /**
   * The experiment's own analysis, run by `xfer report` on the best-runs table instead of the
   * trend analysis (clip-transfer: Tables 8 and 9); `--results FILE` gives it another table.
   */
  readonly analysis?: AnalysisRecipe;
}

export interface TrainRecipeInput {
  readonly name: string;
  readonly description: string;
  /** Shared parts first, then this recipe's delta; merged left to right. */
  readonly extends?: readonly DeepPartial<RunTemplate>[];
  readonly template?: DeepPartial<RunTemplate>;
  readonly grid?: Grid | readonly Grid[];
  readonly smoke?: TrainRecipe["smoke"];
  readonly report?: RecipeReport;
}

/** Typed helper for a training recipe: composes shared parts with the delta and checks it. */
export function defineRecipe(input: TrainRecipeInput): TrainRecipe {
  const parts = [...(input.extends ?? []), input.template ?? {}] as JsonObject[];
  const template = parts.reduce<JsonObject>((acc, part) => deepMerge(acc, part), {});
  assertTemplate(input.name, template);
  for (const grid of gridsOf(input.grid)) assertGrid(input.name, grid);
  for (const grid of gridsOf(input.smoke?.grid)) assertGrid(`${input.name} (smoke)`, grid);
  return {
    kind: "train",
    name: input.name,
    description: input.description,
    template: template as unknown as RunTemplate,
    grid: input.grid,
    smoke: input.smoke,
    ...(input.report === undefined ? {} : { report: input.report }),
  };
}

/** Deep merge of plain JSON: objects merge key by key; arrays and scalars from `over` replace. */
export function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prior = out[key];
    out[key] = isPlainObject(prior) && isPlainObject(value) ? deepMerge(prior, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const REQUIRED_PATHS = [
  "dataset.name", "splitter.name", "backbone.name", "optimizer.name", "schedule.name",
  "augment.train", "augment.eval", "metrics", "training.epochs", "training.batchSize",
  "training.lr", "training.weightDecay",
];

function assertTemplate(recipe: string, template: JsonObject): void {
  const missing = REQUIRED_PATHS.filter((path) => getPath(template, path) === undefined);
  if (missing.length > 0) {
    throw new InputError(`recipe "${recipe}"`, `template is missing ${missing.map((p) => `"${p}"`).join(", ")}`);
  }
}

function assertGrid(recipe: string, grid: Grid): void {
  for (const [path, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0) {
      throw new InputError(`recipe "${recipe}"`, `grid axis "${path}" has no values; give at least one`);
    }
  }
}

function gridsOf(grid: Grid | readonly Grid[] | undefined): readonly Grid[] {
  if (grid === undefined) return [{}];
  return Array.isArray(grid) ? (grid as readonly Grid[]) : [grid as Grid];
}

/** Cartesian product of one grid's axes, in axis declaration order (last axis fastest). */
export function expandGrid(grid: Grid): JsonObject[] {
  let points: JsonObject[] = [{}];
  for (const [path, values] of Object.entries(grid)) {
    points = points.flatMap((point) => values.map((value) => ({ ...point, [path]: value })));
  }
  return points;
}

export function getPath(value: JsonValue, path: string): JsonValue | undefined {
  let cursor: JsonValue | undefined = value;
  for (const key of path.split(".")) {
    if (!isPlainObject(cursor)) return undefined;
    cursor = cursor[key];
  }
  return cursor;
}

export function setPath(value: JsonObject, path: string, leaf: JsonValue): JsonObject {
  const [head, ...rest] = path.split(".");
  if (rest.length === 0) return { ...value, [head]: leaf };
  const child = value[head];
  return { ...value, [head]: setPath(isPlainObject(child) ? child : {}, rest.join("."), leaf) };
}

export interface PlanOptions {
  /** Overrides every run's root seed (`--seed`). */
  readonly seed?: number;
  /** Root seed for recipes that name none (the config's `seed`); 0 when absent. */
  readonly defaultSeed?: number;
  readonly smoke?: boolean;
  /** Keep runs whose spec has `value` at `path` (e.g. "dataset.name" = "aptos2019"). */
  readonly filters?: readonly RunFilter[];
  /**
   * The identity of the one upstream run a reference selects, or with `best` its candidates'
   * (core/stages.ts planStages builds it); required when a run has an `upstream`, whose `run` (or
   * `runs`) is then filled in before hashing.
   */
  readonly upstream?: (ref: UpstreamRef, spec: JsonObject) => string | readonly string[];
}

/** Expands a recipe into runs. Equal specs get equal hashes; duplicates are planned once. */
export function plan(recipe: TrainRecipe, options: PlanOptions = {}): PlannedRun[] {
  let template = recipe.template as unknown as JsonObject;
  let grids = gridsOf(recipe.grid);
  if (options.smoke) {
    if (!recipe.smoke) throw new XferError(`recipe "${recipe.name}" defines no smoke mode`);
    template = deepMerge(template, (recipe.smoke.template ?? {}) as JsonObject);
    if (recipe.smoke.grid !== undefined) grids = gridsOf(recipe.smoke.grid);
  }
  if (options.seed !== undefined) template = { ...template, seed: options.seed };
  else if (template.seed === undefined) template = { ...template, seed: options.defaultSeed ?? 0 };

  const runs = new Map<string, PlannedRun>();
  for (const grid of grids) {
    for (const point of expandGrid(grid)) {
      let spec: JsonObject = { ...template, recipe: recipe.name, point };
      for (const [path, value] of Object.entries(point)) spec = setPath(spec, path, value);
      spec = withUpstreamRun(recipe.name, spec, options.upstream);
      spec = withMicroBatch(recipe.name, spec);
      spec = sortKeys(spec);
      const hash = contentHash(spec);
      if (!runs.has(hash)) runs.set(hash, { hash, spec: spec as unknown as RunSpec });
    }
  }
  return applyFilters(recipe.name, [...runs.values()], options.filters ?? []);
}

/** The spec with its upstream reference's `run` filled in by `resolve`; unchanged without a reference. */
function withUpstreamRun(recipeName: string, spec: JsonObject, resolve: PlanOptions["upstream"]): JsonObject {
  const ref = spec.upstream;
  if (ref === undefined || ref === null) return spec;
  if (!isPlainObject(ref) || typeof ref.recipe !== "string" || !isPlainObject(ref.select)) {
    throw new InputError(`recipe "${recipeName}"`, `upstream must be { recipe: "<recipe name>", select: { "<spec path>": <value>, ... } } or null, got ${canonicalJson(ref)}`);
  }
  if (ref.run !== undefined || ref.runs !== undefined) {
    throw new InputError(`recipe "${recipeName}"`, `upstream.run and upstream.runs are upstream run identities, filled in by planning; a recipe names the run by upstream.select (and best) only`);
  }
  for (const flag of ["best", "keepHead"]) {
    if (ref[flag] !== undefined && typeof ref[flag] !== "boolean") throw new InputError(`recipe "${recipeName}"`, `upstream.${flag} must be true or false, got ${canonicalJson(ref[flag])}`);
  }
  if (resolve === undefined) {
    throw new XferError(`recipe "${recipeName}" takes weights from runs of recipe "${ref.recipe}": plan it with planStages (core/stages.ts), which plans the upstream recipe first`);
  }
  const resolved = resolve(ref as unknown as UpstreamRef, spec);
  return { ...spec, upstream: { ...ref, ...(typeof resolved === "string" ? { run: resolved } : { runs: [...resolved] }) } };
}

/**
 * The spec with `training.microBatch` checked (a positive integer dividing batchSize, so every
 * full batch splits into equal micro-batches) and removed when it equals batchSize: that step is
 * the plain one bit for bit, so it must not make another run identity.
 */
function withMicroBatch(recipeName: string, spec: JsonObject): JsonObject {
  const training = spec.training as JsonObject;
  const { microBatch, batchSize } = training;
  if (microBatch === undefined) return spec;
  if (typeof microBatch !== "number" || !Number.isSafeInteger(microBatch) || microBatch < 1 || typeof batchSize !== "number" || batchSize % microBatch !== 0) {
    throw new InputError(`recipe "${recipeName}"`, `training.microBatch must be a positive integer that divides training.batchSize (${canonicalJson(batchSize ?? null)}), got ${canonicalJson(microBatch)}`);
  }
  if (microBatch !== batchSize) return spec;
  const { microBatch: _equalToBatch, ...rest } = training;
  return { ...spec, training: rest };
}

/** A `--filter PATH=VALUE`: `value` is the typed value (JSON when the text parses as JSON, else the text). */
export interface RunFilter {
  readonly path: string;
  readonly text: string;
  readonly value: JsonValue;
}

/**
 * Keeps the runs every filter matches. A path no spec has, or a filter no run matches, is an error
 * naming what exists (nearby paths, the values the path takes): a typo must not plan zero runs.
 */
function applyFilters(recipeName: string, runs: readonly PlannedRun[], filters: readonly RunFilter[]): PlannedRun[] {
  let kept = runs;
  for (const filter of filters) {
    const specs = runs.map((run) => run.spec as unknown as JsonObject);
    if (!specs.some((spec) => getPath(spec, filter.path) !== undefined)) {
      throw new InputError(`--filter ${filter.path}=${filter.text}`, `no run of recipe "${recipeName}" has the path "${filter.path}"; paths there: ${nearbyPaths(specs, filter.path).join(", ")}`);
    }
    const matching = kept.filter((run) => filterMatches(filter, getPath(run.spec as unknown as JsonObject, filter.path)));
    if (matching.length === 0) {
      const values = [...new Set(kept.map((run) => canonicalJson(getPath(run.spec as unknown as JsonObject, filter.path) ?? null)))];
      throw new InputError(`--filter ${filter.path}=${filter.text}`, `matches none of the ${kept.length} run(s) left; "${filter.path}" takes ${values.sort().join(", ")}`);
    }
    kept = matching;
  }
  return [...kept];
}

/** Equal as JSON (so 1e-2 matches 0.01 and true matches true), or a string spec value equal to the text ("007" stays a name). */
function filterMatches(filter: RunFilter, actual: JsonValue | undefined): boolean {
  if (actual === undefined) return false;
  if (typeof actual === "string") return actual === filter.text;
  return canonicalJson(actual) === canonicalJson(filter.value);
}

/** The keys of the deepest object on `path` that the specs have, as full paths (what the user may have meant). */
function nearbyPaths(specs: readonly JsonObject[], path: string): string[] {
  const keys = path.split(".");
  for (let depth = keys.length - 1; depth >= 0; depth -= 1) {
    const prefix = keys.slice(0, depth).join(".");
    const found = new Set<string>();
    for (const spec of specs) {
      const node = prefix === "" ? spec : getPath(spec, prefix);
      if (isPlainObject(node)) for (const key of Object.keys(node)) found.add(prefix === "" ? key : `${prefix}.${key}`);
    }
    if (found.size > 0) return [...found].sort();
  }
  return [];
}

/** Parses `path=value` filter arguments from the command line; the value is typed as JSON when it parses as JSON. */
export function parseFilter(text: string): RunFilter {
  const at = text.indexOf("=");
  if (at <= 0) throw new InputError(`--filter "${text}"`, `expected PATH=VALUE, e.g. dataset.name=aptos2019`);
  const valueText = text.slice(at + 1);
  return { path: text.slice(0, at), text: valueText, value: parseJsonOrText(valueText) };
}

function parseJsonOrText(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** The grid axes (keys of `spec.point`) whose values differ between the runs: what tells the runs apart. */
export function varyingAxes(specs: readonly RunSpec[]): string[] {
  const values = new Map<string, Set<string>>();
  for (const spec of specs) {
    for (const [axis, value] of Object.entries(spec.point)) {
      values.set(axis, (values.get(axis) ?? new Set()).add(canonicalJson(value)));
    }
  }
  // An axis some runs lack (a list of grids) tells them apart too.
  return [...values].filter(([axis, seen]) => seen.size > 1 || specs.some((spec) => !(axis in spec.point))).map(([axis]) => axis);
}

/**
 * The varying axes worth showing a person: without the axes whose values are objects (a backbone
 * or dataset reference, an upstream reference) when the others already tell every run apart, as
 * tags and scalar axes usually do; else all of them.
 */
export function displayAxes(specs: readonly RunSpec[]): string[] {
  const axes = varyingAxes(specs);
  const objectValued = (axis: string) => specs.some((spec) => isPlainObject(spec.point[axis]));
  const shown = axes.filter((axis) => !objectValued(axis));
  if (shown.length === axes.length) return axes;
  const labels = new Set(specs.map((spec) => axesLabel(spec, shown)));
  return labels.size === new Set(specs.map((spec) => canonicalJson(spec.point))).size ? shown : axes;
}

/** A run named by its values on `axes`, e.g. `training.lr=0.01 optimizer.name="sgd"`. */
export function axesLabel(spec: RunSpec, axes: readonly string[]): string {
  return axes.map((axis) => `${axis}=${axisValueText(spec.point[axis])}`).join(" ");
}

/** An axis value as a table cell: strings bare, everything else as JSON, a missing axis as "-". */
export function axisValueText(value: JsonValue | undefined): string {
  if (value === undefined) return "-";
  return typeof value === "string" ? value : canonicalJson(value);
}
