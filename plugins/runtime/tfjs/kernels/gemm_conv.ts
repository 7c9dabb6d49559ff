/**
 * Convolution gradients as one matrix product plus a scatter/gather over the patches (col2im /
 * im2col), for layers whose weights outnumber the rows of the patch matrix (deep layers at small
 * spatial size, e.g. ResNet-18's 2x2x512 stage). There the XNNPACK convolutions of conv_grads.ts
 * spend most of their time packing a freshly made weight-sized kernel (the transposed filter, or dy
 * as a filter); `BatchMatMul` packs only its right operand, which here is the small one.
 *
 * Patch matrix layout colT[K, M] with K = (i, j, ci) filter taps and M = (n, oh, ow) output
 * positions; tap (i, j) of position (oh, ow) reads x[oh*sh - top + i*dh, ow*sw - left + j*dw],
 * and taps that land in the padding are zero (they are skipped, never stored).
 */
import { backend_util, type NamedAttrMap, type TensorInfo } from "@tensorflow/tfjs";
import type { Composer } from "./compose.ts";

type Conv2DInfo = backend_util.Conv2DInfo;

/**
 * Whether the patch-matrix route beats the convolutions of conv_grads.ts for this layer: the patch
 * matrix has K = kh*kw*Cin rows and M = N*OH*OW columns. Measured on ResNet-18 64px, batch 32: it
 * wins for K >= 8M at stride 1 (2x2x512: 62 -> 25 ms) and K > M when strided (the stride phases cost
 * more; 4x4x256 stride 2: 25 -> 18 ms), and loses at 4x4x256 stride 1 (K = 4.5M; 28 -> 32 ms).
 */
export function weightsDominate(info: Conv2DInfo): boolean {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const M = info.batchSize * info.outHeight * info.outWidth;
  const strided = info.strideHeight > 1 || info.strideWidth > 1;
  return strided ? K > M : K >= 8 * M;
}

/**
 * Calls `visit(colRow, xIndex)` for every in-range (tap, position) pair: `colRow` indexes colT,
 * `xIndex` the NHWC input. One fixed order, so results are deterministic.
 */
function forEachPatchElement(info: Conv2DInfo, visit: (col: number, x: number) => void): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const M = N * OH * OW;
  for (let i = 0; i < KH; i++) {
    for (let j = 0; j < KW; j++) {
      for (let ci = 0; ci < C; ci++) {
        const row = ((i * KW + j) * C + ci) * M;
        for (let n = 0; n < N; n++) {
          for (let oh = 0; oh < OH; oh++) {
            const h = oh * sh - top + i * dh;
            if (h < 0 || h >= H) continue;
            const colBase = row + (n * OH + oh) * OW;
            const xBase = (n * H + h) * W;
            for (let ow = 0; ow < OW; ow++) {
              const w = ow * sw - left + j * dw;
              if (w >= 0 && w < W) visit(colBase + ow, (xBase + w) * C + ci);
            }
          }
        }
      }
    }
  }
}

function matMul(c: Composer, a: TensorInfo, b: TensorInfo, transposeB: boolean): TensorInfo {
  return c.run("BatchMatMul", { a, b }, { transposeA: false, transposeB } as unknown as NamedAttrMap);
}

/** dx = col2im(W[K, Cout] . dy[M, Cout]^T). */
export function gemmInputGrad(c: Composer, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const M = info.batchSize * info.outHeight * info.outWidth;
  const w2 = c.reshape(filter, [1, K, info.outChannels]);
  const dy2 = c.reshape(dy, [1, M, info.outChannels]);
  const colT = matMul(c, w2, dy2, true);
  c.free(w2, dy2);
  const dx = c.zeros(info.inShape);
  const col = c.view(colT);
  const out = c.view(dx);
  forEachPatchElement(info, (k, x) => { out[x] += col[k]; });
  c.free(colT);
  return dx;
}

/** dW = im2col(x)[K, M] . dy[M, Cout], already in the [kh, kw, Cin, Cout] filter layout. */
export function gemmFilterGrad(c: Composer, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const M = info.batchSize * info.outHeight * info.outWidth;
  const colT = c.zeros([1, K, M]);
  const col = c.view(colT);
  const src = c.view(x);
  forEachPatchElement(info, (k, i) => { col[k] = src[i]; });
  const dy2 = c.reshape(dy, [1, M, info.outChannels]);
  const grad = matMul(c, colT, dy2, false);
  c.free(colT, dy2);
  return c.then(grad, (t) => c.reshape(t, [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels]));
}
