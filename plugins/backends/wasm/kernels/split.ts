/**
 * `SplitV` on wasm through the registered `Slice` (reductions.ts: one block copy per run of whole
 * trailing axes). The stock kernel calls the stock slice function directly, which copies element by
 * element unless the split is along the leading axis: splitting a ViT's fused q/k/v projection,
 * [N*T, 3d] along its last axis, took ~30% of a DeiT-tiny forward pass.
 */
import { backend_util, SplitV, util, type KernelConfig, type KernelFunc, type SplitVAttrs, type TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Composer } from "./compose.ts";

function splitV({ inputs: { x }, backend, attrs }: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: SplitVAttrs }): TensorInfo[] {
  const c = new Composer(backend);
  const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis);
  const begin = x.shape.map(() => 0);
  return sizes.map((part) => {
    const size = x.shape.slice();
    size[axis] = part;
    const piece = c.slice(x, begin.slice(), size);
    begin[axis] += part;
    return piece;
  });
}

export const splitVKernel: KernelConfig = { kernelName: SplitV, backendName: "wasm", kernelFunc: splitV as unknown as KernelFunc };
