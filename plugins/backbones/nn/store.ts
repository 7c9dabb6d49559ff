/**
 * Parameter store shared by every backbone family. Parameters carry their PyTorch name and
 * PyTorch shape; the store keeps them in TensorFlow layout (conv OIHW -> HWIO, depthwise
 * [C,1,kh,kw] -> [kh,kw,C,1], linear [out,in] -> [in,out]) so that checkpoint import is a pure
 * renaming + transpose. A "dry" store records shapes without allocating, for parameter counts
 * of full-size models in tests.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../../core/rng.ts";
import { XferError } from "../../../core/errors.ts";

/** How a PyTorch tensor maps onto the TensorFlow one. */
export type Layout = "conv" | "depthwise" | "linear" | "plain" | "flat";

export type Init =
  | { readonly kind: "normal"; readonly std: number }
  | { readonly kind: "uniform"; readonly bound: number }
  /**
   * `rng.range(-bound, bound)`, i.e. -bound + 2 * bound * u: the same distribution as "uniform"
   * but rounded differently; tinycnn's checkpoints have always been drawn this way.
   */
  | { readonly kind: "range"; readonly bound: number }
  | { readonly kind: "const"; readonly value: number };

export interface ParamSpec {
  readonly name: string;
  readonly torchShape: readonly number[];
  readonly layout: Layout;
  /** Buffers (batch-norm running statistics) are loaded from checkpoints but never trained. */
  readonly buffer: boolean;
  /** Parameters xfer adds on top of the upstream model (GeM's p): absent from checkpoints. */
  readonly local: boolean;
  readonly init: Init;
}

export function tfShape(torchShape: readonly number[], layout: Layout): number[] {
  const s = torchShape;
  switch (layout) {
    case "conv": return [s[2], s[3], s[1], s[0]];
    case "depthwise": return [s[2], s[3], s[0], 1];
    case "linear": return [s[1], s[0]];
    case "flat": return [s.reduce((a, b) => a * b, 1)];
    case "plain": return [...s];
  }
}

/** The permutation taking the PyTorch array to the TensorFlow one (before any reshape). */
export function layoutPermutation(layout: Layout): number[] | null {
  switch (layout) {
    case "conv": return [2, 3, 1, 0];
    case "depthwise": return [2, 3, 0, 1];
    case "linear": return [1, 0];
    default: return null;
  }
}

/** Row-major transpose of a flat array. */
export function transposeArray(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const out = new Float32Array(data.length);
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) { inStrides[i] = acc; acc *= shape[i]; }
  const strideForOut = perm.map((p) => inStrides[p]);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * strideForOut[d];
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** PyTorch-layout data -> TensorFlow-layout data for one parameter. */
export function toTfLayout(data: Float32Array, torchShape: readonly number[], layout: Layout): Float32Array {
  const perm = layoutPermutation(layout);
  return perm ? transposeArray(data, torchShape, perm) : data;
}

/** TensorFlow-layout data -> PyTorch-layout data (for export). */
export function toTorchLayout(data: Float32Array, torchShape: readonly number[], layout: Layout): Float32Array {
  const perm = layoutPermutation(layout);
  if (!perm) return data;
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => { inverse[p] = i; });
  return transposeArray(data, tfShape(torchShape, layout), inverse);
}

let instanceCounter = 0;

export class ParamStore {
  readonly specs: ParamSpec[] = [];
  readonly #vars = new Map<string, tf.Variable>();
  readonly #derived = new Set<{ dispose(): void }>();
  readonly #prefix: string;

  /**
   * `rng`: stream for random initial values; null when a checkpoint overwrites every parameter
   * right after building (random inits are then zeros, saving the draws). `dry`: shapes only.
   */
  constructor(readonly rng: Rng | null, readonly dry = false) {
    this.#prefix = `xfer${instanceCounter++}`;
  }

  add(
    name: string,
    torchShape: readonly number[],
    layout: Layout,
    init: Init,
    flags: { buffer?: boolean; local?: boolean } = {},
  ): tf.Variable | null {
    if (this.specs.some((s) => s.name === name)) throw new XferError(`backbone parameter "${name}" registered twice`);
    const spec: ParamSpec = { name, torchShape: [...torchShape], layout, buffer: flags.buffer ?? false, local: flags.local ?? false, init };
    this.specs.push(spec);
    if (this.dry) return null;
    const variable = tf.tidy(() => tf.variable(tf.tensor(initialValues(spec, this.rng), tfShape(torchShape, layout)), !spec.buffer, `${this.#prefix}/${name}`));
    this.#vars.set(name, variable);
    return variable;
  }

  /** Re-initialise (or create with a new shape) parameter `name`; used by head resets. */
  replace(name: string, torchShape: readonly number[], init: Init, rng: Rng): tf.Variable {
    const index = this.specs.findIndex((s) => s.name === name);
    if (index < 0) throw new XferError(`backbone has no parameter "${name}"`);
    const old = this.specs[index];
    const spec: ParamSpec = { ...old, torchShape: [...torchShape], init };
    this.specs[index] = spec;
    const previous = this.#vars.get(name);
    const values = initialValues(spec, rng);
    const variable = tf.tidy(() => tf.variable(tf.tensor(values, tfShape(torchShape, old.layout)), previous?.trainable ?? true, `${this.#prefix}/${name}#${instanceCounter++}`));
    previous?.dispose();
    this.#vars.set(name, variable);
    return variable;
  }

  get(name: string): tf.Variable {
    const v = this.#vars.get(name);
    if (!v) throw new XferError(this.dry ? `backbone built in dry mode (shapes only) cannot run` : `backbone has no parameter "${name}"`);
    return v;
  }

  /** Parameters (not buffers), in registration order. */
  parameters(): [string, tf.Variable][] {
    return this.specs.filter((s) => !s.buffer).map((s) => [s.name, this.get(s.name)]);
  }

  /** Number of trainable-kind parameters (buffers excluded), as torch's `sum(p.numel())`. */
  countParameters(filter: (spec: ParamSpec) => boolean = () => true): number {
    return this.specs.filter((s) => !s.buffer && filter(s)).reduce((n, s) => n + s.torchShape.reduce((a, b) => a * b, 1), 0);
  }

  /** Tensors derived from the parameters (eval-time folded weights, nn/layers.ts): disposed with the store. */
  own(derived: { dispose(): void }): void {
    this.#derived.add(derived);
  }

  dispose(): void {
    for (const v of this.#vars.values()) v.dispose();
    this.#vars.clear();
    for (const d of this.#derived) d.dispose();
    this.#derived.clear();
  }
}

function initialValues(spec: ParamSpec, rng: Rng | null): Float32Array {
  const n = spec.torchShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const init = spec.init;
  if (init.kind === "const") {
    out.fill(init.value);
    return out;
  }
  if (!rng) return out;
  const r = rng;
  if (init.kind === "normal") for (let i = 0; i < n; i++) out[i] = r.normal() * init.std;
  else if (init.kind === "range") for (let i = 0; i < n; i++) out[i] = r.range(-init.bound, init.bound);
  else for (let i = 0; i < n; i++) out[i] = (2 * r.uniform() - 1) * init.bound;
  // Values are drawn in PyTorch order so that a seed means the same tensor in either layout.
  return toTfLayout(out, spec.torchShape, spec.layout);
}
