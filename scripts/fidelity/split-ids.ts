/**
 * The exact sample ids and labels an xfer run trained, selected and was tested on, for the PyTorch
 * fidelity script (fashion_mnist_study.py). The run's dataset and splitter are rebuilt from its
 * spec.json and the split is redrawn with its split seed, as the trainer does; the split manifest
 * of the ids is then hashed and must equal the `data.splitManifestSha256` the run recorded in its
 * result.json, so the ids written are the run's own, not a look-alike.
 *
 *     npx tsx scripts/fidelity/split-ids.ts RUN_FOLDER > ids.json
 *
 * Output: { run, root, classNames, splits: { train|val|test: { ids, labels } } }.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  buildSplitManifest, builtinRegistry, contentHash, nodeDatasetContext, SeedTree, XferError, type JsonObject, type RunSpec, type Sample,
} from "../../plugins/index.ts";

async function readJson(file: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, "utf8").catch((e: Error) => {
    throw new XferError(`${file}: cannot be read (${e.message}); expected a published xfer run folder`);
  });
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new XferError(`${file}: not JSON (${(e as Error).message})`);
  }
}

async function splitIds(runDir: string): Promise<JsonObject> {
  const spec = (await readJson(join(runDir, "spec.json"))) as unknown as RunSpec;
  const result = await readJson(join(runDir, "result.json"));
  const data = result.data as { root?: unknown; splitManifestSha256?: unknown } | undefined;
  if (typeof data?.root !== "string" || typeof data.splitManifestSha256 !== "string") {
    throw new XferError(`${join(runDir, "result.json")}: field "data" must record the dataset root and splitManifestSha256`);
  }
  const registry = builtinRegistry();
  const splitSeed = spec.splitSeed ?? spec.seed;
  const ctx = { seeds: new SeedTree(spec.seed) };
  const dataset = await registry.create("dataset", spec.dataset, ctx);
  const index = await dataset.index(nodeDatasetContext(data.root));
  const split = (await registry.create("splitter", spec.splitter, ctx)).split(index, splitSeed);
  const classNames = index.classNames ?? dataset.meta.classNames;
  const manifest = buildSplitManifest({
    dataset: { name: spec.dataset.name, options: spec.dataset.options, classNames },
    splitter: { name: spec.splitter.name, options: spec.splitter.options },
    seed: splitSeed,
    index,
    split,
  });
  const sha = contentHash(manifest as unknown as JsonObject);
  if (sha !== data.splitManifestSha256) {
    throw new XferError(`${runDir}: the split redrawn from spec.json has manifest sha256 ${sha}, the run recorded ${data.splitManifestSha256}; the data under ${data.root} or the splitter changed since the run`);
  }
  const byId = new Map<string, Sample>(index.samples.map((s) => [s.id, s]));
  const part = (ids: readonly string[]) => ({ ids: [...ids], labels: ids.map((id) => byId.get(id)!.label as number) });
  return {
    run: String(result.hash),
    root: data.root,
    classNames: [...classNames],
    splits: { train: part(split.train), val: part(split.val), ...(split.test ? { test: part(split.test) } : {}) },
  };
}

const [runDir, ...rest] = process.argv.slice(2);
if (runDir === undefined || rest.length > 0) {
  process.stderr.write("usage: npx tsx scripts/fidelity/split-ids.ts RUN_FOLDER > ids.json\n");
  process.exit(2);
}
try {
  process.stdout.write(`${JSON.stringify(await splitIds(runDir))}\n`);
} catch (e) {
  process.stderr.write(`split-ids: ${(e as Error).message}\n`);
  process.exit(1);
}
