import { createHash } from "node:crypto";
import type { TrainOutcome } from "./net.ts";

/** SHA-256 over the losses (as float64) and the final weights' bytes: equal digests, equal bits. */
export function digest(outcome: TrainOutcome): string {
  const hash = createHash("sha256");
  hash.update(new Uint8Array(new Float64Array(outcome.losses).buffer));
  for (const w of outcome.weights) hash.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  return hash.digest("hex");
}
