import type { DatasetContext } from "../../../core/contracts.ts";
import { NodeIO, type NodeIOOptions } from "./node-io.ts";
import { SharpDecoder } from "./sharp-decoder.ts";

/**
 * The DatasetContext for a dataset root on the local disk (for commands that read one dataset
 * outside a run); `allowedDirs` are the config's `allowedDataDirs`.
 */
export function nodeDatasetContext(root: string, allowedDirs?: NodeIOOptions["allowedDirs"]): DatasetContext {
  return { io: new NodeIO(root, { allowedDirs }), decoder: new SharpDecoder() };
}
