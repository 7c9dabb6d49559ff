/**
 * A run's resume state as bytes: a safetensors file whose tensors are the state's (float32) and
 * whose `__metadata__["xfer.resume"]` holds the rest as JSON. Decoding validates everything
 * (format, run id, the trainer's meta, tensor names and sizes) before a trainer trusts it: a
 * resume state that is wrong in any way must fail loudly, never train on from garbage.
 */
import { z } from "zod";
import type { EpochRecord, JsonObject, NamedTensor, ResumeState } from "../contracts.ts";
import { InputError } from "../errors.ts";
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from "../formats/safetensors.ts";
import type { TensorMap } from "../formats/tensor-map.ts";
import type { RngPosition } from "../rng.ts";

export const RESUME_METADATA_KEY = "xfer.resume";
/** Bumped when the layout changes; a state of another format is refused, not guessed at. */
export const RESUME_FORMAT = 1;

/** Tensor name prefixes of a resume state: the model now, optimizer buffers, the best epoch's model, val scores at the best epoch. */
export const RESUME_TENSOR_PREFIXES = ["model/", "optimizer/", "best/", "val/"] as const;
/** The val scores (n x outputs) at the best epoch, which the result's evaluation.val is computed from. */
export const BEST_VAL_SCORES = "val/scores";

// JSON has no NaN: a NaN metric or loss is written as null and read back as NaN, as the trainer had it.
const num = z.number().nullable().transform((v) => v ?? NaN);
const metricValues = z.record(z.string(), num);
const finite = z.number().finite();

const epochSchema = z.strictObject({
  epoch: z.number().int().positive(),
  trainLoss: finite,
  selection: metricValues,
  seconds: z.number().nonnegative(),
  valLoss: num.optional(),
  lr: z.strictObject({ start: finite, end: finite }).optional(),
});

const positionSchema = z.strictObject({ c: finite, s0: finite, s1: finite, s2: finite });

/** What the trainer keeps in a resume state's meta (ResumeState.meta), besides its tensors. */
export const trainerResumeMetaSchema = z.strictObject({
  /** Epoch records so far, epochs 1..epochsDone. */
  history: z.array(epochSchema),
  /** 1-based. */
  bestEpoch: z.number().int().positive(),
  best: metricValues,
  /** Ordinal cut points fitted at the best epoch. */
  bestThresholds: z.array(finite).optional(),
  /** Val loss at the best epoch (its scores are the tensor `val/scores`). */
  bestValLoss: num,
  /** Training ended (patience, or the last epoch) with this epoch: only the scoring is left. */
  trainingDone: z.boolean(),
  /** The optimizer's counters (OptimizerState.scalars). */
  optimizer: z.record(z.string(), finite),
  /** Every run-long random stream's position, by key. */
  streams: z.record(z.string(), positionSchema),
});

export interface TrainerResumeMeta {
  readonly history: readonly EpochRecord[];
  readonly bestEpoch: number;
  readonly best: Readonly<Record<string, number>>;
  readonly bestThresholds?: readonly number[];
  readonly bestValLoss: number;
  readonly trainingDone: boolean;
  readonly optimizer: Readonly<Record<string, number>>;
  readonly streams: Readonly<Record<string, RngPosition>>;
}

const envelopeSchema = z.strictObject({
  format: z.literal(RESUME_FORMAT),
  runId: z.string().min(1),
  epochsDone: z.number().int().positive(),
  meta: trainerResumeMetaSchema,
});

/** The meta as JSON (NaN written as null, which JSON.stringify does, but typed here so it is explicit). */
export function trainerResumeMetaJson(meta: TrainerResumeMeta): JsonObject {
  return JSON.parse(JSON.stringify(meta)) as JsonObject;
}

export function encodeResume(state: ResumeState): Uint8Array {
  const tensors: TensorMap = new Map();
  for (const t of state.tensors) {
    if (tensors.has(t.name)) throw new RangeError(`resume state of run ${state.runId}: tensor "${t.name}" appears twice`);
    if (t.data.length !== t.shape.reduce((n, d) => n * d, 1)) {
      throw new RangeError(`resume state of run ${state.runId}: tensor "${t.name}" has ${t.data.length} values for shape [${t.shape.join(", ")}]`);
    }
    tensors.set(t.name, { shape: t.shape, data: t.data });
  }
  const envelope = { format: RESUME_FORMAT, runId: state.runId, epochsDone: state.epochsDone, meta: state.meta };
  return writeSafetensors(tensors, { [RESUME_METADATA_KEY]: JSON.stringify(envelope) });
}

/**
 * The resume state in `bytes`, read from `where` (named in every error), which must belong to run
 * `runId`. Throws an InputError saying what is wrong: truncated or malformed bytes, another run's
 * state, a meta that does not fit, or tensors that do not go with it.
 */
export function decodeResume(bytes: Uint8Array, where: string, runId: string): ResumeState {
  const text = readSafetensorsMetadata(bytes, where)[RESUME_METADATA_KEY];
  if (text === undefined) throw new InputError(where, `not a resume state: the safetensors __metadata__ has no "${RESUME_METADATA_KEY}" entry`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(where, `resume meta "${RESUME_METADATA_KEY}" is not JSON: ${(e as Error).message}`);
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(where, `resume meta: ${issue.path.join(".") || "(top level)"}: ${issue.message}${parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : ""}`);
  }
  const envelope = parsed.data;
  if (envelope.runId !== runId) throw new InputError(where, `resume state of run ${envelope.runId}, not of run ${runId}`);
  const { meta, epochsDone } = envelope;
  checkEpochs(meta, epochsDone, where);

  const tensors: NamedTensor[] = [];
  for (const [name, t] of readSafetensors(bytes, where)) {
    if (!RESUME_TENSOR_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length)) {
      throw new InputError(where, `resume state tensor "${name}" is none of ${RESUME_TENSOR_PREFIXES.map((p) => `${p}<name>`).join(", ")}`);
    }
    tensors.push({ name, shape: t.shape, data: t.data });
  }
  const scores = tensors.find((t) => t.name === BEST_VAL_SCORES);
  if (!scores || scores.shape.length !== 2) {
    throw new InputError(where, `resume state has no ${BEST_VAL_SCORES} matrix (val scores at the best epoch)${scores ? `; its shape is [${scores.shape.join(", ")}]` : ""}`);
  }
  const modelCount = tensors.filter((t) => t.name.startsWith("model/")).length;
  const bestCount = tensors.filter((t) => t.name.startsWith("best/")).length;
  if (modelCount === 0 || modelCount !== bestCount) {
    throw new InputError(where, `resume state holds ${modelCount} model/ and ${bestCount} best/ tensors; both must be the model's state (the same non-zero count)`);
  }
  // The meta is stored as read (null for NaN); the trainer parses it again with trainerResumeMetaSchema.
  return { runId, epochsDone, tensors, meta: (json as { meta: JsonObject }).meta };
}

/** The trainer's meta of a state decodeResume returned (or a trainer made), parsed and checked against its epochsDone: NaN back for null. */
export function parseTrainerResumeMeta(state: ResumeState, where: string): TrainerResumeMeta {
  const parsed = trainerResumeMetaSchema.safeParse(state.meta);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(where, `resume meta: ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  checkEpochs(parsed.data, state.epochsDone, where);
  return parsed.data;
}

function checkEpochs(meta: TrainerResumeMeta, epochsDone: number, where: string): void {
  if (meta.history.length !== epochsDone || meta.history.some((e, i) => e.epoch !== i + 1)) {
    throw new InputError(where, `resume meta: history must hold epochs 1..${epochsDone} in order, got [${meta.history.map((e) => e.epoch).join(", ")}]`);
  }
  if (meta.bestEpoch > epochsDone) throw new InputError(where, `resume meta: bestEpoch ${meta.bestEpoch} is after the ${epochsDone} completed epoch(s)`);
}
