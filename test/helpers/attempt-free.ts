/**
 * A published result with what differs between attempts and processes taken out: the attempt id,
 * wall-clock fields (startedAt, endedAt, seconds, each epoch's seconds), and the paths of the
 * checkpoint and the predictions (inside the attempt's folder), which are kept by their SHA-256.
 * What is left must be byte-for-byte the same for a run trained once, resumed, or trained elsewhere.
 */
import type { RunResult } from "../../core/index.ts";

export function attemptFree(result: RunResult): Record<string, unknown> {
  const { attempt: _attempt, checkpoint, predictions, startedAt: _started, endedAt: _ended, ...rest } = result;
  return {
    ...rest,
    checkpoint: checkpoint?.sha256,
    predictions: predictions?.sha256,
    seconds: 0,
    epochs: result.epochs.map((epoch) => ({ ...epoch, seconds: 0 })),
  };
}
