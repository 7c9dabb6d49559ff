/**
 * Node script: the study's transfer-trends report from a finished (or partial) run directory.
 *
 *   npx tsx recipes/fashion-mnist-transfer/report.ts [--out runs] [--json FILE]
 *
 * reads <out>/fashion-mnist-transfer (the `--out` given to `xfer run`), prints the markdown report
 * and, with --json, writes the numbers. Parameter counts come from building each model.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { SeedTree, XferError, type PluginRef, type StoredRun } from "../../core/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { FsRunStore } from "../../plugins/platform/node/run-store.ts";
import { selectBackend } from "../../plugins/backends/index.ts";
import recipe, { MODELS } from "./recipe.ts";
import { formatTrends, trendsReport } from "./trends.ts";

/** Parameter count of each model with Fashion-MNIST's 10-class head (on the current tfjs backend). */
export async function modelParams(): Promise<Map<string, number>> {
  const registry = builtinRegistry();
  const out = new Map<string, number>();
  for (const model of MODELS) {
    const backbone = await registry.create("backbone", model.backbone as unknown as PluginRef, { seeds: new SeedTree(0), numClasses: 10 });
    out.set(model.label, backbone.meta.params);
    backbone.dispose();
  }
  return out;
}

/** All finished runs under `<out>/<recipe>`. */
export async function storedRuns(out: string): Promise<StoredRun[]> {
  const store = new FsRunStore(resolve(out, recipe.name));
  const runs = await Promise.all((await store.list()).map(async (hash) => (await store.get(hash))!));
  if (runs.length === 0) throw new XferError(`no finished runs in ${store.dir}; run \`xfer run ${recipe.name} --out ${out}\` first`);
  return runs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: "string", default: "runs" }, json: { type: "string" } } });
  await selectBackend({ prefer: "cpu" });
  const params = await modelParams();
  const report = trendsReport(await storedRuns(values.out!), (model) => params.get(model)!);
  process.stdout.write(formatTrends(report));
  if (values.json !== undefined) await writeFile(values.json, JSON.stringify(report, null, 2) + "\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
