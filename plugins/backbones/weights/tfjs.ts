/**
 * tfjs weights directories: `model.json` (a tfjs weights manifest plus xfer's backbone record)
 * and `weights.bin` (float32, TensorFlow layouts, loadable with tf.io.loadWeights). Written by
 * `convertWeights` (the `xfer weights convert` command); read back by `createBackbone`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../../../core/errors.ts";
import { type Layout, type ParamStore, tfShape, toTorchLayout } from "../nn/store.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";

interface XferRecord {
  readonly format: "xfer-backbone-weights";
  readonly id: string;
  /** PyTorch shape and layout of each tensor, to map back to checkpoint names and layouts. */
  readonly tensors: Record<string, { torchShape: number[]; layout: Layout }>;
}

export async function writeTfjsWeights(dir: string, id: string, store: ParamStore): Promise<void> {
  const weights: { name: string; shape: number[]; dtype: "float32" }[] = [];
  const record: XferRecord = { format: "xfer-backbone-weights", id, tensors: {} };
  const chunks: Float32Array[] = [];
  for (const spec of store.specs) {
    const data = Float32Array.from(store.get(spec.name).dataSync() as Float32Array);
    weights.push({ name: spec.name, shape: tfShape(spec.torchShape, spec.layout), dtype: "float32" });
    record.tensors[spec.name] = { torchShape: [...spec.torchShape], layout: spec.layout };
    chunks.push(data);
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const bin = new Float32Array(total);
  let o = 0;
  for (const c of chunks) { bin.set(c, o); o += c.length; }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "weights.bin"), new Uint8Array(bin.buffer));
  await writeFile(join(dir, "model.json"), `${JSON.stringify({ format: "xfer-backbone-weights", generatedBy: "xfer", weightsManifest: [{ paths: ["weights.bin"], weights }], xfer: record }, null, 1)}\n`);
}

export async function readTfjsWeights(dir: string): Promise<TensorMap> {
  const where = join(dir, "model.json");
  let json: { weightsManifest?: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[]; xfer?: XferRecord };
  try {
    json = JSON.parse(await readFile(where, "utf8"));
  } catch (e) {
    throw new InputError(where, `cannot read a tfjs weights directory: ${(e as Error).message}`);
  }
  if (json.xfer?.format !== "xfer-backbone-weights" || !Array.isArray(json.weightsManifest)) {
    throw new InputError(where, "not an xfer backbone weights directory (written by `xfer weights convert`)");
  }
  const out: TensorMap = new Map();
  for (const group of json.weightsManifest) {
    const bytes = new Uint8Array(Buffer.concat(await Promise.all(group.paths.map((p) => readFile(join(dir, p))))));
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    let o = 0;
    for (const w of group.weights) {
      if (w.dtype !== "float32") throw new InputError(where, `tensor "${w.name}": dtype ${w.dtype} unsupported`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (o + n > all.length) throw new InputError(where, `tensor "${w.name}": weights data is truncated`);
      const rec = json.xfer.tensors[w.name];
      if (!rec) throw new InputError(where, `tensor "${w.name}" has no xfer layout record`);
      if (tfShape(rec.torchShape, rec.layout).join() !== w.shape.join()) throw new InputError(where, `tensor "${w.name}": manifest shape disagrees with its layout record`);
      out.set(w.name, { shape: rec.torchShape, data: toTorchLayout(all.slice(o, o + n), rec.torchShape, rec.layout) });
      o += n;
    }
  }
  return out;
}

