/**
 * `concat`: several datasets with the same classes as one (APTOS 2019 + the 2015 DR data of the
 * APTOS interventions). Options are dataset references; each part reads its own data root (config
 * `dataRoots[<part>]`) with its own decode defaults. Sample ids become `<prefix>/<id>` (prefix: the
 * part's name unless given), so ids stay distinct; a part's samples form the predefined split
 * `<prefix>`, its own predefined splits `<prefix>/<split>`. Parts must agree on task and classes
 * (names, in order), else the error names both.
 */
import { z } from "zod";
import type { Dataset, DatasetContext, DatasetIndex, JsonObject, Sample } from "../../../core/contracts.ts";
import { InputError, XferError } from "../../../core/errors.ts";
import { definePlugin, parseOptions, type Plugin } from "../../../core/plugin.ts";

const partShape = z.strictObject({
  name: z.string().min(1),
  options: z.record(z.string(), z.unknown()).default({}),
  /** Id prefix of the part's samples (default: its name); no "/" so an id names its part unambiguously. */
  prefix: z.string().min(1).regex(/^[^/]+$/, "expected a prefix without \"/\"").optional(),
});

interface Part {
  readonly prefix: string;
  readonly dataset: Dataset;
}

/** The `concat` plugin over the dataset plugins it may combine (the built-in ones). */
export function concatDataset(known: readonly Plugin<"dataset">[]): Plugin<"dataset"> {
  const byName = new Map(known.map((plugin) => [plugin.meta.name, plugin]));
  const meta = {
    kind: "dataset" as const, name: "concat", version: "1.0.0",
    description: "several datasets with the same classes as one (ids <prefix>/<id>; each part at its own data root)",
  };
  const schema = z.strictObject({ parts: z.array(partShape).min(2) });
  return definePlugin({
    meta,
    create(raw, creating): Dataset {
      const options = parseOptions(meta, schema, raw);
      const parts: Part[] = options.parts.map((ref, i) => {
        const part = byName.get(ref.name);
        if (!part) throw new XferError(`dataset "concat" option parts.${i}.name: no dataset "${ref.name}"; expected one of ${[...byName.keys()].sort().join(", ")}`);
        const dataset = part.create(ref.options as JsonObject, creating) as Dataset;
        if (dataset instanceof Promise) throw new XferError(`dataset "concat" option parts.${i}: dataset "${ref.name}" is created asynchronously; concat takes datasets created at once`);
        return { prefix: ref.prefix ?? ref.name, dataset };
      });
      const prefixes = new Set<string>();
      for (const [i, part] of parts.entries()) {
        if (prefixes.has(part.prefix)) throw new XferError(`dataset "concat" option parts.${i}: prefix "${part.prefix}" is taken by an earlier part; expected distinct prefixes (set parts.${i}.prefix)`);
        prefixes.add(part.prefix);
      }
      const [first, ...rest] = parts;
      const where = (part: Part) => `part "${part.prefix}" (dataset "${part.dataset.meta.name}")`;
      for (const part of rest) {
        if (part.dataset.meta.task !== first.dataset.meta.task) {
          throw new XferError(`dataset "concat": ${where(part)} is a ${part.dataset.meta.task} task, ${where(first)} ${first.dataset.meta.task}; expected one task`);
        }
      }
      const partOf = (sample: Sample): { part: Part; id: string } => {
        const slash = sample.id.indexOf("/");
        const part = parts.find((p) => p.prefix === sample.id.slice(0, slash));
        if (slash < 0 || !part) throw new InputError(`sample "${sample.id}"`, `names no part of this concat; expected an id <prefix>/<id> with prefix ${parts.map((p) => p.prefix).join(" or ")}`);
        return { part, id: sample.id.slice(slash + 1) };
      };
      const contextOf = (ctx: DatasetContext, part: Part): DatasetContext => {
        if (!ctx.contextOf) throw new XferError(`dataset "concat" reads each part at its own root; this host gives datasets no other contexts (DatasetContext.contextOf)`);
        return ctx.contextOf(part.dataset.meta);
      };
      return {
        meta: { ...first.dataset.meta, name: "concat", nativeFormat: `the parts' own formats: ${parts.map((p) => `${p.prefix}: ${p.dataset.meta.nativeFormat}`).join("; ")}` },
        async index(ctx) {
          const indexes = await Promise.all(parts.map((part) => part.dataset.index(contextOf(ctx, part))));
          const classesOf = (k: number) => indexes[k].classNames ?? parts[k].dataset.meta.classNames;
          for (let k = 1; k < parts.length; k++) {
            if (classesOf(k).join("\u0000") !== classesOf(0).join("\u0000")) {
              throw new InputError(`dataset "concat"`, `${where(parts[k])} has classes ${classesOf(k).join(", ")}; ${where(first)} has ${classesOf(0).join(", ")}; expected the same classes in the same order`);
            }
          }
          const samples: Sample[] = [];
          const predefinedSplits: Record<string, string[]> = {};
          const skipped: { id: string; reason: string }[] = [];
          for (const [k, index] of indexes.entries()) {
            const { prefix } = parts[k];
            const id = (raw: string) => `${prefix}/${raw}`;
            for (const sample of index.samples) {
              samples.push({ ...sample, id: id(sample.id), ...(sample.group === undefined ? {} : { group: id(sample.group) }) });
            }
            predefinedSplits[prefix] = index.samples.map((s) => id(s.id));
            for (const [name, ids] of Object.entries(index.predefinedSplits ?? {})) predefinedSplits[`${prefix}/${name}`] = ids.map(id);
            for (const s of index.skipped ?? []) skipped.push({ id: id(s.id), reason: s.reason });
          }
          return { samples, predefinedSplits, classNames: [...classesOf(0)], skipped } satisfies DatasetIndex;
        },
        load(sample, ctx, decode) {
          const { part, id } = partOf(sample);
          return part.dataset.load({ ...sample, id }, contextOf(ctx, part), decode);
        },
      };
    },
  });
}
