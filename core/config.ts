/**
 * The user's configuration, validated. Core takes an already-validated object; finding and
 * reading config files (cosmiconfig) is the Node CLI's job.
 */
import { z } from "zod";
import { InputError } from "./errors.ts";
import { formatZodIssues } from "./plugin.ts";

export const configSchema = z.strictObject({
  /** Dataset name -> directory holding the dataset as distributed. */
  dataRoots: z.record(z.string(), z.string().min(1)).default({}),
  /**
   * Directories outside every dataset root that a dataset's files may name or link into (a split
   * file kept elsewhere, images linked in from another disk). Anything else a CSV, annotation or
   * option names must resolve inside the dataset's root (docs/datasets.md, "Paths").
   */
  allowedDataDirs: z.array(z.string().min(1)).default([]),
  /**
   * Backbone id -> its pretrained checkpoint (.safetensors, torchvision .pth, or a converted
   * tfjs directory). Machine-specific, so it lives here and not in recipes or run hashes.
   */
  weights: z.record(z.string(), z.string().min(1)).default({}),
  /** Where runs and reports go. */
  outDir: z.string().min(1).default("runs"),
  /** Root seed used when a recipe or `--seed` gives none. */
  seed: z.number().int().nonnegative().default(0),
  /**
   * "auto" or the name of a registered backend plugin; the name is checked against the registry
   * when the backend is selected, since core does not know which backends a platform has.
   */
  backend: z.string().min(1).default("auto"),
  /** Threads for the wasm backend; only 1 works under Node and Deno today (docs/backends.md). */
  wasmThreads: z.number().int().min(1).default(1),
});

export type XferConfig = z.output<typeof configSchema>;
export type XferConfigInput = z.input<typeof configSchema>;

/** Typed identity helper for `xfer.config.ts`. */
export function defineConfig(config: XferConfigInput): XferConfigInput {
  return config;
}

/**
 * Validates a config object; errors name the file it came from and the field. With `backends`
 * (the platform's registered backend names), `backend` must be "auto" or one of them.
 */
export function parseConfig(raw: unknown, source: string, backends?: readonly string[]): XferConfig {
  const schema = backends ? configSchema.extend({ backend: z.enum(["auto", ...backends]).default("auto") }) : configSchema;
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) throw new InputError(source, formatZodIssues(parsed.error));
  return parsed.data;
}
