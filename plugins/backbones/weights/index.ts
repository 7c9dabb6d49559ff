/** Checkpoint readers by file type; every reader returns PyTorch names and layouts as float32. */
import { readFile, stat } from "node:fs/promises";
import { InputError } from "../../../core/errors.ts";
import { readPth } from "./pth.ts";
import { readSafetensors } from "../../../core/formats/safetensors.ts";
import { readTfjsWeights } from "./tfjs.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";

export { readPth } from "./pth.ts";
export { readTfjsWeights, writeTfjsWeights } from "./tfjs.ts";
export { readSafetensors, readSafetensorsMetadata, writeSafetensors } from "../../../core/formats/safetensors.ts";
export { exportStore, loadIntoStore } from "./tensors.ts";

export async function readCheckpoint(path: string): Promise<TensorMap> {
  if ((await stat(path)).isDirectory()) return readTfjsWeights(path);
  if (path.endsWith(".safetensors")) return readSafetensors(await readFile(path), path);
  if (/\.(pth|pt)$/.test(path)) return readPth(await readFile(path), path);
  throw new InputError(path, "unsupported checkpoint type; expected a .safetensors file, a torch.save .pth/.pt zip checkpoint, or a directory written by `xfer weights convert`");
}
