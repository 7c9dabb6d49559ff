import type { DatasetContext } from "../../../core/contracts.ts";
import { NodeIO } from "./node-io.ts";
import { SharpDecoder } from "./sharp-decoder.ts";

/** The DatasetContext for a dataset root on the local disk (for commands that read one dataset outside a run). */
export function nodeDatasetContext(root: string): DatasetContext {
  return { io: new NodeIO(root), decoder: new SharpDecoder() };
}
