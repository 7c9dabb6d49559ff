/**
 * Shared parts of the optimizer plugins: the weight-decay selection rule and per-variable state
 * that is kept across steps and released by `dispose()`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { z } from "zod";
import type { JsonObject, NamedTensor, Optimizer, OptimizerState } from "../../core/contracts.ts";
import { definePlugin, parseOptions, type Plugin, type PluginContext } from "../../core/plugin.ts";

/**
 * Which variables receive weight decay. "all" is the reference code's behaviour (PyTorch's default
 * parameter group). "exclude-norm-bias" skips biases and norm parameters (see `decays`).
 */
export const decayScopeSchema = z.enum(["all", "exclude-norm-bias"]).default("all");
export type DecayScope = z.infer<typeof decayScopeSchema>;

/**
 * Whether a variable's name marks it as a bias or a normalisation parameter. The name is split
 * into segments at `/` and `.` (tfjs-layers `conv1/bias`, the backbones' PyTorch names
 * `prefix/layer1.0.bn1.weight`) after dropping a `:N` or `#N` suffix. It matches when the last
 * segment is `bias`, `beta` or `gamma` (optionally `_N`), or any segment contains `batchnorm`,
 * `layernorm`, `groupnorm`, `instancenorm` or `rmsnorm` (an `_` allowed before `norm`), or has an
 * `_`-separated token `bn`, `ln`, `gn` or `norm` with optional digits (`bn1`, `norm2`, `ln_1`).
 * Case-insensitive.
 */
export function isNormOrBias(name: string): boolean {
  const segments = name.replace(/[:#]\d+$/, "").toLowerCase().split(/[/.]/);
  const last = segments[segments.length - 1] ?? "";
  if (/^(bias|beta|gamma)(_\d+)?$/.test(last)) return true;
  return segments.some((s) => /(batch|layer|group|instance|rms)_?norm/.test(s)
    || s.split("_").some((token) => /^(bn|ln|gn|norm)\d*$/.test(token)));
}

/**
 * "exclude-norm-bias" skips variables `isNormOrBias` names, and every variable of rank <= 1
 * (timm's rule), which catches norm layers known only by an index, such as torchvision's
 * MobileNet `features.0.1.weight`.
 */
export function decays(scope: DecayScope, variable: tf.Variable): boolean {
  return scope === "all" || !(variable.rank <= 1 || isNormOrBias(variable.name));
}

/** Named per-variable buffers (momentum, moments), created lazily, disposed together. */
export class SlotStore {
  readonly #slots = new Map<string, tf.Tensor>();

  get(variable: tf.Variable, slot: string): tf.Tensor | undefined {
    return this.#slots.get(`${slot}\u0000${variable.id}`);
  }

  /** Replaces the slot's tensor (keeping it out of the enclosing tidy) and frees the old one. */
  set(variable: tf.Variable, slot: string, value: tf.Tensor): void {
    const key = `${slot}\u0000${variable.id}`;
    const old = this.#slots.get(key);
    this.#slots.set(key, tf.keep(value));
    if (old && old !== value) old.dispose();
  }

  dispose(): void {
    for (const t of this.#slots.values()) t.dispose();
    this.#slots.clear();
  }

  /**
   * The buffers of `variables` as tensors `<slot>/<names[i]>` (float32 copies). Every buffer must
   * belong to one of `variables`: one left out would be lost on resume.
   */
  save(where: string, slotNames: readonly string[], variables: readonly tf.Variable[], names: readonly string[]): NamedTensor[] {
    checkNames(where, variables, names);
    const out: NamedTensor[] = [];
    variables.forEach((v, i) => {
      for (const slot of slotNames) {
        const t = this.get(v, slot);
        if (t) out.push({ name: `${slot}/${names[i]}`, shape: [...t.shape], data: Float32Array.from(t.dataSync()) });
      }
    });
    if (out.length !== this.#slots.size) {
      throw new RangeError(`${where}: holds ${this.#slots.size} buffers but only ${out.length} belong to the ${variables.length} variables given to saveState`);
    }
    return out;
  }

  /** Replaces every buffer with the saved ones; each must name a known slot and variable, and have its shape. */
  load(where: string, slotNames: readonly string[], variables: readonly tf.Variable[], names: readonly string[], tensors: readonly NamedTensor[]): void {
    checkNames(where, variables, names);
    const index = new Map(names.map((n, i) => [n, i]));
    const checked = tensors.map((t) => {
      const cut = t.name.indexOf("/");
      const [slot, name] = [t.name.slice(0, cut), t.name.slice(cut + 1)];
      if (cut < 0 || !slotNames.includes(slot)) throw new RangeError(`${where}: saved state tensor "${t.name}" is no slot of this optimizer (slots: ${slotNames.join(", ") || "none"})`);
      const i = index.get(name);
      if (i === undefined) throw new RangeError(`${where}: saved slot "${slot}" of variable "${name}", which is not among the ${names.length} variables being restored`);
      const v = variables[i];
      if (t.shape.join("x") !== v.shape.join("x") || t.data.length !== v.size) {
        throw new RangeError(`${where}: saved slot "${slot}" of variable "${name}" has shape [${t.shape.join(", ")}] (${t.data.length} values), the variable has [${v.shape.join(", ")}]`);
      }
      return { slot, v, t };
    });
    this.dispose();
    for (const { slot, v, t } of checked) this.set(v, slot, tf.tensor(t.data, [...t.shape], "float32"));
  }
}

function checkNames(where: string, variables: readonly tf.Variable[], names: readonly string[]): void {
  if (variables.length !== names.length) throw new RangeError(`${where}: ${variables.length} variables but ${names.length} names`);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new RangeError(`${where}: variable name "${n}" given twice`);
    seen.add(n);
  }
}

/** The saved counters, exactly `expected` (each a non-negative integer): a state of another optimizer is refused. */
export function loadCounters(where: string, state: OptimizerState, expected: readonly string[]): Record<string, number> {
  const keys = Object.keys(state.scalars);
  const unknown = keys.filter((k) => !expected.includes(k));
  const missing = expected.filter((k) => !keys.includes(k));
  if (unknown.length || missing.length) {
    throw new RangeError(`${where}: saved counters [${keys.join(", ")}] are not this optimizer's [${expected.join(", ")}]`);
  }
  for (const k of expected) {
    const value = state.scalars[k];
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${where}: saved counter "${k}" must be a non-negative integer, got ${value}`);
  }
  return { ...state.scalars };
}

export function checkStepArgs(where: string, variables: readonly tf.Variable[], gradients: readonly tf.Tensor[], lr: number): void {
  if (variables.length !== gradients.length) {
    throw new RangeError(`${where}: ${variables.length} variables but ${gradients.length} gradients`);
  }
  if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`${where}: learning rate must be finite and >= 0, got ${lr}`);
}

/** A float32 scalar, the way PyTorch casts a Python float `alpha`/`value` for float32 kernels. */
export function f32(x: number): tf.Scalar {
  return tf.scalar(x, "float32");
}

/**
 * An optimizer plugin from its options schema and a factory of the Optimizer: options are
 * validated (errors name the optimizer and the option), and the plugin takes the run's lr and
 * weight decay unless the recipe sets them itself, so one grid axis drives them. `build` is the
 * same factory without a run, for direct use.
 */
export function defineOptimizer<S extends z.ZodType>(
  meta: { readonly name: string; readonly version: string; readonly description: string },
  schema: S,
  create: (options: z.output<S>) => Optimizer,
): Plugin<"optimizer"> & { build(options?: z.input<S>): Optimizer } {
  const full = { kind: "optimizer" as const, ...meta };
  const build = (options?: z.input<S>): Optimizer => create(parseOptions(full, schema, options ?? {}));
  const withRun = (options: JsonObject, ctx: PluginContext) => ({ lr: ctx.training?.lr, weightDecay: ctx.training?.weightDecay, ...options }) as z.input<S>;
  const plugin = definePlugin({
    meta: full,
    create: (options, ctx) => build(withRun(options, ctx)),
    validate: (options, ctx) => void parseOptions(full, schema, withRun(options, ctx)),
  });
  return { ...plugin, build };
}
