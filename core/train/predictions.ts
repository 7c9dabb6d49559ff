/**
 * A run's predictions as bytes (predictions.safetensors): the scores as an n x k float32 tensor
 * `scores` (the trainer's softmax/sigmoid outputs are float32, so nothing is lost), the labels as
 * `labels` (n, or n x k multi-hot with IGNORED_LABEL for ignored pairs), and the split and sample ids as JSON in the metadata. Decoding
 * checks everything a metric would trip over later: shapes, ids unique and one per row, labels
 * whole numbers in range, scores finite.
 */
import { z } from "zod";
import { IGNORED_LABEL, type RunPredictions } from "../contracts.ts";
import { InputError } from "../errors.ts";
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from "../formats/safetensors.ts";

export const PREDICTIONS_METADATA_KEY = "xfer.predictions";
/** Bumped when the layout changes; another format is refused, not guessed at. */
export const PREDICTIONS_FORMAT = 1;

const metaSchema = z.strictObject({
  format: z.literal(PREDICTIONS_FORMAT),
  split: z.enum(["test", "val"]),
  ids: z.array(z.string()),
  multilabel: z.boolean(),
});

export function encodePredictions(p: RunPredictions): Uint8Array {
  const n = p.ids.length;
  const k = p.scores[0]?.length ?? 0;
  if (p.scores.length !== n || p.labels.length !== n) throw new InputError("predictions", `${n} ids, ${p.scores.length} score rows and ${p.labels.length} labels; expected one each per sample`);
  const multilabel = n > 0 && Array.isArray(p.labels[0]);
  const scores = new Float32Array(n * k);
  p.scores.forEach((row, i) => {
    if (row.length !== k) throw new InputError("predictions", `score row ${i} has ${row.length} values, row 0 has ${k}`);
    scores.set(row, i * k);
  });
  const labels = multilabel ? new Float32Array(n * k) : Float32Array.from(p.labels as readonly number[]);
  if (multilabel) (p.labels as readonly (readonly number[])[]).forEach((row, i) => labels.set(row, i * k));
  const tensors = new Map([
    ["scores", { shape: [n, k], data: scores }],
    ["labels", { shape: multilabel ? [n, k] : [n], data: labels }],
  ]);
  return writeSafetensors(tensors, { [PREDICTIONS_METADATA_KEY]: JSON.stringify({ format: PREDICTIONS_FORMAT, split: p.split, ids: p.ids, multilabel }) });
}

export function decodePredictions(bytes: Uint8Array, where: string): RunPredictions {
  const text = readSafetensorsMetadata(bytes, where)[PREDICTIONS_METADATA_KEY];
  if (text === undefined) throw new InputError(where, `no "${PREDICTIONS_METADATA_KEY}" metadata; not a predictions file xfer wrote`);
  let parsed: z.infer<typeof metaSchema>;
  try {
    const result = metaSchema.safeParse(JSON.parse(text));
    if (!result.success) throw new Error(result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
    parsed = result.data;
  } catch (e) {
    throw new InputError(where, `predictions metadata: ${(e as Error).message}`);
  }
  const tensors = readSafetensors(bytes, where);
  const scores = tensors.get("scores");
  const labels = tensors.get("labels");
  if (!scores || !labels || tensors.size !== 2) throw new InputError(where, `expected exactly the tensors "scores" and "labels", found ${[...tensors.keys()].join(", ") || "none"}`);
  const n = parsed.ids.length;
  if (new Set(parsed.ids).size !== n) throw new InputError(where, "sample ids repeat");
  if (scores.shape.length !== 2 || scores.shape[0] !== n) throw new InputError(where, `scores have shape [${scores.shape.join(", ")}]; expected [${n}, classes]`);
  const k = scores.shape[1];
  const labelShape = parsed.multilabel ? [n, k] : [n];
  if (labels.shape.join("x") !== labelShape.join("x")) throw new InputError(where, `labels have shape [${labels.shape.join(", ")}]; expected [${labelShape.join(", ")}]`);
  const badScore = scores.data.findIndex((v) => !Number.isFinite(v));
  if (badScore >= 0) throw new InputError(where, `score of sample ${parsed.ids[Math.floor(badScore / k)]} is ${scores.data[badScore]}; expected a finite number`);
  // Multilabel rows may hold IGNORED_LABEL (a class the sample is scored for neither way).
  const [minLabel, maxLabel] = parsed.multilabel ? [IGNORED_LABEL, 1] : [0, k - 1];
  const badLabel = labels.data.findIndex((v) => !Number.isInteger(v) || v < minLabel || v > maxLabel);
  if (badLabel >= 0) throw new InputError(where, `label of sample ${parsed.ids[parsed.multilabel ? Math.floor(badLabel / k) : badLabel]} is ${labels.data[badLabel]}; expected a whole number in ${minLabel}..${maxLabel}`);
  const rows = (data: Float32Array, width: number) => Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * width, (i + 1) * width)));
  return { split: parsed.split, ids: parsed.ids, labels: parsed.multilabel ? rows(labels.data, k) : Array.from(labels.data), scores: rows(scores.data, k) };
}
