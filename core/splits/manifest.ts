/**
 * Split manifests: what a split contains, small enough to commit and check in CI. Per split the
 * sample count, counts per class and the SHA-256 of its ordered id list joined by "\n"; plus a
 * digest of the whole index (ids and labels), so a relabelled sample shows even when no count moves.
 */
import { z } from "zod";
import type { DatasetIndex, JsonObject, SplitResult } from "../contracts.ts";
import { InputError } from "../errors.ts";
import { sha256Hex } from "../hash.ts";
import { formatZodIssues } from "../plugin.ts";
import { labelList } from "./common.ts";

export const SPLIT_MANIFEST_FORMAT = "xfer-split-manifest/1";

const jsonObject = z.record(z.string(), z.json());
const splitEntry = z.object({
  count: z.number().int().nonnegative(),
  perClass: z.record(z.string(), z.number().int().nonnegative()),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
const manifestSchema = z.object({
  format: z.literal(SPLIT_MANIFEST_FORMAT),
  dataset: z.object({ name: z.string().min(1), options: jsonObject }),
  splitter: z.object({ name: z.string().min(1), options: jsonObject }),
  seed: z.number().int().nonnegative(),
  index: z.object({ samples: z.number().int().nonnegative(), skipped: z.number().int().nonnegative(), sha256: z.string() }),
  splits: z.record(z.string(), splitEntry),
});

export type SplitManifestEntry = z.infer<typeof splitEntry>;
export interface SplitManifest {
  readonly format: typeof SPLIT_MANIFEST_FORMAT;
  readonly dataset: { readonly name: string; readonly options: JsonObject };
  readonly splitter: { readonly name: string; readonly options: JsonObject };
  readonly seed: number;
  readonly index: { readonly samples: number; readonly skipped: number; readonly sha256: string };
  readonly splits: Readonly<Record<string, SplitManifestEntry>>;
}

/** SHA-256 of the ids in order, joined by "\n". */
export function idListSha256(ids: readonly string[]): string {
  return sha256Hex(ids.join("\n"));
}

/** SHA-256 of the index's `id<TAB>labels` lines in index order (multilabel labels joined by ","). */
export function indexSha256(index: DatasetIndex): string {
  return sha256Hex(index.samples.map((s) => `${s.id}\t${labelList(s).join(",")}`).join("\n"));
}

export function buildSplitManifest(args: {
  dataset: { name: string; options?: JsonObject; classNames: readonly string[] };
  splitter: { name: string; options?: JsonObject };
  seed: number;
  index: DatasetIndex;
  split: SplitResult;
}): SplitManifest {
  const { index, split, dataset } = args;
  const byId = new Map(index.samples.map((s) => [s.id, s]));
  const entry = (name: string, ids: readonly string[]): SplitManifestEntry => {
    // Every class appears, zeros included, so a class that empties out shows in the diff.
    const perClass: Record<string, number> = Object.fromEntries(dataset.classNames.map((c) => [c, 0]));
    for (const id of ids) {
      const sample = byId.get(id);
      if (!sample) throw new InputError(`split "${name}"`, `id "${id}" is not in the dataset index`);
      for (const l of labelList(sample)) {
        const key = dataset.classNames[l] ?? String(l);
        perClass[key] = (perClass[key] ?? 0) + 1;
      }
    }
    return { count: ids.length, perClass, sha256: idListSha256(ids) };
  };
  const splits: Record<string, SplitManifestEntry> = { train: entry("train", split.train), val: entry("val", split.val) };
  if (split.test) splits.test = entry("test", split.test);
  return {
    format: SPLIT_MANIFEST_FORMAT,
    dataset: { name: dataset.name, options: dataset.options ?? {} },
    splitter: { name: args.splitter.name, options: args.splitter.options ?? {} },
    seed: args.seed,
    index: { samples: index.samples.length, skipped: index.skipped?.length ?? 0, sha256: indexSha256(index) },
    splits,
  };
}

/** Validates a parsed manifest file; `where` names the file in errors. */
export function parseSplitManifest(value: unknown, where: string): SplitManifest {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) throw new InputError(where, `not a split manifest (${SPLIT_MANIFEST_FORMAT}): ${formatZodIssues(parsed.error)}`);
  return parsed.data as SplitManifest;
}

/** Human-readable differences, `expected -> actual`; empty when the manifests agree. */
export function diffSplitManifests(expected: SplitManifest, actual: SplitManifest): string[] {
  const lines: string[] = [];
  const change = (what: string, a: unknown, b: unknown) => {
    if (a !== b) lines.push(`${what}: ${String(a)} -> ${String(b)}`);
  };
  change("index samples", expected.index.samples, actual.index.samples);
  change("index skipped", expected.index.skipped, actual.index.skipped);
  change("index ids+labels sha256", expected.index.sha256, actual.index.sha256);
  for (const name of new Set([...Object.keys(expected.splits), ...Object.keys(actual.splits)])) {
    const a = expected.splits[name];
    const b = actual.splits[name];
    if (!a || !b) {
      lines.push(`${name}: split ${a ? "missing now" : "new"}`);
      continue;
    }
    change(`${name} count`, a.count, b.count);
    for (const cls of new Set([...Object.keys(a.perClass), ...Object.keys(b.perClass)])) {
      change(`${name} class "${cls}"`, a.perClass[cls] ?? 0, b.perClass[cls] ?? 0);
    }
    change(`${name} id list sha256`, a.sha256, b.sha256);
  }
  return lines;
}
