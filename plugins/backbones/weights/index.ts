/** Checkpoint readers by file type; every reader returns PyTorch names and layouts as float32. */
import { readFile, stat } from "node:fs/promises";
import { InputError } from "../../../core/errors.ts";
import { readPth } from "./pth.ts";
import { isTorchScriptArchive, readTorchScript } from "./torchscript.ts";
import { readSafetensors } from "../../../core/formats/safetensors.ts";
import { readTfjsWeights } from "./tfjs.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";

export { readPth } from "./pth.ts";
export { readTorchScript } from "./torchscript.ts";
export { readTfjsWeights, writeTfjsWeights } from "./tfjs.ts";
export { readSafetensors, readSafetensorsMetadata, writeSafetensors } from "../../../core/formats/safetensors.ts";
export { exportStore, loadIntoStore } from "./tensors.ts";

export async function readCheckpoint(path: string): Promise<TensorMap> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new InputError(path, "no such checkpoint file or directory");
    throw new InputError(path, `cannot read the checkpoint: ${(e as Error).message}`);
  }
  if (info.isDirectory()) return readTfjsWeights(path);
  if (path.endsWith(".safetensors")) return readSafetensors(await readWhole(path, info.size), path);
  if (/\.(pth|pt|bin)$/.test(path)) {
    const bytes = await readWhole(path, info.size);
    return isTorchScriptArchive(bytes, path) ? readTorchScript(bytes, path) : readPth(bytes, path);
  }
  throw new InputError(path, "unsupported checkpoint type; expected a .safetensors file, a torch.save .pth/.pt/.bin checkpoint or TorchScript archive, or a directory written by `xfer weights convert`");
}

/** Node reads at most 2 GiB into one buffer; the largest catalog checkpoint (VGG-16 BN) is about 0.55 GB. */
const MAX_CHECKPOINT_FILE_BYTES = 2 ** 31 - 1;

async function readWhole(path: string, size: number): Promise<Uint8Array> {
  if (size > MAX_CHECKPOINT_FILE_BYTES) throw new InputError(path, `checkpoint is ${size} bytes; at most ${MAX_CHECKPOINT_FILE_BYTES} can be read`);
  try {
    return await readFile(path);
  } catch (e) {
    throw new InputError(path, `cannot read the checkpoint: ${(e as Error).message}`);
  }
}
