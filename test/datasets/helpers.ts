/** Shared helpers of the dataset tests: fixture paths, dataset creation, pixel comparisons. */
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Dataset, DatasetContext, Image, JsonObject } from "../../core/index.ts";
import { SeedTree } from "../../core/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { nodeDatasetContext } from "../../plugins/platform/node/index.ts";

export const FIXTURES = resolve(import.meta.dirname, "../../fixtures/datasets");

export async function open(fixture: string, plugin: string, options: JsonObject = {}, root = join(FIXTURES, fixture)): Promise<{ dataset: Dataset; ctx: DatasetContext }> {
  const dataset = await builtinRegistry().create("dataset", { name: plugin, options }, { seeds: new SeedTree(0) });
  return { dataset, ctx: nodeDatasetContext(root) };
}

/** A writable copy of a fixture, for tests that break it. */
export async function copyFixture(fixture: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `xfer-${fixture}-`));
  await cp(join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

/** A writable copy of a fixture changed by `edit`; `made` collects the copies for the test file to remove. */
export async function brokenCopy(fixture: string, edit: (root: string) => Promise<void>, made: string[]): Promise<string> {
  const root = await copyFixture(fixture);
  made.push(root);
  await edit(root);
  return root;
}

export async function editText(path: string, change: (text: string) => string): Promise<void> {
  await writeFile(path, change(await readFile(path, "utf8")));
}

export function meanAbsDiff(a: Uint8Array | Float32Array, b: Uint8Array | Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

export function maxAbsDiff(a: Uint8Array | Float32Array, b: Uint8Array | Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Mean of each channel. */
export function channelMeans(image: Image): number[] {
  const sums = new Array<number>(image.channels).fill(0);
  for (let i = 0; i < image.data.length; i++) sums[i % image.channels] += image.data[i];
  return sums.map((s) => s / (image.width * image.height));
}

/** Channel `c` of an HWC image. */
export function plane(image: Image, c: number): Uint8Array {
  return Uint8Array.from({ length: image.width * image.height }, (_, p) => image.data[p * image.channels + c]);
}
