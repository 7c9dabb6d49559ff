/**
 * Backbone catalog and factory: `createBackbone("resnet50.tv_in1k", { numClasses, weights })`.
 * Ids are `architecture.weights-tag`; `*_mini.random` ids are narrow random-init variants for tests.
 */
import { z } from "zod";
import type { BackboneMeta } from "../../core/contracts.ts";
import { InputError, UnknownNameError } from "../../core/errors.ts";
import { type Plugin, definePlugin, parseOptions } from "../../core/plugin.ts";
import { SeedTree } from "../../core/rng.ts";
import type { Pooling } from "./nn/layers.ts";
import { Scope } from "./nn/layers.ts";
import { type CatalogEntry, NetBackbone } from "./nn/net.ts";
import { ParamStore } from "./nn/store.ts";
import { ALEXNET_BACKBONES } from "./alexnet/index.ts";
import { CONVNEXT_BACKBONES } from "./convnext/index.ts";
import { DENSENET_BACKBONES } from "./densenet/index.ts";
import { EFFICIENTNET_BACKBONES } from "./efficientnet/index.ts";
import { MOBILENETV3_BACKBONES } from "./mobilenetv3/index.ts";
import { RESNET_BACKBONES } from "./resnet/index.ts";
import { SHUFFLENET_BACKBONES } from "./shufflenet/index.ts";
import { SQUEEZENET_BACKBONES } from "./squeezenet/index.ts";
import { VGG_BACKBONES } from "./vgg/index.ts";
import { VIT_BACKBONES } from "./vit/index.ts";
import { readCheckpoint, writeTfjsWeights } from "./weights/index.ts";
import { loadIntoStore } from "./weights/tensors.ts";
import type { TensorMap } from "../../core/formats/tensor-map.ts";

export { NetBackbone } from "./nn/net.ts";
export type { CatalogEntry } from "./nn/net.ts";

/** Each family becomes one backbone plugin (option `variant` picks the id). */
export const BACKBONE_FAMILIES: Readonly<Record<string, readonly CatalogEntry[]>> = {
  resnet: RESNET_BACKBONES,
  vgg: VGG_BACKBONES,
  alexnet: ALEXNET_BACKBONES,
  squeezenet: SQUEEZENET_BACKBONES,
  shufflenet: SHUFFLENET_BACKBONES,
  mobilenetv3: MOBILENETV3_BACKBONES,
  densenet: DENSENET_BACKBONES,
  efficientnet: EFFICIENTNET_BACKBONES,
  convnext: CONVNEXT_BACKBONES,
  vit: VIT_BACKBONES,
};

export const BACKBONE_CATALOG: ReadonlyMap<string, CatalogEntry> = new Map(
  Object.values(BACKBONE_FAMILIES).flat().map((e) => [e.meta.id, e]),
);

export function backboneIds(): string[] {
  return [...BACKBONE_CATALOG.keys()].sort();
}

export function backboneMeta(id: string): BackboneMeta {
  return catalogEntry(id).meta;
}

function catalogEntry(id: string): CatalogEntry {
  const entry = BACKBONE_CATALOG.get(id);
  if (!entry) throw new UnknownNameError("backbone", id, backboneIds());
  return entry;
}

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
}

/**
 * Builds backbone `id`. With weights, the model is built with the checkpoint's classifier size,
 * loaded strictly (any missing, extra or mis-shaped tensor fails before anything is assigned),
 * and the classifier is then reset to `numClasses` if that differs.
 */
export async function createBackbone(id: string, options: CreateBackboneOptions): Promise<NetBackbone> {
  const entry = catalogEntry(id);
  const seeds = options.seeds ?? new SeedTree(0);
  const pooling = options.pooling ?? "avg";
  if (!Number.isInteger(options.numClasses) || options.numClasses < 1) {
    throw new InputError(`backbone "${id}"`, `numClasses must be a positive integer, got ${options.numClasses}`);
  }
  const where = typeof options.weights === "string" ? options.weights : `weights for backbone "${id}"`;
  const inputSize = options.inputSize ?? entry.meta.inputSize;
  const read = typeof options.weights === "string" ? await readCheckpoint(options.weights) : options.weights;
  let tensors: TensorMap | undefined;
  let headClasses = options.numClasses;
  if (read) {
    const probe = entry.build(new Scope(new ParamStore(null, true)), { numClasses: 1, pooling, inputSize });
    tensors = probe.adaptCheckpoint ? probe.adaptCheckpoint(read, where) : read;
    const head = tensors.get(`${probe.headName}.weight`);
    if (!head) throw new InputError(where, `checkpoint has no classifier tensor "${probe.headName}.weight" for backbone "${id}"`);
    headClasses = head.shape[0];
  }
  const store = new ParamStore(tensors ? null : seeds.stream("init", id));
  const net = entry.build(new Scope(store), { numClasses: headClasses, pooling, inputSize });
  const meta = inputSize === entry.meta.inputSize ? entry.meta : { ...entry.meta, inputSize, resizeSize: Math.round((inputSize * (entry.meta.resizeSize ?? entry.meta.inputSize)) / entry.meta.inputSize) };
  const backbone = new NetBackbone(meta, store, net, seeds.stream("dropout", id));
  try {
    if (tensors) loadIntoStore(store, tensors, where);
    if (headClasses !== options.numClasses && !options.keepCheckpointHead) backbone.resetClassifier(options.numClasses, seeds.stream("init", id, "head"));
  } catch (e) {
    backbone.dispose();
    throw e;
  }
  return backbone;
}

/**
 * `xfer weights convert <id> <checkpoint> <outdir>`: loads the checkpoint strictly into backbone
 * `id` (keeping its classifier) and writes a tfjs weights directory `createBackbone` accepts.
 */
export async function convertWeights(id: string, checkpoint: string, outDir: string, options: { inputSize?: number } = {}): Promise<{ tensors: number; params: number }> {
  const backbone = await createBackbone(id, { numClasses: 1, weights: checkpoint, inputSize: options.inputSize, keepCheckpointHead: true });
  try {
    await writeTfjsWeights(outDir, id, backbone.store);
    return { tensors: backbone.store.specs.length, params: backbone.store.countParameters() };
  } finally {
    backbone.dispose();
  }
}

/** Parameter count of `id` with `numClasses` outputs, from the layer shapes (nothing allocated). */
export function countParameters(id: string, numClasses: number, pooling: Pooling = "avg", inputSize?: number): number {
  const store = new ParamStore(null, true);
  catalogEntry(id).build(new Scope(store), { numClasses, pooling, inputSize });
  return store.countParameters();
}

/**
 * One plugin per catalog id, so recipes name `resnet50.tv_in1k` directly and an unknown id lists
 * the valid ones. A pretrained id needs its checkpoint: `options.weights` or, better (paths are
 * machine-specific and stay out of run hashes), the config's `weights` map via `ctx.weightsFor`.
 * Nothing falls back to random weights: that is what the `.random` ids are for.
 */
function backbonePlugin(entry: CatalogEntry): Plugin<"backbone"> {
  const { id, source, imagenetTop1, upstreamName } = entry.meta;
  const meta = {
    kind: "backbone" as const,
    name: id,
    version: "1.0.0",
    description: source === "random-init"
      ? `${id}: random-init mini variant for tests and smoke runs`
      : `${upstreamName ?? id} (${source}${imagenetTop1 === undefined ? "" : `, ImageNet top-1 ${imagenetTop1}%`})`,
  };
  const schema = z.strictObject({
    weights: z.string().min(1).optional(),
    pooling: z.enum(["avg", "gem"]).optional(),
    inputSize: z.number().int().positive().optional(),
  });
  return definePlugin({
    meta,
    async create(options, ctx) {
      const o = parseOptions(meta, schema, options);
      if (ctx.numClasses === undefined) throw new InputError(`backbone plugin "${id}"`, "the run context gives no numClasses");
      const weights = o.weights ?? ctx.weightsFor?.(id);
      if (weights === undefined && source !== "random-init") {
        throw new InputError(
          `backbone "${id}"`,
          `needs its pretrained weights (${upstreamName ?? source}): set weights["${id}"] in your xfer config to the .safetensors or .pth checkpoint (docs/backbones.md)`,
        );
      }
      return await createBackbone(id, { numClasses: ctx.numClasses, weights, pooling: o.pooling, inputSize: o.inputSize, seeds: ctx.seeds });
    },
  });
}

/** One backbone plugin per catalog id, for plugins/manifest.ts. */
export const BACKBONE_PLUGINS: readonly Plugin<"backbone">[] = [...BACKBONE_CATALOG.values()].map(backbonePlugin);
