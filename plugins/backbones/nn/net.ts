/**
 * The one Backbone implementation every family shares: a family builds its parameters into a
 * ParamStore and returns a `Net` (feature extractor + classifier layer name); this class adds the
 * head-swap, freezing and variable bookkeeping the contract asks for.
 */
import * as tf from "@tensorflow/tfjs";
import type { Backbone, BackboneMeta } from "../../../core/contracts.ts";
import type { z } from "zod";
import type { Rng, SeedTree } from "../../../core/rng.ts";
import { type Ctx, type Pooling, Scope, conv2d, globalAvgPool, linear } from "./layers.ts";
import { ParamStore } from "./store.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";
import { XferError } from "../../../core/errors.ts";

export interface Net {
  /** Everything before the classifier layer; a 2-D batch of features unless `headKind` is conv. */
  features(x: tf.Tensor4D, ctx: Ctx): tf.Tensor;
  /** PyTorch name of the classifier layer (`fc`, `classifier.6`, `heads.head`, ...). */
  readonly headName: string;
  readonly headIn: number;
  /**
   * "linear": PyTorch `<headName>.weight` [out, in] and `.bias`. "conv": SqueezeNet's 1x1 conv
   * followed by ReLU and global pooling. "dense": TensorFlow `<headName>/kernel` [in, out] and
   * `/bias` (tinycnn, whose checkpoints have always used these names). "pointwise": a 1x1 conv
   * `<headName>.weight` [out, in, 1, 1] applied to the pooled features (timm DLA's `fc`).
   */
  readonly headKind?: "linear" | "conv" | "dense" | "pointwise";
  /**
   * The classifier is xfer's own, never in the upstream checkpoints (CLIP's image towers end in an
   * embedding): it is registered as a local parameter, built fresh for `numClasses`, and strict
   * loading neither expects nor accepts it.
   */
  readonly headLocal?: boolean;
  /**
   * Further named feature outputs besides the classifier input (CLIP: `pre_projection`), read with
   * `NetBackbone.forwardTap`.
   */
  readonly taps?: Readonly<Record<string, (x: tf.Tensor4D, ctx: Ctx) => tf.Tensor2D>>;
  /** Family-specific checkpoint adaptation before strict loading (ViT: timm names, pos-embedding size). */
  adaptCheckpoint?(tensors: TensorMap, where: string): TensorMap;
}

export interface BuildOptions {
  readonly numClasses: number;
  readonly pooling: Pooling;
  /** Input resolution, for architectures whose parameters depend on it (ViT position embeddings). */
  readonly inputSize?: number;
  /** The family's own options, parsed by its `CatalogEntry.family` schema (tinycnn: channels, widths, hidden). */
  readonly family?: unknown;
}

/** A family's builder: registers parameters under `root` and returns the network. */
export type NetBuilder = (root: Scope, options: BuildOptions) => Net;

/** The classifier's weight and bias parameter names. */
export function headParams(net: Pick<Net, "headName" | "headKind">): { readonly weight: string; readonly bias: string } {
  return net.headKind === "dense"
    ? { weight: `${net.headName}/kernel`, bias: `${net.headName}/bias` }
    : { weight: `${net.headName}.weight`, bias: `${net.headName}.bias` };
}

/** Output classes of a classifier weight of this head kind ([in, out] for "dense", [out, ...] otherwise). */
export function headClassCount(net: Pick<Net, "headKind">, shape: readonly number[]): number {
  return net.headKind === "dense" ? shape[1] : shape[0];
}

function headModule(net: Net, root: Scope) {
  const names = headParams(net);
  const weight = () => root.store.get(names.weight);
  const bias = () => root.store.get(names.bias);
  if (net.headKind === "conv") {
    return (f: tf.Tensor): tf.Tensor2D => globalAvgPool(tf.relu(tf.add(tf.conv2d(f as tf.Tensor4D, weight() as tf.Tensor4D, 1, "valid"), bias())));
  }
  if (net.headKind === "pointwise") {
    return (f: tf.Tensor): tf.Tensor2D => tf.add(tf.matMul(f as tf.Tensor2D, tf.reshape(weight(), [net.headIn, -1]) as tf.Tensor2D), bias()) as tf.Tensor2D;
  }
  return (f: tf.Tensor): tf.Tensor2D => tf.add(tf.matMul(f as tf.Tensor2D, weight() as tf.Tensor2D), bias()) as tf.Tensor2D;
}

/**
 * Registers the classifier layer the way the family's upstream module does ("conv" and
 * "pointwise" are both a 1x1 conv with bias); `local`: xfer's own head (`Net.headLocal`).
 */
export function buildHead(root: Scope, name: string, inF: number, numClasses: number, kind: "linear" | "conv" | "pointwise" = "linear", options: { local?: boolean } = {}): void {
  if (options.local) {
    const s = root.at(name);
    const bound = 1 / Math.sqrt(inF);
    s.store.add(s.name("weight"), [numClasses, inF], "linear", { kind: "uniform", bound }, { local: true });
    s.store.add(s.name("bias"), [numClasses], "plain", { kind: "uniform", bound }, { local: true });
  } else if (kind === "linear") linear(root.at(name), inF, numClasses);
  else conv2d(root.at(name), inF, numClasses, 1, { bias: true });
}

export class NetBackbone implements Backbone {
  readonly #head: (f: tf.Tensor) => tf.Tensor2D;
  #frozen = false;
  #batchNormMomentum: number | null = null;

  constructor(
    readonly meta: BackboneMeta,
    readonly store: ParamStore,
    readonly net: Net,
    /** Stream for dropout and stochastic depth in training mode. */
    readonly dropoutRng: Rng | null,
  ) {
    this.#head = headModule(net, new Scope(store));
  }

  #ctx(training: boolean): Ctx {
    return { training, rng: this.dropoutRng, ...(this.#batchNormMomentum === null ? {} : { batchNormMomentum: this.#batchNormMomentum }) };
  }

  setBatchNormMomentum(momentum: number | null): void {
    if (momentum !== null && !(momentum > 0 && momentum <= 1)) {
      throw new XferError(`backbone "${this.meta.id}": batch-norm momentum must be in (0, 1] (PyTorch's convention), got ${momentum}`);
    }
    this.#batchNormMomentum = momentum;
  }

  forwardFeatures(x: tf.Tensor4D, training = false): tf.Tensor2D {
    const f = this.net.features(x, this.#ctx(training));
    return this.net.headKind === "conv" ? globalAvgPool(f) : (f as tf.Tensor2D);
  }

  /** A named feature output of the family (`Net.taps`), e.g. CLIP's `pre_projection`. */
  forwardTap(name: string, x: tf.Tensor4D, training = false): tf.Tensor2D {
    const tap = this.net.taps?.[name];
    if (!tap) throw new XferError(`backbone "${this.meta.id}" has no feature output "${name}"; it has: ${Object.keys(this.net.taps ?? {}).join(", ") || "none"}`);
    return tap(x, this.#ctx(training));
  }

  forward(x: tf.Tensor4D, training = false): tf.Tensor2D {
    return this.#head(this.net.features(x, this.#ctx(training)));
  }

  /** Parameter names the head owns (classifier layer plus xfer-local pooling parameters). */
  isHead(name: string): boolean {
    const { weight, bias } = headParams(this.net);
    return name === weight || name === bias || name.startsWith(`${this.net.headName}.`) || this.store.specs.some((s) => s.name === name && s.local);
  }

  resetClassifier(numClasses: number, rng: Rng): void {
    const { weight, bias } = headParams(this.net);
    const inF = this.net.headIn;
    // torch's default Linear/Conv init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
    const init = { kind: this.net.headKind === "dense" ? "range" : "uniform", bound: 1 / Math.sqrt(inF) } as const;
    const shape = this.net.headKind === "conv" || this.net.headKind === "pointwise" ? [numClasses, inF, 1, 1] : this.net.headKind === "dense" ? [inF, numClasses] : [numClasses, inF];
    this.store.replace(weight, shape, init, rng);
    this.store.replace(bias, [numClasses], init, rng);
    this.freeze(this.#frozen ? { except: "head" } : false);
  }

  freeze(options: { except: "head" } | false): void {
    this.#frozen = options !== false;
    for (const [name, v] of this.store.parameters()) v.trainable = !this.#frozen || this.isHead(name);
  }

  /** Parameters with their PyTorch names, in registration order. */
  namedParameters(): [string, tf.Variable][] {
    return this.store.parameters();
  }

  trainableVariables(): tf.Variable[] {
    return this.store.parameters().filter(([, v]) => v.trainable).map(([, v]) => v);
  }

  stateVariables(): tf.Variable[] {
    return this.store.specs.map((s) => this.store.get(s.name));
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** One backbone in the catalog: typed metadata plus the builder of its architecture. */
export interface CatalogEntry {
  /** The metadata at the default options (and `headClasses` outputs for `params`). */
  readonly meta: BackboneMeta;
  readonly build: NetBuilder;
  /** Classifier size `meta.params` is counted with (1000 for ImageNet; minis use 10). */
  readonly headClasses: number;
  /** The model's name in the paper's Table 4/5 (Fang et al. 2023), when it is listed there. */
  readonly paperName?: string;
  /** Options only this family takes (tinycnn's channels, widths, hidden); absent for most. */
  readonly family?: FamilyOptions;
  /** The stream random weights are drawn from; default `seeds.stream("init", id)`. */
  initStream?(seeds: SeedTree): Rng;
}

/** A family's own options: how they are checked, and what they change in the metadata. */
export interface FamilyOptions {
  /** A strict object schema with defaults; its output reaches the builder as `BuildOptions.family`. */
  readonly schema: z.ZodObject<z.ZodRawShape>;
  /**
   * The backbone plugin's generic options this family takes in place of weights, pooling and
   * inputSize (tinycnn: inputSize only, at least 4).
   */
  readonly pluginOptions: z.ZodRawShape;
  /** The metadata for these options and the parameter count of the model as built. */
  meta(options: unknown, params: number, base: BackboneMeta): BackboneMeta;
}

/** The ImageNet normalisation torchvision and timm use for these models. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/**
 * A pretrained catalog entry (torchvision's eval transforms and ImageNet normalisation unless
 * overridden). `params` counts the 1000-class ImageNet head, or for a `headLocal` net (CLIP's
 * towers) the tower alone.
 */
export function pretrained(
  m: {
    id: string; source: "torchvision" | "timm" | "openai" | "pytorch-fid"; upstreamName: string; params: number; imagenetTop1?: number;
    inputSize?: number; resizeSize?: number; interpolation?: BackboneMeta["interpolation"]; mean?: readonly number[]; std?: readonly number[];
  },
  build: NetBuilder,
  paperName?: string,
): CatalogEntry {
  const meta: BackboneMeta = {
    inputSize: 224, resizeSize: 256, interpolation: "bilinear", channels: 3, mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], ...m,
  };
  return { meta, build, headClasses: 1000, ...(paperName === undefined ? {} : { paperName }) };
}

/** A mini variant's catalog entry (10-class head). */
export function mini(id: string, params: number, build: NetBuilder, inputSize = 32): CatalogEntry {
  return { meta: miniMeta(id, params, inputSize), build, headClasses: 10 };
}

/** Metadata of a randomly initialised mini variant used by tests and CPU smoke runs. */
export function miniMeta(id: string, params: number, inputSize = 32): BackboneMeta {
  return {
    id, inputSize, channels: 3, mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD], interpolation: "bilinear",
    resizeSize: inputSize, params, source: "random-init", upstreamName: "none (xfer mini variant for tests)",
  };
}
