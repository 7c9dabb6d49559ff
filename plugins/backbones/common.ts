/**
 * The backbone plugins' shared library above nn/ and weights/: building a catalog entry into a
 * Backbone (random init or a checkpoint loaded strictly) and `defineBackbone`, which makes an
 * entry a plugin. plugins/backbones/index.ts lists the built-in entries by id.
 */
import { z } from "zod";
import type { JsonObject } from "../../core/contracts.ts";
import { InputError } from "../../core/errors.ts";
import type { TensorMap } from "../../core/formats/tensor-map.ts";
import { definePlugin, parseOptions, type Plugin, type PluginContext } from "../../core/plugin.ts";
import { SeedTree } from "../../core/rng.ts";
import { type Pooling, Scope } from "./nn/layers.ts";
import { type CatalogEntry, headClassCount, headParams, NetBackbone } from "./nn/net.ts";
import { ParamStore } from "./nn/store.ts";
import { readCheckpoint } from "./weights/index.ts";
import { loadIntoStore } from "./weights/tensors.ts";

export interface CreateBackboneOptions {
  readonly numClasses: number;
  /**
   * A `.safetensors` file, a torch.save `.pth`/`.pt` checkpoint (zip or legacy), a directory written
   * by `convertWeights`, or tensors already read (PyTorch names and layouts).
   */
  readonly weights?: string | TensorMap;
  readonly pooling?: Pooling;
  /**
   * Input resolution when it differs from the catalog's (ViT builds its position embeddings for
   * it and interpolates checkpoint ones; conv nets take any size and ignore it).
   */
  readonly inputSize?: number;
  /** Keep the checkpoint's classifier whatever its size (`numClasses` is then ignored). */
  readonly keepCheckpointHead?: boolean;
  /** Seeds the `init` (random weights, new head) and `dropout` streams; default root seed 0. */
  readonly seeds?: SeedTree;
  /** The family's own options (tinycnn: channels, widths, hidden), checked by the entry's schema. */
  readonly familyOptions?: JsonObject;
}

/** The entry's family options with their defaults; an error for options an entry does not take. */
export function parseFamilyOptions(entry: CatalogEntry, options: JsonObject | undefined): unknown {
  const id = entry.meta.id;
  if (!entry.family) {
    if (options !== undefined && Object.keys(options).length > 0) {
      throw new InputError(`backbone "${id}"`, `takes no family options, got ${Object.keys(options).join(", ")}`);
    }
    return undefined;
  }
  return parseOptions({ kind: "backbone", name: id, version: "", description: "" }, entry.family.schema, options ?? {});
}

/**
 * Builds a catalog entry. With weights, the model is built with the checkpoint's classifier size,
 * loaded strictly (any missing, extra or mis-shaped tensor fails before anything is assigned),
 * and the classifier is then reset to `numClasses` if that differs.
 */
export async function buildBackbone(entry: CatalogEntry, options: CreateBackboneOptions): Promise<NetBackbone> {
  const id = entry.meta.id;
  const seeds = options.seeds ?? new SeedTree(0);
  const pooling = options.pooling ?? "avg";
  if (!Number.isInteger(options.numClasses) || options.numClasses < 1) {
    throw new InputError(`backbone "${id}"`, `numClasses must be a positive integer, got ${options.numClasses}`);
  }
  const family = parseFamilyOptions(entry, options.familyOptions);
  const where = typeof options.weights === "string" ? options.weights : `weights for backbone "${id}"`;
  const inputSize = options.inputSize ?? entry.meta.inputSize;
  const read = typeof options.weights === "string" ? await readCheckpoint(options.weights) : options.weights;
  let tensors: TensorMap | undefined;
  let headClasses = options.numClasses;
  if (read) {
    const probe = entry.build(new Scope(new ParamStore(null, true)), { numClasses: 1, pooling, inputSize, family });
    tensors = probe.adaptCheckpoint ? probe.adaptCheckpoint(read, where) : read;
    if (!probe.headLocal) {
      const name = headParams(probe).weight;
      const head = tensors.get(name);
      if (!head) throw new InputError(where, `checkpoint has no classifier tensor "${name}" for backbone "${id}"`);
      headClasses = headClassCount(probe, head.shape);
    }
  }
  const store = new ParamStore(tensors ? null : (entry.initStream?.(seeds) ?? seeds.stream("init", id)));
  const net = entry.build(new Scope(store), { numClasses: headClasses, pooling, inputSize, family });
  const sized = inputSize === entry.meta.inputSize ? entry.meta : { ...entry.meta, inputSize, resizeSize: Math.round((inputSize * (entry.meta.resizeSize ?? entry.meta.inputSize)) / entry.meta.inputSize) };
  const meta = entry.family ? entry.family.meta(family, store.countParameters(), sized) : sized;
  const backbone = new NetBackbone(meta, store, net, seeds.runStream("dropout", id));
  try {
    if (tensors) loadIntoStore(store, tensors, where);
    // A local head is absent from checkpoints, so after loading it is still unset.
    const headUnset = tensors !== undefined && net.headLocal === true;
    if (headUnset || (headClasses !== options.numClasses && !options.keepCheckpointHead)) backbone.resetClassifier(options.numClasses, seeds.stream("init", id, "head"));
  } catch (e) {
    backbone.dispose();
    throw e;
  }
  return backbone;
}

/** Parameter count of an entry with `numClasses` outputs, from the layer shapes (nothing allocated). */
export function countEntryParameters(
  entry: CatalogEntry, numClasses: number, options: { readonly pooling?: Pooling; readonly inputSize?: number; readonly familyOptions?: JsonObject } = {},
): number {
  const store = new ParamStore(null, true);
  const family = parseFamilyOptions(entry, options.familyOptions);
  entry.build(new Scope(store), { numClasses, pooling: options.pooling ?? "avg", inputSize: options.inputSize, family });
  return store.countParameters();
}

/** Options of a backbone plugin whose family declares none of its own. */
const COMMON_OPTIONS = {
  weights: z.string().min(1).optional(),
  /** "random": the architecture with its random initialisation, no weights read (training from scratch, Kornblith et al. 2019). */
  init: z.literal("random").optional(),
  pooling: z.enum(["avg", "gem"]).optional(),
  inputSize: z.number().int().positive().optional(),
};

/**
 * A backbone plugin from a catalog entry (metadata + a builder on nn/ layers), named by its id, so
 * recipes name `resnet50.tv_in1k` directly. Options are validated (errors name the backbone and
 * the option): weights, pooling and inputSize, or the family's own. A pretrained id needs its
 * checkpoint: `options.weights` or, better (paths are machine-specific and stay out of run hashes),
 * the config's `weights` map via `ctx.weightsFor`. Nothing falls back to random weights: a run
 * asks for them with `init: "random"` (the architecture from scratch), or names a `.random` mini id.
 */
export function defineBackbone(entry: CatalogEntry): Plugin<"backbone"> {
  const { id, source, imagenetTop1, upstreamName } = entry.meta;
  const meta = {
    kind: "backbone" as const,
    name: id,
    version: "1.0.0",
    description: source === "random-init"
      ? `${id}: random-init mini variant for tests and smoke runs`
      : `${upstreamName ?? id} (${source}${imagenetTop1 === undefined ? "" : `, ImageNet top-1 ${imagenetTop1}%`})`,
  };
  const schema = z.strictObject(entry.family ? { ...entry.family.pluginOptions, ...entry.family.schema.shape } : COMMON_OPTIONS);
  /** The parsed options and the weights file, checked without building anything. */
  const resolve = (options: JsonObject, ctx: PluginContext) => {
    const { weights: given, init, pooling, inputSize, ...familyOptions } = parseOptions(meta, schema, options) as {
      weights?: string; init?: "random"; pooling?: Pooling; inputSize?: number;
    } & JsonObject;
    if (init === "random") {
      if (given !== undefined) throw new InputError(`backbone "${id}"`, `init "random" reads no weights, yet weights "${given}" is given; give one of them`);
      return { weights: undefined, pooling, inputSize, familyOptions };
    }
    const weights = given ?? ctx.weightsFor?.(id);
    if (weights === undefined && source !== "random-init") {
      throw new InputError(
        `backbone "${id}"`,
        `needs its pretrained weights (${upstreamName ?? source}): set weights["${id}"] in your xfer config to the .safetensors or .pth checkpoint (docs/backbones.md)`,
      );
    }
    return { weights, pooling, inputSize, familyOptions };
  };
  return definePlugin({
    meta,
    async create(options, ctx) {
      const { weights, pooling, inputSize, familyOptions } = resolve(options, ctx);
      if (ctx.numClasses === undefined) throw new InputError(`backbone plugin "${id}"`, "the run context gives no numClasses");
      return await buildBackbone(entry, { numClasses: ctx.numClasses, weights, pooling, inputSize, seeds: ctx.seeds, familyOptions });
    },
    validate: (options, ctx) => void resolve(options, ctx),
  });
}
