/**
 * The user's configuration, validated. Core takes an already-validated object; finding and
 * reading config files (cosmiconfig) is the Node CLI's job.
 */
import { z } from "zod";
import { InputError } from "./errors.ts";
import { checkPlugin, formatZodIssues, type Plugin } from "./plugin.ts";

/** A plugin object given in the config; its shape is checked, the object itself is kept. */
const configPlugin = z.custom<Plugin>().superRefine((value, ctx) => {
  if (typeof value === "string") {
    if (value === "") ctx.addIssue({ code: "custom", message: "a module specifier must not be empty" });
    return;
  }
  try {
    checkPlugin(value, "plugin");
  } catch (error) {
    ctx.addIssue({ code: "custom", message: `expected a plugin object (meta.kind, meta.name, meta.version, meta.description, create) or a module specifier; ${(error as Error).message}` });
  }
});

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
  /**
   * Plugins beside the built-in ones: plugin objects (xfer.config.ts/.js) and module specifiers,
   * a path relative to the config file or a package name, whose exported plugins are registered.
   */
  plugins: z.array(z.union([z.string(), configPlugin])).default([]),
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
 * Only the `plugins` field, checked before the rest: the registry they build decides which
 * `backend` names parseConfig accepts. Other fields' errors come from parseConfig.
 */
export function parseConfigPlugins(raw: unknown, source: string): XferConfig["plugins"] {
  const parsed = z.object({ plugins: configSchema.shape.plugins }).safeParse(typeof raw === "object" && raw !== null ? raw : {});
  if (!parsed.success) throw new InputError(source, formatZodIssues(parsed.error));
  return parsed.data.plugins;
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
