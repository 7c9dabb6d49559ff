/** A splitter plugin is a zod schema for its options plus a pure split function of (index, seed). */
import type { z } from "zod";
import type { DatasetIndex, SplitResult, Splitter } from "../../core/contracts.ts";
import { definePlugin, parseOptions, type Plugin } from "../../core/plugin.ts";

export function splitterPlugin<S extends z.ZodType>(
  meta: { name: string; version: string; description: string },
  schema: S,
  split: (index: DatasetIndex, seed: number, options: z.output<S>) => SplitResult,
): Plugin<"splitter"> {
  const full = { kind: "splitter" as const, ...meta };
  return definePlugin({
    meta: full,
    create(options): Splitter {
      const o = parseOptions(full, schema, options);
      return { split: (index, seed) => split(index, seed, o) };
    },
  });
}
