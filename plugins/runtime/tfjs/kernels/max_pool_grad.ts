/**
 * `MaxPoolGrad` for wasm as one pass over the heap: each window's first strict maximum (row-major
 * scan, as the cpu backend picks it) receives that window's output gradient. All channels of a
 * window position are scanned together, so the input is read in memory order. The stock kernel
 * took ~20% of a tiny-CNN training step.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { Composer } from "./compose.ts";

function maxPoolGrad({ inputs, backend, attrs }: { inputs: { dy: TensorInfo; input: TensorInfo }; backend: BackendWasm; attrs: MaxPoolGradAttrs }): TensorInfo {
  const c = new Composer(backend);
  const { dy, input } = inputs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode,
  );
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const out = c.zeros(input.shape);
  const x = c.view(input);
  const g = c.view(dy);
  const dx = c.view(out);
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const r0 = oh * info.strideHeight - info.padInfo.top;
      const rEnd = Math.min(H, r0 + info.filterHeight);
      for (let ow = 0; ow < OW; ow++) {
        const c0 = ow * info.strideWidth - info.padInfo.left;
        const cEnd = Math.min(W, c0 + info.filterWidth);
        best.fill(-Infinity);
        at.fill(-1);
        for (let r = Math.max(0, r0); r < rEnd; r++) {
          for (let col = Math.max(0, c0); col < cEnd; col++) {
            const base = ((b * H + r) * W + col) * C;
            for (let ch = 0; ch < C; ch++) {
              const v = x[base + ch];
              if (v > best[ch]) {
                best[ch] = v;
                at[ch] = base + ch;
              }
            }
          }
        }
        const o = ((b * OH + oh) * OW + ow) * C;
        for (let ch = 0; ch < C; ch++) if (at[ch] >= 0) dx[at[ch]] += g[o + ch];
      }
    }
  }
  return out;
}

export const maxPoolGradKernel: KernelConfig = {
  kernelName: MaxPoolGrad, backendName: "wasm", kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
