/**
 * tfjs weights directories: `model.json` (a tfjs weights manifest plus xfer's backbone record)
 * and one shard `weights-<sha256 prefix>.bin` (float32, TensorFlow layouts, loadable with
 * tf.io.loadWeights). Written by `convertWeights` (the `xfer weights convert` command); read back
 * by `createBackbone`.
 *
 * Writing never touches a file it does not own: the directory must be new, empty, or an earlier
 * conversion (only `model.json` and the shards it names). The shard is written first under its
 * content name, then `model.json` replaces the old one atomically (the commit point), then the
 * earlier conversion's shards are removed; a kill at any moment leaves a manifest whose shard is
 * complete.
 *
 * Reading trusts nothing: the manifest is validated, every shard it names must resolve (after
 * symlinks) inside the directory, and shard sizes must equal what the manifest declares before
 * any is read.
 */
import { createHash } from "node:crypto";
import { mkdir, open, readdir, readFile, realpath, rename, rm, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { z } from "zod";
import { InputError } from "../../../core/errors.ts";
import { formatZodIssues } from "../../../core/plugin.ts";
import { type ParamStore, tfShape, toTorchLayout } from "../nn/store.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";

const FORMAT = "xfer-backbone-weights";
const MANIFEST = "model.json";
/** A manifest for the largest catalog backbone is well under 1 MB. */
const MAX_MANIFEST_BYTES = 16 * 2 ** 20;
/** Temp files this module writes (and may remove when a kill left them behind). */
const TEMP_PREFIX = ".xfer-tmp-";

const dim = z.number().int().nonnegative();
/** A shard path: relative, `/`-separated, no `.`/`..` segments; realpath confirms it stays inside. */
const shardPath = z
  .string()
  .min(1)
  .refine((p) => !isAbsolute(p) && !p.includes("\\") && p.split("/").every((s) => s !== "" && s !== "." && s !== ".."), {
    message: "must be a relative path inside the weights directory (no '..', no absolute path)",
  });

const ManifestSchema = z.object({
  format: z.literal(FORMAT),
  weightsManifest: z
    .array(z.object({ paths: z.array(shardPath).min(1), weights: z.array(z.object({ name: z.string().min(1), shape: z.array(dim), dtype: z.literal("float32") })) }))
    .min(1),
  xfer: z.object({
    format: z.literal(FORMAT),
    id: z.string().min(1),
    /** PyTorch shape and layout of each tensor, to map back to checkpoint names and layouts. */
    tensors: z.record(z.string(), z.object({ torchShape: z.array(dim), layout: z.enum(["conv", "depthwise", "linear", "plain", "flat"]) })),
  }),
});
type Manifest = z.infer<typeof ManifestSchema>;

async function readManifest(dir: string): Promise<Manifest> {
  const where = join(dir, MANIFEST);
  let text: string;
  try {
    const info = await stat(where);
    if (!info.isFile()) throw new InputError(where, "is not a file");
    if (info.size > MAX_MANIFEST_BYTES) throw new InputError(where, `is ${info.size} bytes; a weights manifest is at most ${MAX_MANIFEST_BYTES}`);
    text = await readFile(where, "utf8");
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(where, `cannot read a tfjs weights directory: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(where, `not JSON: ${(e as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) throw new InputError(where, `not an xfer backbone weights directory (written by \`xfer weights convert\`): ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

/** A shard's real path, refused unless it is a regular file inside the directory's real path. */
async function resolveShard(dir: string, realDir: string, path: string, where: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(join(dir, path));
  } catch (e) {
    throw new InputError(where, `weights file "${path}" cannot be opened: ${(e as Error).message}`);
  }
  const rel = relative(realDir, real);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new InputError(where, `weights file "${path}" resolves to ${real}, outside the weights directory ${realDir}`);
  }
  if (!(await stat(real)).isFile()) throw new InputError(where, `weights file "${path}" is not a regular file`);
  return real;
}

export async function readTfjsWeights(dir: string): Promise<TensorMap> {
  const where = join(dir, MANIFEST);
  const manifest = await readManifest(dir);
  const realDir = await realpath(dir);
  const records = manifest.xfer.tensors;
  const named = new Set<string>();
  // every shard is located and sized against the manifest before any is read
  const groups: { files: string[]; bytes: number }[] = [];
  for (const group of manifest.weightsManifest) {
    let bytes = 0;
    for (const w of group.weights) {
      if (named.has(w.name)) throw new InputError(where, `tensor "${w.name}" is listed twice`);
      named.add(w.name);
      const rec = Object.hasOwn(records, w.name) ? records[w.name] : undefined;
      if (!rec) throw new InputError(where, `tensor "${w.name}" has no xfer layout record`);
      if (tfShape(rec.torchShape, rec.layout).join() !== w.shape.join()) throw new InputError(where, `tensor "${w.name}": manifest shape disagrees with its layout record`);
      bytes += 4 * w.shape.reduce((a, b) => a * b, 1);
    }
    const files = await Promise.all(group.paths.map((p) => resolveShard(dir, realDir, p, where)));
    const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
    const onDisk = sizes.reduce((a, b) => a + b, 0);
    if (onDisk !== bytes) throw new InputError(where, `weights files ${group.paths.map((p) => `"${p}"`).join(", ")} hold ${onDisk} bytes; the manifest's tensors need ${bytes}`);
    groups.push({ files, bytes });
  }
  const unlisted = Object.keys(records).filter((name) => !named.has(name));
  if (unlisted.length > 0) throw new InputError(where, `layout record names tensors the manifest does not list: ${unlisted.slice(0, 5).map((n) => `"${n}"`).join(", ")}`);
  const out: TensorMap = new Map();
  for (const [g, group] of manifest.weightsManifest.entries()) {
    // a fresh buffer, so the float32 view is aligned whatever the shard sizes
    const all = new Float32Array(groups[g].bytes / 4);
    const bytes = new Uint8Array(all.buffer);
    let at = 0;
    for (const f of groups[g].files) {
      const part = await readFile(f);
      if (at + part.length > bytes.length) throw new InputError(where, `weights file ${f} grew while being read`);
      bytes.set(part, at);
      at += part.length;
    }
    if (at !== bytes.length) throw new InputError(where, `weights files of group ${g} shrank while being read`);
    let o = 0;
    for (const w of group.weights) {
      const rec = records[w.name];
      const n = w.shape.reduce((a, b) => a * b, 1);
      out.set(w.name, { shape: rec.torchShape, data: toTorchLayout(all.slice(o, o + n), rec.torchShape, rec.layout) });
      o += n;
    }
  }
  return out;
}

/** Writes `bytes` to `dir/name` through a temp file, fsynced, renamed over, directory fsynced. */
async function writeAtomic(dir: string, name: string, bytes: Uint8Array | string): Promise<void> {
  const temp = join(dir, `${TEMP_PREFIX}${process.pid}-${name}`);
  const file = await open(temp, "w");
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, join(dir, name));
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The shards an earlier conversion in `dir` owns, or [] for a new or empty directory; any other
 * content is refused, so a conversion never overwrites or deletes a file it did not write.
 */
async function ownedShards(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new InputError(dir, `cannot use as the output directory: ${(e as Error).message}`);
  }
  // temp files carry this module's prefix: what a killed conversion left behind
  const temps = names.filter((n) => n.startsWith(TEMP_PREFIX));
  const removeTemps = () => Promise.all(temps.map((t) => rm(join(dir, t), { force: true })));
  const kept = names.filter((n) => !n.startsWith(TEMP_PREFIX));
  if (kept.length === 0) {
    await removeTemps();
    return [];
  }
  const refuse = (why: string): never => {
    throw new InputError(dir, `output directory is not empty and ${why}; nothing was written (choose a new or empty directory)`);
  };
  if (!kept.includes(MANIFEST)) refuse(`holds ${kept.slice(0, 3).map((n) => `"${n}"`).join(", ")}, not an earlier \`xfer weights convert\` output`);
  let manifest: Manifest;
  try {
    manifest = await readManifest(dir);
  } catch (e) {
    return refuse(`its model.json is not an earlier \`xfer weights convert\` output (${(e as Error).message})`);
  }
  const shards = manifest.weightsManifest.flatMap((g) => g.paths);
  const others = kept.filter((n) => n !== MANIFEST && !shards.includes(n));
  if (others.length > 0) refuse(`holds files an earlier conversion did not write: ${others.slice(0, 3).map((n) => `"${n}"`).join(", ")}`);
  await removeTemps();
  return shards;
}

export async function writeTfjsWeights(dir: string, id: string, store: ParamStore): Promise<void> {
  const previous = await ownedShards(dir);
  const weights: { name: string; shape: number[]; dtype: "float32" }[] = [];
  const record: Manifest["xfer"] = { format: FORMAT, id, tensors: {} };
  const chunks: Float32Array[] = [];
  // xfer-local parameters (GeM's p, CLIP's head) are never part of a checkpoint: strict loading refuses them.
  for (const spec of store.specs.filter((s) => !s.local)) {
    const data = Float32Array.from(store.get(spec.name).dataSync() as Float32Array);
    weights.push({ name: spec.name, shape: tfShape(spec.torchShape, spec.layout), dtype: "float32" });
    record.tensors[spec.name] = { torchShape: [...spec.torchShape], layout: spec.layout };
    chunks.push(data);
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const bin = new Float32Array(total);
  let o = 0;
  for (const c of chunks) { bin.set(c, o); o += c.length; }
  const bytes = new Uint8Array(bin.buffer);
  const shard = `weights-${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}.bin`;
  const manifest: Manifest = { format: FORMAT, weightsManifest: [{ paths: [shard], weights }], xfer: record };
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new InputError(dir, `cannot create the output directory: ${(e as Error).message}`);
  }
  await writeAtomic(dir, shard, bytes);
  await writeAtomic(dir, MANIFEST, `${JSON.stringify({ ...manifest, generatedBy: "xfer" }, null, 1)}\n`);
  for (const old of previous) if (old !== shard) await rm(join(dir, old), { force: true });
}
