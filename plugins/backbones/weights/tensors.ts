/**
 * Checkpoint tensors (PyTorch names, PyTorch layouts, float32) and their strict import into a
 * backbone's ParamStore: every missing, extra or mis-shaped tensor is reported by name with both
 * shapes, and nothing is assigned unless everything matches.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../../core/errors.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";
import { type ParamStore, tfShape, toTfLayout, toTorchLayout } from "../nn/store.ts";


/** Bookkeeping tensors torch writes that carry no model state. */
const IGNORED = /(^|\.)num_batches_tracked$/;

export function loadIntoStore(store: ParamStore, tensors: TensorMap, where: string): void {
  const expected = store.specs.filter((s) => !s.local);
  const problems: string[] = [];
  const fmt = (shape: readonly number[]) => `[${shape.join(", ")}]`;
  for (const spec of expected) {
    const t = tensors.get(spec.name);
    if (!t) problems.push(`missing tensor "${spec.name}" (model expects ${fmt(spec.torchShape)})`);
    else if (fmt(t.shape) !== fmt(spec.torchShape)) {
      problems.push(`shape mismatch for "${spec.name}": checkpoint ${fmt(t.shape)}, model ${fmt(spec.torchShape)}`);
    }
  }
  const known = new Set(expected.map((s) => s.name));
  for (const name of tensors.keys()) {
    if (!known.has(name) && !IGNORED.test(name)) problems.push(`unexpected tensor "${name}" ${fmt(tensors.get(name)!.shape)}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 20).join("; ");
    throw new InputError(where, `checkpoint does not match the model, nothing was loaded: ${shown}${problems.length > 20 ? `; ... ${problems.length - 20} more` : ""}`);
  }
  for (const spec of expected) {
    const t = tensors.get(spec.name)!;
    const value = tf.tensor(toTfLayout(t.data, spec.torchShape, spec.layout), tfShape(spec.torchShape, spec.layout));
    store.get(spec.name).assign(value);
    value.dispose();
  }
}

/** The store's state (parameters and buffers) in PyTorch names and layouts. */
export function exportStore(store: ParamStore): TensorMap {
  const out: TensorMap = new Map();
  for (const spec of store.specs) {
    const data = store.get(spec.name).dataSync() as Float32Array;
    out.set(spec.name, { shape: spec.torchShape, data: toTorchLayout(Float32Array.from(data), spec.torchShape, spec.layout) });
  }
  return out;
}
