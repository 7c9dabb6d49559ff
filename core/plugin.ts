/**
 * The plugin model: a plugin is a plain object with `meta` and a `create` factory for its
 * capability. Built-ins are listed in one explicit manifest (plugins/manifest.ts); nothing
 * registers itself by being imported.
 */
import { z } from "zod";
import type {
  Augmentation, Backbone, ComputeBackend, Dataset, JsonObject, Metric, Optimizer, Schedule, Splitter,
} from "./contracts.ts";
import { InputError, UnknownNameError, XferError } from "./errors.ts";
import type { BatchAugmentation } from "./image/batch.ts";
import type { SeedTree } from "./rng.ts";

export interface Capabilities {
  dataset: Dataset;
  splitter: Splitter;
  backbone: Backbone;
  augmentation: Augmentation;
  /** MixUp / CutMix: act on a whole batch of images and targets. */
  "batch-augmentation": BatchAugmentation;
  optimizer: Optimizer;
  schedule: Schedule;
  metric: Metric;
  /** A compute backend: chosen once per process by the platform, never part of a run spec. */
  backend: ComputeBackend;
}
export type PluginKind = keyof Capabilities;
export const PLUGIN_KINDS: readonly PluginKind[] = [
  "dataset", "splitter", "backbone", "augmentation", "batch-augmentation", "optimizer", "schedule", "metric", "backend",
];

export interface PluginMeta<K extends PluginKind = PluginKind> {
  readonly kind: K;
  readonly name: string;
  readonly version: string;
  readonly description: string;
}

/** What a plugin may use when it creates its capability for one run. */
export interface PluginContext {
  readonly seeds: SeedTree;
  /** Number of classes of the run's dataset (backbones size their head with it). */
  readonly numClasses?: number;
  /**
   * The run's training hyperparameters. Optimizers and schedules take their lr, weight decay and
   * epoch count from here unless their own options set them, so one grid axis drives both.
   */
  readonly training?: { readonly lr: number; readonly weightDecay: number; readonly epochs: number };
  /** Where the pretrained weights of a backbone id lie on this machine (config `weights`). */
  readonly weightsFor?: (backboneId: string) => string | undefined;
}

/** Backends are created before any run exists, so they get no run context. */
export type CreateContext<K extends PluginKind> = K extends "backend" ? Record<string, never> : PluginContext;

export interface Plugin<K extends PluginKind = PluginKind> {
  readonly meta: PluginMeta<K>;
  create(options: JsonObject, ctx: CreateContext<K>): Capabilities[K] | Promise<Capabilities[K]>;
  /**
   * Checks options (and what the run context must supply) without creating anything: for plugins
   * whose `create` allocates tensors or reads files (backbones, optimizers), so a sweep's preflight
   * can check them before a backend starts. Throws an XferError naming the plugin and the option.
   */
  validate?(options: JsonObject, ctx: CreateContext<K>): void;
}

/** Typed identity helper for writing a plugin. */
export function definePlugin<K extends PluginKind>(plugin: Plugin<K>): Plugin<K> {
  return plugin;
}

/** Validates a plugin's options; errors name the plugin and the field. */
export function parseOptions<S extends z.ZodType>(meta: PluginMeta, schema: S, options: unknown): z.output<S> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  throw new InputError(`${meta.kind} plugin "${meta.name}"`, formatZodIssues(parsed.error, "option"));
}

export function formatZodIssues(error: z.ZodError, noun = "field"): string {
  return error.issues
    .map((issue) => `${noun} "${issue.path.map(String).join(".") || "(root)"}": ${issue.message}`)
    .join("; ");
}

const pluginShape = z.looseObject({
  meta: z.looseObject({
    kind: z.enum(PLUGIN_KINDS as [PluginKind, ...PluginKind[]]),
    name: z.string().min(1),
    version: z.string().min(1),
    description: z.string(),
  }),
  create: z.custom<Plugin["create"]>((value) => typeof value === "function", "expected a function (options, ctx) => capability"),
});

/** An object with `meta` and `create`: what a plugin module's exports are scanned for. */
export function looksLikePlugin(value: unknown): boolean {
  return typeof value === "object" && value !== null && "meta" in value && "create" in value;
}

/** Checks a plugin's shape (meta.kind/name/version/description, create); returns the same object. */
export function checkPlugin(value: unknown, source: string): Plugin {
  const parsed = pluginShape.safeParse(value);
  if (!parsed.success) throw new InputError(source, `not a plugin: ${formatZodIssues(parsed.error)}`);
  return value as Plugin;
}

export class PluginRegistry {
  readonly #byKind = new Map<PluginKind, Map<string, Plugin>>();
  readonly #sources = new Map<Plugin, string>();

  /** `source` names where the plugins come from in a duplicate-name error. */
  constructor(plugins: readonly Plugin[] = [], source = "built-in") {
    for (const plugin of plugins) this.register(plugin, source);
  }

  /** Registering the same object again is a no-op; another plugin with a taken name is an error naming both sources. */
  register(plugin: Plugin, source = "built-in"): this {
    const { kind, name } = plugin.meta;
    if (!PLUGIN_KINDS.includes(kind)) {
      throw new XferError(`plugin "${name}" has unknown kind "${kind}"; valid kinds: ${PLUGIN_KINDS.join(", ")}`);
    }
    const ofKind = this.#byKind.get(kind) ?? new Map<string, Plugin>();
    const taken = ofKind.get(name);
    if (taken === plugin) return this;
    if (taken) {
      const first = this.#sources.get(taken) ?? "built-in";
      const firstText = first === "built-in" ? "the built-in one" : `the one from ${first}`;
      throw new XferError(`duplicate ${kind} plugin name "${name}": the ${kind} plugin "${name}" from ${source} duplicates ${firstText}; each name may be registered once`);
    }
    ofKind.set(name, plugin);
    this.#sources.set(plugin, source);
    this.#byKind.set(kind, ofKind);
    return this;
  }

  /** Where a registered plugin came from: "built-in", or the module or config file that gave it. */
  sourceOf(kind: PluginKind, name: string): string {
    return this.#sources.get(this.get(kind, name) as Plugin) ?? "built-in";
  }

  get<K extends PluginKind>(kind: K, name: string): Plugin<K> {
    const plugin = this.#byKind.get(kind)?.get(name);
    if (!plugin) throw new UnknownNameError(kind, name, this.names(kind));
    return plugin as unknown as Plugin<K>;
  }

  has(kind: PluginKind, name: string): boolean {
    return this.#byKind.get(kind)?.has(name) ?? false;
  }

  names(kind: PluginKind): string[] {
    return [...(this.#byKind.get(kind)?.keys() ?? [])].sort();
  }

  all(): Plugin[] {
    return PLUGIN_KINDS.flatMap((kind) => this.names(kind).map((name) => this.get(kind, name) as Plugin));
  }

  async create<K extends PluginKind>(kind: K, ref: PluginRef, ctx: CreateContext<K>): Promise<Capabilities[K]> {
    return await this.get(kind, ref.name).create(ref.options ?? {}, ctx);
  }
}

/** A reference to a plugin in a recipe or RunSpec: its name and options as plain JSON. */
export interface PluginRef {
  readonly name: string;
  readonly options?: JsonObject;
}
