/**
 * Convolutions as matrix products on xfer's SIMD GEMM (gemm-simd.ts):
 *  - forward convolutions over a kernel-row-stacked copy of the input (`stackedConv2D`), where
 *    Winograd (winograd.ts) does not take them;
 *  - gradients per filter tap, for layers whose weights outnumber the output positions of a batch
 *    (deep layers at small spatial size, e.g. ResNet-18's 2x2x512 stage, where at 2x2 with padding
 *    1 five of a 3x3 filter's nine taps only ever meet padding): tap (i, j) multiplies only the
 *    output positions it reaches (a rectangle), the weight-sized operand on the left, unpacked;
 *  - per kernel row over all output positions, for the other filter gradients
 *    (`rowGemmFilterGrad`).
 *
 * Tap (i, j) of output position (oh, ow) reads x[oh*sh - top + i*dh, ow*sw - left + j*dw].
 */
import { backend_util, type NamedAttrMap, type TensorInfo } from "@tensorflow/tfjs";
import { type Composer, heapMemory } from "./compose.ts";
import { EDGE_SCRATCH_FLOATS, gemmOn, LANE_SCRATCH_BYTES, PANEL_COLUMNS, packedFloats, type SimdGemm, TILE_ROWS } from "./gemm-simd.ts";
import { padInLanes } from "./pad.ts";
import { halves, Split } from "./parallel.ts";

type Conv2DInfo = backend_util.Conv2DInfo;

/**
 * Whether the per-tap route takes this layer's input and filter gradients: K = kh*kw*Cin against
 * M = N*OH*OW output positions. Measured on ResNet-18 64px, batch 32 (input / filter gradient, ms,
 * against the XNNPACK routes, with XNNPACK's matmul): 2x2x512 (K = 36M) 27 / 36 -> 14 / 21;
 * 4x4x256 (K = 4.5M) 30 / 31 -> 25 / 25; strided 4x4x256 <- 8x8x128 (K = 2.25M) 14 / 16 -> 11 / 13;
 * it loses at 8x8x128 (K = 0.56M, 24 / 31 -> 43 / 35) and at strided 8x8x128 <- 16x16x64
 * (K = 0.28M). Against `rowGemmFilterGrad` the per-tap filter gradient keeps 4x4x256 (13 vs 15 ms)
 * and loses 8x8x128 (21 vs 15). (These timings predate Winograd, which now takes 3x3 stride-1
 * filter gradients first and some input gradients: conv-grads.ts, `inputGradPerTap`.)
 */
export function weightsDominate(info: Conv2DInfo): boolean {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const M = info.batchSize * info.outHeight * info.outWidth;
  const strided = info.strideHeight > 1 || info.strideWidth > 1;
  return strided ? K > M : K >= 4 * M;
}

/** Output positions [lo, hi) along one axis whose tap at offset `tap` lands inside the input. */
function reach(outSize: number, inSize: number, stride: number, pad: number, tap: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - tap) / stride));
  const hi = Math.min(outSize, Math.floor((inSize - 1 + pad - tap) / stride) + 1);
  return [lo, Math.max(lo, hi)];
}

interface Tap {
  /** Index of the tap's [Cin, Cout] block in the filter. */
  readonly index: number;
  /** Number of positions reached (rows of the product). */
  readonly count: number;
  /** Calls visit(p, dyOffset, xOffset) for every reached position p in a fixed order. */
  readonly positions: (visit: (p: number, dy: number, x: number) => void) => void;
}

function taps(info: Conv2DInfo): Tap[] {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { top, left } = info.padInfo;
  const out: Tap[] = [];
  for (let i = 0; i < info.filterHeight; i++) {
    const [oh0, oh1] = reach(OH, H, info.strideHeight, top, i * info.dilationHeight);
    for (let j = 0; j < info.filterWidth; j++) {
      const [ow0, ow1] = reach(OW, W, info.strideWidth, left, j * info.dilationWidth);
      const count = N * (oh1 - oh0) * (ow1 - ow0);
      if (count === 0) continue;
      out.push({
        index: i * info.filterWidth + j,
        count,
        positions: (visit) => {
          let p = 0;
          for (let n = 0; n < N; n++) {
            for (let oh = oh0; oh < oh1; oh++) {
              const h = oh * info.strideHeight - top + i * info.dilationHeight;
              for (let ow = ow0; ow < ow1; ow++, p++) {
                const w = ow * info.strideWidth - left + j * info.dilationWidth;
                visit(p, ((n * OH + oh) * OW + ow) * CO, ((n * H + h) * W + w) * C);
              }
            }
          }
        },
      });
    }
  }
  return out;
}

/** A [1, rows, cols] copy of block `index` of a [blocks, rows, cols] tensor. */
function block(c: Composer, src: TensorInfo, index: number, rows: number, cols: number): TensorInfo {
  const out = c.empty([1, rows, cols]);
  c.view(out).set(c.view(src).subarray(index * rows * cols, (index + 1) * rows * cols));
  return out;
}

function matMul(c: Composer, a: TensorInfo, b: TensorInfo): TensorInfo {
  return c.run("BatchMatMul", { a, b }, { transposeA: false, transposeB: false } as unknown as NamedAttrMap);
}

/** Offsets of a tap's positions in dy (`"dy"`) or in x (`"x"`). */
type Side = "dy" | "x";

function at(side: Side, d: number, x: number): number {
  return side === "dy" ? d : x;
}

/** [1, S, P]: the S channels of `src` at a tap's P positions, transposed. */
function gatherTransposed(c: Composer, src: TensorInfo, side: Side, S: number, tap: Tap): TensorInfo {
  const P = tap.count;
  const out = c.empty([1, S, P]);
  const from = c.view(src);
  const to = c.view(out);
  tap.positions((p, d, x) => {
    const o = at(side, d, x);
    for (let k = 0; k < S; k++) to[k * P + p] = from[o + k];
  });
  return out;
}

/**
 * out[positions on side `to`] += W[t] [R, S] . src[positions on side `from`]^T, summed over taps
 * in a fixed order; `weights` is [taps, R, S].
 */
function scatterTapProducts(
  c: Composer, info: Conv2DInfo, weights: TensorInfo, R: number, S: number, src: TensorInfo, from: Side, out: TensorInfo, to: Side,
): void {
  for (const tap of taps(info)) {
    const P = tap.count;
    const w = block(c, weights, tap.index, R, S);
    const srcT = gatherTransposed(c, src, from, S, tap);
    const g = matMul(c, w, srcT);
    c.free(w, srcT);
    const part = c.view(g);
    const dst = c.view(out);
    tap.positions((p, d, x) => {
      const o = at(to, d, x);
      for (let k = 0; k < R; k++) dst[o + k] += part[k * P + p];
    });
    c.free(g);
  }
}

/** dx[positions of tap t] += W[t] [Cin, Cout] . dy[reached positions]^T, summed over taps. */
export function gemmInputGrad(c: Composer, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo {
  const dx = c.zeros(info.inShape);
  scatterTapProducts(c, info, filter, info.inChannels, info.outChannels, dy, "dy", dx, "x");
  return dx;
}

/** dW[t] = x[positions of tap t]^T [Cin, P] . dy[reached positions] [P, Cout]; zero for unreached taps. */
export function gemmFilterGrad(c: Composer, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { inChannels: C, outChannels: CO } = info;
  const dw = c.zeros([info.filterHeight, info.filterWidth, C, CO]);
  for (const tap of taps(info)) {
    const xT = gatherTransposed(c, x, "x", C, tap);
    const dyRows = c.empty([1, tap.count, CO]);
    const dys = c.view(dy);
    const b = c.view(dyRows);
    tap.positions((p, d) => b.set(dys.subarray(d, d + CO), p * CO));
    const g = matMul(c, xT, dyRows);
    c.free(xT, dyRows);
    c.view(dw).set(c.view(g), tap.index * C * CO);
    c.free(g);
  }
  return dw;
}

/**
 * Filter gradient as one product per kernel row on xfer's SIMD GEMM, summing over every output
 * position: dW[i]^T [Cout, kw*Cin] = dy^T [Cout, M] . X_i [M, kw*Cin], where row m of X_i is the
 * kw*Cin contiguous floats of the (zero-padded) input that kernel row i of output position m
 * reads. dy is transposed once (by the GEMM module's SIMD transpose); X_i is never materialised:
 * its rows, evenly spaced within each output row, are packed straight from the padded input into
 * the GEMM's 8-column panels. When kw*Cin is not a multiple of 8 the last panel reads on into the
 * next pixels (padded on the right so it stays in the row) and those columns of the product are
 * dropped.
 */
export function rowGemmFilterGrad(c: Composer, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outChannels: CO, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, bottom, left } = info.padInfo;
  const M = N * OH * OW;
  const span = kw * C;
  const panels = Math.ceil(span / PANEL_COLUMNS);
  const width = panels * PANEL_COLUMNS;
  // Columns so that the last position's `width` floats stay inside its padded row.
  const right = Math.max(info.padInfo.right, Math.ceil(((OW - 1) * sw * C + width) / C) - W - left);
  const Hp = H + top + bottom, Wp = W + left + right;
  const dyT = c.empty([CO, M]);
  const padded = top + bottom + left + right > 0;
  const xp = padded ? padInLanes(c, x, top, bottom, left, right) : x;
  // Kernel rows by halves, one per lane, each packing into a buffer of its own; one kernel row
  // (a 1x1 filter) splits its product instead.
  const [firstRows] = halves(kh);
  const packed = c.empty([(kh > 1 ? 2 : 1) * width * M]);
  const scratch = c.empty([EDGE_SCRATCH_FLOATS]);
  const perRow = c.empty([kh, CO, width]);
  const memory = heapMemory(c.backend);
  const gemm = gemmOn(memory);
  const [xAt, dyAt, dyTAt, packedAt, scratchAt, outAt] = [xp, dy, dyT, packed, scratch, perRow].map((t) => c.view(t).byteOffset);
  gemm.transpose(dyAt, M, CO, dyTAt);
  const panelStride = M * PANEL_COLUMNS * 4;
  const byRows = new Split(memory);
  for (let i = 0; i < kh; i++) {
    const part = kh > 1 && i >= firstRows ? 1 : 0, lane = byRows.lanes[part];
    const laneAt = packedAt + part * width * M * 4;
    for (let n = 0; n < N; n++) {
      for (let oh = 0; oh < OH; oh++) {
        const row = (n * Hp + oh * sh + i) * Wp;
        gemm.queuePackRows(lane, xAt + row * C * 4, sw * C * 4, laneAt + (n * OH + oh) * OW * PANEL_COLUMNS * 4, OW, panels, panelStride);
      }
    }
    if (kh > 1) gemm.queuePacked(lane, CO, width, M, dyTAt, laneAt, outAt + i * CO * width * 4, scratchAt + part * LANE_SCRATCH_BYTES);
  }
  byRows.run();
  if (kh === 1) gemm.multiplyPacked(CO, width, M, dyTAt, packedAt, outAt, scratchAt);
  c.free(dyT, packed, scratch);
  if (padded) c.free(xp);
  const kept = width === span ? perRow : c.then(perRow, (t) => c.slice(t, [0, 0, 0], [kh, CO, span]));
  const split = c.then(kept, (t) => c.reshape(t, [kh, CO, kw, C]));
  return c.then(split, (t) => c.transpose(t, [0, 2, 3, 1]));
}

/**
 * Forward convolution on xfer's SIMD GEMM without a patch matrix. The input is copied once into
 * kernel-row-stacked columns, S[n, oh, w, i, :] = x[n, oh*sh - top + i, w - left, :] (zero where
 * that is padding), kh times the input where a patch matrix would be kh*kw times: the kh*kw*Cin
 * floats output position (n, oh, ow) reads are then one contiguous run of S from column ow*sw, in
 * (j, i, c) order, and the GEMM reads them in place through a table of row addresses, against the
 * filter reordered to [kw, kh, Cin, Cout] and packed (`stackedFilter`; `packed` when the caller
 * keeps it, else packed here and freed). S is written by the lanes, the images in halves (wasm
 * `stackRows`, a call per run of output rows that meet the same kernel rows), then the product is
 * split. An unpadded 1x1 convolution reads x itself. Undilated, NHWC.
 */
export function stackedConv2D(c: Composer, x: TensorInfo, filter: TensorInfo, info: Conv2DInfo, packed?: TensorInfo): TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, bottom, left, right } = info.padInfo;
  const M = N * OH * OW;
  const K = kh * kw * C;
  const pointwise = kh === 1 && kw === 1 && top + bottom + left + right === 0;
  // S's columns (padding included) and floats per column; a pointwise layer's rows are x's pixels.
  const columns = pointwise ? W : (OW - 1) * sw + kw;
  const run = kh * C;
  const filterPanels = packed ?? stackedFilter(c, filter, info);
  const stacked = pointwise ? x : c.empty([N * OH * columns * run]);
  const table = c.empty([Math.ceil(M / TILE_ROWS) * TILE_ROWS], "int32");
  const scratch = c.empty([EDGE_SCRATCH_FLOATS]);
  const y = c.empty(info.outShape);
  const memory = heapMemory(c.backend);
  const gemm = gemmOn(memory);
  const [xAt, stackedAt, packedAt, tableAt, scratchAt, yAt] =
    [x, stacked, filterPanels, table, scratch, y].map((t) => c.view(t).byteOffset);
  if (!pointwise) stackInput(c, gemm, info, xAt, stackedAt, columns);
  // Row (n, oh) of S holds `columns` columns; a pointwise layer's row oh of x is row oh*sh of x.
  const rowStart = (n: number, oh: number) => pointwise ? (n * H + oh * sh) * W : (n * OH + oh) * columns;
  const rows = c.backend.typedArrayFromHeap(table) as Int32Array;
  let p = 0;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const start = rowStart(n, oh);
      for (let ow = 0; ow < OW; ow++) rows[p++] = stackedAt + (start + ow * sw) * run * 4;
    }
  }
  rows.fill(rows[M - 1], M);
  gemm.multiplyRows(M, CO, K, tableAt, packedAt, yAt, scratchAt);
  c.free(table, scratch);
  if (packed === undefined) c.free(filterPanels);
  if (!pointwise) c.free(stacked);
  return y;
}

/**
 * S of `stackedConv2D` at `stackedAt` from x at `xAt`, by the lanes: the images in halves, each
 * image's output rows in runs that meet the same kernel rows (all kh inside the input, or fewer at
 * the top and bottom edges), one `stackRows` call a run.
 */
function stackInput(c: Composer, gemm: SimdGemm, info: Conv2DInfo, xAt: number, stackedAt: number, columns: number): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, filterHeight: kh, strideHeight: sh } = info;
  const { top, left } = info.padInfo;
  const run = kh * C, xRow = W * C * 4, sRow = columns * run * 4;
  const count = Math.max(0, Math.min(W, columns - left));
  const geometry = c.empty([7], "int32");
  (c.backend.typedArrayFromHeap(geometry) as Int32Array).set([xRow, sRow, C * 4, run * 4, count, left * run * 4, sh * xRow]);
  const geometryAt = c.view(geometry).byteOffset;
  // Kernel rows [first, end) of output row oh lie inside the input.
  const taps = (oh: number): [number, number] => {
    const first = Math.max(0, top - oh * sh), end = Math.min(kh, H + top - oh * sh);
    return count > 0 && end > first ? [first, end] : [0, 0];
  };
  const split = new Split(heapMemory(c.backend));
  const [firstImages] = halves(N);
  for (let n = 0; n < N; n++) {
    const lane = split.lanes[n < firstImages ? 0 : 1];
    for (let oh = 0; oh < OH;) {
      const [first, end] = taps(oh);
      let rows = 1;
      while (oh + rows < OH && taps(oh + rows).join() === [first, end].join()) rows++;
      const h = oh * sh - top + first;
      lane.call(gemm.stackRows, geometryAt, xAt + (n * H + h) * xRow, stackedAt + (n * OH + oh) * sRow, rows, end - first, first * C * 4);
      oh += rows;
    }
  }
  split.run();
  c.free(geometry);
}

/** The filter as `stackedConv2D` multiplies by it: reordered to [kw, kh, Cin, Cout], packed in the GEMM's panels. */
export function stackedFilter(c: Composer, filter: TensorInfo, info: Conv2DInfo): TensorInfo {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const reordered = c.transpose(filter, [1, 0, 2, 3]);
  const packed = c.empty([packedFloats(info.outChannels, K)]);
  const [reorderedAt, packedAt] = [reordered, packed].map((t) => c.view(t).byteOffset);
  gemmOn(heapMemory(c.backend)).pack(reorderedAt, info.outChannels, K, packedAt);
  c.free(reordered);
  return packed;
}
