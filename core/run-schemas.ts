/**
 * Schemas of what a run store reads back (result, spec, environment, epoch lines, claims, failures): a file that
 * does not fit is damaged, whatever produced it. `parseStored` turns text into a value or a reason
 * naming what is wrong, never a raw SyntaxError.
 */
import { z } from "zod";
import type { ClaimRecord, EnvironmentRecord, EpochRecord, JsonObject, RunFailure, RunResult } from "./contracts.ts";

const SHA256 = /^[0-9a-f]{64}$/;
// JSON has no NaN: a metric that came out NaN is stored as null.
const metrics = z.record(z.string(), z.number().nullable());

// Loose objects: fields a later xfer adds must not make its results look damaged to this one.
export const EnvironmentSchema = z.looseObject({
  backend: z.string().min(1),
  backendVersion: z.string(),
  threads: z.number().int().positive(),
  runtime: z.string(),
  platform: z.string(),
  versions: z.record(z.string(), z.string()),
});

export const EpochSchema = z.looseObject({
  epoch: z.number().int().nonnegative(),
  trainLoss: z.number(),
  selection: metrics,
  seconds: z.number().nonnegative(),
  valLoss: z.number().nullable().optional(),
  lr: z.strictObject({ start: z.number(), end: z.number() }).optional(),
});

const splitEvaluation = z.looseObject({
  samples: z.number().int().nonnegative(),
  loss: z.number().nullable(),
  perClass: z.array(z.looseObject({
    class: z.string(), support: z.number().int().nonnegative(), precision: z.number().nullable(), recall: z.number().nullable(), f1: z.number().nullable(),
  })),
  confusion: z.array(z.array(z.number().int().nonnegative())).optional(),
});

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Relative to the run folder, inside one attempt's folder (no way out of the run folder). */
export const CHECKPOINT_PATH = /^attempts\/[A-Za-z0-9._-]+\/best\.safetensors$/;
export const PREDICTIONS_PATH = /^attempts\/[A-Za-z0-9._-]+\/predictions\.safetensors$/;

export const RunResultSchema = z.looseObject({
  hash: z.string().regex(SHA256),
  recipe: z.string().min(1),
  epochs: z.array(EpochSchema).min(1),
  bestEpoch: z.number().int().positive(),
  best: metrics,
  test: metrics.optional(),
  thresholds: z.array(z.number()).optional(),
  params: z.number().int().nonnegative().optional(),
  skipped: z.array(z.strictObject({ id: z.string(), reason: z.string() })).optional(),
  seconds: z.number().nonnegative(),
  startedAt: z.string().regex(ISO_TIME).optional(),
  endedAt: z.string().regex(ISO_TIME).optional(),
  data: z.looseObject({
    train: z.number().int().nonnegative(),
    val: z.number().int().nonnegative(),
    test: z.number().int().nonnegative().optional(),
    splitManifestSha256: z.string().regex(SHA256),
    root: z.string().min(1).optional(),
  }).optional(),
  evaluation: z.looseObject({ val: splitEvaluation, test: splitEvaluation.optional() }).optional(),
  seeds: z.record(z.string(), z.string()),
  environment: EnvironmentSchema,
  weights: z.strictObject({ backbone: z.string().min(1), tensorsSha256: z.string().regex(SHA256) }).optional(),
  upstreamRun: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  attempt: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  checkpoint: z.strictObject({ path: z.string().regex(CHECKPOINT_PATH), sha256: z.string().regex(SHA256) }).optional(),
  predictions: z.strictObject({ path: z.string().regex(PREDICTIONS_PATH), sha256: z.string().regex(SHA256) }).optional(),
  regularisation: z.strictObject({ lambda: z.number().positive(), candidates: z.number().int().positive() }).optional(),
});

/** A RunSpec as stored: an object naming at least its recipe and seed (the rest is plugin data). */
export const StoredSpecSchema = z.looseObject({ recipe: z.string().min(1), seed: z.number().int().nonnegative() });

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export function parseStored<T>(schema: z.ZodType<T>, text: string): Parsed<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON (${(error as Error).message}; ${text.length} bytes)` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
  return { ok: false, problem: `${where}: ${issue.message}${parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : ""}` };
}

export const parseResult = (text: string): Parsed<RunResult> => parseStored(RunResultSchema as z.ZodType<RunResult>, text);
export const parseSpec = (text: string): Parsed<JsonObject> => parseStored(StoredSpecSchema as unknown as z.ZodType<JsonObject>, text);
export const parseEnvironment = (text: string): Parsed<EnvironmentRecord> => parseStored(EnvironmentSchema as z.ZodType<EnvironmentRecord>, text);

/** epochs.jsonl: one EpochRecord per line, epochs 0, 1, 2... in order. */
export function parseEpochLines(text: string): Parsed<EpochRecord[]> {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const epochs: EpochRecord[] = [];
  for (const [i, line] of lines.entries()) {
    const parsed = parseStored(EpochSchema as z.ZodType<EpochRecord>, line);
    if (!parsed.ok) return { ok: false, problem: `line ${i + 1}: ${parsed.problem}` };
    if (parsed.value.epoch !== i + 1) return { ok: false, problem: `line ${i + 1}: epoch ${parsed.value.epoch} where ${i + 1} was expected (out of order or duplicated)` };
    epochs.push(parsed.value);
  }
  return { ok: true, value: epochs };
}

const WORKER_ID = /^[A-Za-z0-9._:-]+$/;

/**
 * A claim file (claim.<n> in a run folder): a ClaimRecord, plus `released: true` on the marker a
 * holder writes when it lets the run go (the next claimer then claims it fresh, not as a takeover).
 */
export const ClaimFileSchema = z.looseObject({
  worker: z.looseObject({
    id: z.string().regex(WORKER_ID),
    host: z.string().min(1),
    pid: z.number().int().nonnegative(),
    slurm: z.looseObject({ jobId: z.string().min(1), arrayJobId: z.string().min(1).optional(), arrayTaskId: z.string().min(1).optional() }).optional(),
  }),
  upstreamRun: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  attempt: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  since: z.string().regex(ISO_TIME),
  heartbeat: z.string().regex(ISO_TIME),
  released: z.literal(true).optional(),
});

export type ClaimFile = ClaimRecord & { readonly released?: true };

/** error.json of a failed attempt. */
export const RunFailureSchema = z.looseObject({
  message: z.string(),
  stack: z.string().optional(),
  attempt: z.string().regex(/^[A-Za-z0-9._-]+$/),
  failedAttempts: z.number().int().positive(),
  at: z.string().regex(ISO_TIME),
  environment: EnvironmentSchema,
});

export const parseClaim = (text: string): Parsed<ClaimFile> => parseStored(ClaimFileSchema as z.ZodType<ClaimFile>, text);
export const parseFailure = (text: string): Parsed<RunFailure> => parseStored(RunFailureSchema as z.ZodType<RunFailure>, text);
