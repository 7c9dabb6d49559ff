/**
 * What a run's network predicts and how it is trained, derived once per run from the dataset's
 * task, its classes and `training.loss`; the plugin context (head size) and the trainer (loss,
 * scores, targets) both read it.
 */
import type { DatasetIndex, DatasetMeta } from "../contracts.ts";
import { XferError } from "../errors.ts";
import type { RunSpec } from "../recipe.ts";

export type HeadLoss = "softmax-cross-entropy" | "sigmoid-bce" | "ordinal-l1" | "ordinal-mse";

export interface RunHead {
  /** Classes of the dataset (labels, metrics and ordinal cut points count these). */
  readonly numClasses: number;
  /** Outputs of the network: one number per image for ordinal regression, else one per class. */
  readonly outputs: number;
  /**
   * Single-label tasks train with softmax cross-entropy (optionally label-smoothed), multilabel
   * with sigmoid BCE, ordinal regression with L1 or MSE on the single output.
   */
  readonly loss: HeadLoss;
  readonly labelSmoothing: number;
}

export function deriveHead(spec: RunSpec, meta: DatasetMeta, index: DatasetIndex): RunHead {
  const numClasses = (index.classNames ?? meta.classNames).length;
  const requested = spec.training.loss;
  const ordinal = requested === "ordinal-l1" || requested === "ordinal-mse";
  if (ordinal && meta.task === "multilabel") throw new XferError(`training.loss "${requested}" needs single-label classes; dataset "${meta.name}" is multilabel`);
  const loss: HeadLoss = ordinal ? requested : meta.task === "multilabel" ? "sigmoid-bce" : "softmax-cross-entropy";
  return { numClasses, outputs: ordinal ? 1 : numClasses, loss, labelSmoothing: spec.training.labelSmoothing ?? 0 };
}

export function isOrdinal(head: RunHead): head is RunHead & { loss: "ordinal-l1" | "ordinal-mse" } {
  return head.loss === "ordinal-l1" || head.loss === "ordinal-mse";
}
