/** The splitter plugins' shared library: `defineSplitter` and the option fields of the holdout splitters. */
import { z } from "zod";
import type { DatasetIndex, SplitResult, Splitter } from "../../core/contracts.ts";
import { definePlugin, parseOptions, type Plugin } from "../../core/plugin.ts";

/** Option fields shared by the holdout splitters. */
export const holdoutSchema = {
  valFraction: z.number().min(0).max(1).default(0.2),
  testFraction: z.number().min(0).max(1).default(0),
};

/**
 * A splitter plugin from its options schema and a pure split function of (index, seed): options
 * are validated (errors name the splitter and the option). `build` is the same factory without a
 * run, for direct use.
 */
export function defineSplitter<S extends z.ZodType>(
  meta: { readonly name: string; readonly version: string; readonly description: string },
  schema: S,
  split: (index: DatasetIndex, seed: number, options: z.output<S>) => SplitResult,
): Plugin<"splitter"> & { build(options?: z.input<S>): Splitter } {
  const full = { kind: "splitter" as const, ...meta };
  const build = (options?: z.input<S>): Splitter => {
    const o = parseOptions(full, schema, options ?? {});
    return { split: (index, seed) => split(index, seed, o) };
  };
  return { ...definePlugin({ meta: full, create: (options) => build(options as z.input<S>) }), build };
}
