/**
 * Backbone catalog and factory: `createBackbone("resnet50.tv_in1k", { numClasses, weights })`.
 * Ids are `architecture.weights-tag`; `*_mini.random` ids are narrow random-init variants for
 * tests, `tinycnn.random` the small CNN of the smoke runs and benchmarks.
 */
import type { BackboneMeta, JsonObject } from "../../core/contracts.ts";
import { UnknownNameError } from "../../core/errors.ts";
import type { Plugin } from "../../core/plugin.ts";
import { buildBackbone, countEntryParameters, defineBackbone, type CreateBackboneOptions } from "./common.ts";
import type { Pooling } from "./nn/layers.ts";
import type { CatalogEntry, NetBackbone } from "./nn/net.ts";
import { ALEXNET_BACKBONES } from "./alexnet/index.ts";
import { CONVNEXT_BACKBONES } from "./convnext/index.ts";
import { DENSENET_BACKBONES } from "./densenet/index.ts";
import { EFFICIENTNET_BACKBONES } from "./efficientnet/index.ts";
import { MOBILENETV3_BACKBONES } from "./mobilenetv3/index.ts";
import { RESNET_BACKBONES } from "./resnet/index.ts";
import { SHUFFLENET_BACKBONES } from "./shufflenet/index.ts";
import { SQUEEZENET_BACKBONES } from "./squeezenet/index.ts";
import { VGG_BACKBONES } from "./vgg/index.ts";
import { TINYCNN_BACKBONES } from "./tinycnn/index.ts";
import { VIT_BACKBONES } from "./vit/index.ts";
import { INCEPTION_BACKBONES } from "./inception/index.ts";
import { PNASNET_BACKBONES } from "./pnasnet/index.ts";
import { TINYNET_BACKBONES } from "./tinynet/index.ts";
import { DLA_BACKBONES } from "./dla/index.ts";
import { SWIN_BACKBONES } from "./swin/index.ts";
import { METAFORMER_BACKBONES } from "./metaformer/index.ts";
import { CLIP_BACKBONES } from "./clip/index.ts";
import { writeTfjsWeights } from "./weights/index.ts";

export { NetBackbone } from "./nn/net.ts";
export type { CatalogEntry, FamilyOptions, Net, NetBuilder } from "./nn/net.ts";
export { defineBackbone, type CreateBackboneOptions } from "./common.ts";

/** The catalog by family; every id becomes one backbone plugin of that name (`defineBackbone`). */
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
  tinycnn: TINYCNN_BACKBONES,
  inception: INCEPTION_BACKBONES,
  pnasnet: PNASNET_BACKBONES,
  tinynet: TINYNET_BACKBONES,
  dla: DLA_BACKBONES,
  swin: SWIN_BACKBONES,
  metaformer: METAFORMER_BACKBONES,
  clip: CLIP_BACKBONES,
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

/** Builds backbone `id` of the catalog (see `buildBackbone`). */
export async function createBackbone(id: string, options: CreateBackboneOptions): Promise<NetBackbone> {
  return await buildBackbone(catalogEntry(id), options);
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

/**
 * Parameter count of `id` with `numClasses` outputs, from the layer shapes (nothing allocated);
 * `familyOptions` for a family that has its own (tinycnn's widths, hidden, channels).
 */
export function countParameters(
  id: string, numClasses: number, options: { readonly pooling?: Pooling; readonly inputSize?: number; readonly familyOptions?: JsonObject } = {},
): number {
  return countEntryParameters(catalogEntry(id), numClasses, options);
}

/** A catalog model by id or by the paper's name (AnalysisInput.catalog). */
export function catalogModel(model: string): { id: string; params: number } | undefined {
  const entry = BACKBONE_CATALOG.get(model) ?? [...BACKBONE_CATALOG.values()].find((e) => e.paperName === model);
  return entry === undefined ? undefined : { id: entry.meta.id, params: entry.meta.params };
}

/** One backbone plugin per catalog id, for plugins/manifest.ts. */
export const BACKBONE_PLUGINS: readonly Plugin<"backbone">[] = [...BACKBONE_CATALOG.values()].map(defineBackbone);
