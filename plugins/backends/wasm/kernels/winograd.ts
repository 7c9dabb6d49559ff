/**
 * 3x3 stride-1 convolutions by Winograd's F(2x2, 3x3) on xfer's SIMD GEMM: each 2x2 block of
 * output comes from a 4x4 block of input through 16 products of [tiles, Cin] x [Cin, Cout] in the
 * transformed domain, 16 multiply-adds per 2x2 outputs where a direct convolution takes 36 (2.25x
 * fewer; the transforms are additions and halvings, accurate to a few float32 roundings). The
 * input, filter and output transforms are SIMD wasm, four channels a vector; the filter transform
 * writes straight into the GEMM's packed 8-column panels. The filter gradient runs the adjoint of
 * the same transform (`winogradFilterGrad`). Eval with a prepared filter may take F(4x4, 3x3)
 * instead (`F4_TILE`, winograd-f4.ts) through the same tiling, chunks and lanes.
 *
 * Transforms (Lavin & Gray 2016): V = B^T d B, U = G g G^T, y = A^T (V . U) A with
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
 * A^T = [1 1 1 0; 0 1 -1 -1].
 */
import { backend_util, type TensorInfo } from "@tensorflow/tfjs";
import {
  countDown, f32x4Add, f32x4Const, f32x4Mul, f32x4Sub, get, I32, i32Add, i32And, i32Const, i32Mul, i32ShrU, instancePerMemory, set, upTo, V128,
  v128Load, v128Store, whileBelow,
} from "../../../../core/wasm/assembler.ts";
import { type Composer, heapMemory } from "./compose.ts";
import { CLAMP, type EpilogueActivation } from "./epilogue.ts";
import { gemmOn, LANE_SCRATCH_BYTES, PANEL_COLUMNS } from "./gemm-simd.ts";
import { padInLanes } from "./pad.ts";
import { F4, transformsF4 } from "./winograd-f4.ts";
import { halves, type Lane, Split } from "./parallel.ts";

type Conv2DInfo = backend_util.Conv2DInfo;

/** Floats per 64-byte cache line. */
const LINE_FLOATS = 16;

/** Local `offset` from 0 to local `end` (exclusive) in steps of a vector, 16 bytes. */
const byVectors = (offset: number, end: number, body: number[]) => upTo(offset, end, 16, body);

/** 2 * local. */
const twice = (local: number) => [...get(local), ...get(local), ...i32Add];
const addTo = (local: number, step: number[]) => [...get(local), ...step, ...i32Add, ...set(local)];
/** get(a) + get(b) [+ get(c)] as an address. */
const address = (...locals: number[]) => locals.flatMap((l, i) => (i === 0 ? get(l) : [...get(l), ...i32Add]));
/** local * constant. */
const times = (local: number, k: number) => (k === 0 ? i32Const(0) : k === 1 ? get(local) : [...get(local), ...i32Const(k), ...i32Mul]);

/**
 * input(src, rowBytes, tiles, cBytes, dst, matStride, rows): `rows` rows of `tiles` input tiles
 * (tile rows 2 * rowBytes apart, as within an image), the one at column 2t reading
 * src + t * 2 * cBytes (4 rows rowBytes apart), into V[16][tile][C] at dst (matrices matStride
 * bytes apart, tiles cBytes apart, row after row).
 */
function inputCode(): number[] {
  const [SRC, ROW, TILES, CB, DST, MAT, ROWS] = [0, 1, 2, 3, 4, 5, 6];
  const C = 7, BASE = 8, OUT = 9, ROW_SRC = 10, LEFT = 11;
  const T = 12, V = 16; // v128 t[4] (a row of B^T d), v[4]
  const quad = [0, 1, 2, 3];
  const d = (i: number, j: number) => [...get(BASE), ...times(ROW, i), ...i32Add, ...times(CB, j), ...i32Add, ...v128Load()];
  // Row i of B^T d from two rows of d, reloaded (from L1) rather than kept in 16 live vectors.
  const rowsOfBtD: [number, number, number[]][] = [[0, 2, f32x4Sub], [1, 2, f32x4Add], [2, 1, f32x4Sub], [1, 3, f32x4Sub]];
  const body = [
    ...address(SRC, C), ...set(BASE), ...address(DST, C), ...set(OUT),
    ...rowsOfBtD.flatMap(([a, b, op]) => [
      ...quad.flatMap((j) => [...d(a, j), ...d(b, j), ...op, ...set(T + j)]),
      ...get(T), ...get(T + 2), ...f32x4Sub, ...set(V),
      ...get(T + 1), ...get(T + 2), ...f32x4Add, ...set(V + 1),
      ...get(T + 2), ...get(T + 1), ...f32x4Sub, ...set(V + 2),
      ...get(T + 1), ...get(T + 3), ...f32x4Sub, ...set(V + 3),
      // The 16 matrices follow each other, matStride apart, in (i, j) order.
      ...quad.flatMap((j) => [...get(OUT), ...get(V + j), ...v128Store(), ...addTo(OUT, get(MAT))]),
    ]),
  ];
  return countDown(ROWS, [
    ...get(SRC), ...set(ROW_SRC), ...get(TILES), ...set(LEFT),
    ...countDown(LEFT, [...byVectors(C, CB, body), ...addTo(SRC, twice(CB)), ...addTo(DST, get(CB))]),
    ...get(ROW_SRC), ...twice(ROW), ...i32Add, ...set(SRC),
  ]);
}

/**
 * output(m, matStride, tiles, coBytes, dst, rowBytes, rows[, bias]): `rows` rows of `tiles` tiles
 * of M[16][tile][Co] at m (tiles coBytes apart, row after row) into 2x2 blocks of y at dst (rows
 * rowBytes apart, block t at column 2t, a tile row two rows of y). With an `epilogue`, each output
 * becomes act(output + bias) before it is stored (bias: Co floats), the arithmetic of
 * epilogue.ts's pass over y.
 */
function outputCode(epilogue?: EpilogueActivation): number[] {
  const [M, MAT, TILES, CB, DST, ROW, ROWS, BIAS] = [0, 1, 2, 3, 4, 5, 6, 7];
  const first = epilogue === undefined ? 7 : 8;
  const C = first, BASE = first + 1, OUT = first + 2, ROW_DST = first + 3, LEFT = first + 4;
  const MV = first + 5, S = MV + 16, R = S + 4, BV = R + 4; // v128 m[4][4], s[4], r[4], the bias
  const m = (i: number, j: number) => MV + 4 * i + j;
  const quad = [0, 1, 2, 3];
  const at = (row: number, col: number) => [...get(OUT), ...times(ROW, row), ...i32Add, ...times(CB, col), ...i32Add];
  const finish = epilogue === undefined ? [] : [...get(BV), ...f32x4Add, ...CLAMP[epilogue]];
  const body = [
    ...address(M, C), ...set(BASE), ...address(DST, C), ...set(OUT),
    ...(epilogue === undefined ? [] : [...address(BIAS, C), ...v128Load(), ...set(BV)]),
    ...quad.flatMap((i) => quad.flatMap((j) => [...get(BASE), ...times(MAT, 4 * i + j), ...i32Add, ...v128Load(), ...set(m(i, j))])),
    ...quad.flatMap((j) => [
      ...get(m(0, j)), ...get(m(1, j)), ...f32x4Add, ...get(m(2, j)), ...f32x4Add, ...set(S + j),
      ...get(m(1, j)), ...get(m(2, j)), ...f32x4Sub, ...get(m(3, j)), ...f32x4Sub, ...set(R + j),
    ]),
    ...at(0, 0), ...get(S), ...get(S + 1), ...f32x4Add, ...get(S + 2), ...f32x4Add, ...finish, ...v128Store(),
    ...at(0, 1), ...get(S + 1), ...get(S + 2), ...f32x4Sub, ...get(S + 3), ...f32x4Sub, ...finish, ...v128Store(),
    ...at(1, 0), ...get(R), ...get(R + 1), ...f32x4Add, ...get(R + 2), ...f32x4Add, ...finish, ...v128Store(),
    ...at(1, 1), ...get(R + 1), ...get(R + 2), ...f32x4Sub, ...get(R + 3), ...f32x4Sub, ...finish, ...v128Store(),
  ];
  return countDown(ROWS, [
    ...get(DST), ...set(ROW_DST), ...get(TILES), ...set(LEFT),
    ...countDown(LEFT, [...byVectors(C, CB, body), ...addTo(M, get(CB)), ...addTo(DST, twice(CB))]),
    ...get(ROW_DST), ...twice(ROW), ...i32Add, ...set(DST),
  ]);
}

/**
 * filter(w, channels, coBytes, u, matStride, from, end): U = G g G^T of a [3, 3, C, Co] filter
 * (rows coBytes long) into 16 matrices [C, Co] packed as the GEMM's B (8-column panels: column co
 * of row c at ((co / 8) * C + c) * 32 + (co % 8) * 4), matStride bytes apart; the output channels
 * from byte `from` to `end` of a row (multiples of 16), so that threads can share the work.
 */
function filterCode(): number[] {
  const [W, CHANNELS, CB, U, MAT, FROM, END] = [0, 1, 2, 3, 4, 5, 6];
  const CO = 7, BASE = 8, OUT = 9, TAP = 10, C = 11;
  const G = 12, T = 21, H = 33; // v128 g[3][3], t[4][3], the 0.5 splat
  const g = (i: number, j: number) => G + 3 * i + j, t = (i: number, j: number) => T + 3 * i + j;
  const halved = (terms: number[]) => [...terms, ...get(H), ...f32x4Mul];
  const combos = (x0: number[], x1: number[], x2: number[]) => [
    [...x0], halved([...x0, ...x1, ...f32x4Add, ...x2, ...f32x4Add]), halved([...x0, ...x1, ...f32x4Sub, ...x2, ...f32x4Add]), [...x2],
  ];
  const body = [
    // BASE: tap (0, 0) of channel c, columns co..co+3; OUT: row c of the panel holding co.
    ...get(W), ...get(C), ...get(CB), ...i32Mul, ...i32Add, ...get(CO), ...i32Add, ...set(BASE),
    ...get(U), ...get(CO), ...i32Const(5), ...i32ShrU, ...get(CHANNELS), ...i32Mul, ...get(C), ...i32Add, ...i32Const(32), ...i32Mul, ...i32Add,
    ...get(CO), ...i32Const(16), ...i32And, ...i32Add, ...set(OUT),
    ...[0, 1, 2].flatMap((i) => [0, 1, 2].flatMap((j) => [...get(BASE), ...times(TAP, 3 * i + j), ...i32Add, ...v128Load(), ...set(g(i, j))])),
    ...[0, 1, 2].flatMap((j) => combos(get(g(0, j)), get(g(1, j)), get(g(2, j))).flatMap((value, i) => [...value, ...set(t(i, j))])),
    ...[0, 1, 2, 3].flatMap((i) => combos(get(t(i, 0)), get(t(i, 1)), get(t(i, 2))).flatMap((value, j) => [
      ...get(OUT), ...times(MAT, 4 * i + j), ...i32Add, ...value, ...v128Store(),
    ])),
  ];
  // Output channels outer, input channels inner: the packed panel rows are then written in order.
  return [
    ...f32x4Const(0.5), ...set(H),
    ...get(CHANNELS), ...get(CB), ...i32Mul, ...set(TAP),
    ...get(FROM), ...set(CO),
    ...whileBelow(CO, END, 16, upTo(C, CHANNELS, 1, body)),
  ];
}

/**
 * gradOutput(dy, rowBytes, tiles, coBytes, dst, matStride, panelStride): a row of `tiles` 2x2
 * blocks of dy (block t at column 2t, rows rowBytes apart) into Z = A dy A^T, 16 matrices [tile][Co]
 * written as the GEMM's packed B (column co of row t at (co / 8) * panelStride + t * 32 +
 * (co % 8) * 4 from dst, which points at the row's first tile), matStride apart.
 */
function gradOutputCode(): number[] {
  const [DY, ROW, TILES, CB, DST, MAT, PANEL] = [0, 1, 2, 3, 4, 5, 6];
  const CO = 7, BASE = 8, OUT = 9, TILE_DY = 10, TILE_DST = 11, LEFT = 12;
  const E = 13, WV = 17, Z = 25; // v128 e[2][2], w[4][2], z[4]
  const e = (a: number, b: number) => E + 2 * a + b, w = (i: number, b: number) => WV + 2 * i + b;
  // Rows (or columns) of A applied to a pair: p0, p0 + p1, p0 - p1, -p1 (as 0 - p1).
  const pairs = (p0: number[], p1: number[]) => [p0, [...p0, ...p1, ...f32x4Add], [...p0, ...p1, ...f32x4Sub], [...zero, ...p1, ...f32x4Sub]];
  const zero = f32x4Const(0);
  const body = [
    ...address(TILE_DY, CO), ...set(BASE),
    ...get(TILE_DST), ...get(CO), ...i32Const(5), ...i32ShrU, ...get(PANEL), ...i32Mul, ...i32Add, ...get(CO), ...i32Const(16), ...i32And, ...i32Add, ...set(OUT),
    ...[0, 1].flatMap((a) => [0, 1].flatMap((b) => [...get(BASE), ...times(ROW, a), ...i32Add, ...times(CB, b), ...i32Add, ...v128Load(), ...set(e(a, b))])),
    ...[0, 1].flatMap((b) => pairs(get(e(0, b)), get(e(1, b))).flatMap((value, i) => [...value, ...set(w(i, b))])),
    ...[0, 1, 2, 3].flatMap((i) => [
      ...pairs(get(w(i, 0)), get(w(i, 1))).flatMap((value, j) => [...value, ...set(Z + j)]),
      ...[0, 1, 2, 3].flatMap((j) => [...get(OUT), ...get(Z + j), ...v128Store(), ...addTo(OUT, get(MAT))]),
    ]),
  ];
  // Channels outer, tiles inner: each of the 16 x Co/8 panels is then written in order, where the
  // other order kept 128 write streams open (8 ms of TLB misses on a tiny-CNN layer).
  return byVectors(CO, CB, [
    ...get(DY), ...set(TILE_DY), ...get(DST), ...set(TILE_DST), ...get(TILES), ...set(LEFT),
    ...countDown(LEFT, [...body, ...addTo(TILE_DY, twice(CB)), ...addTo(TILE_DST, i32Const(32))]),
  ]);
}

/**
 * filterGrad(du, matStride, bytes, dw, tapStride): dW = G^T dU G for every (c, co), the 16
 * matrices of dU [C][Co] matStride apart, `bytes` = C * Co * 4, into the [3][3][C][Co] filter
 * gradient (taps tapStride apart).
 */
function filterGradCode(): number[] {
  const [DU, MAT, BYTES, DW, TAP] = [0, 1, 2, 3, 4];
  const L = 5, BASE = 6;
  const D = 7, R = 23, H = 35; // v128 du[4][4], r[3][4], the 0.5 splat
  const du = (i: number, j: number) => D + 4 * i + j, r = (i: number, j: number) => R + 4 * i + j;
  const halved = (terms: number[]) => [...terms, ...get(H), ...f32x4Mul];
  // Rows of G^T applied to four values: p0 + (p1 + p2) / 2, (p1 - p2) / 2, (p1 + p2) / 2 + p3.
  const gt = (p: number[][]) => [
    [...p[0], ...halved([...p[1], ...p[2], ...f32x4Add]), ...f32x4Add],
    halved([...p[1], ...p[2], ...f32x4Sub]),
    [...halved([...p[1], ...p[2], ...f32x4Add]), ...p[3], ...f32x4Add],
  ];
  const quad = [0, 1, 2, 3];
  const body = [
    ...address(DU, L), ...set(BASE),
    ...quad.flatMap((i) => quad.flatMap((j) => [...get(BASE), ...times(MAT, 4 * i + j), ...i32Add, ...v128Load(), ...set(du(i, j))])),
    ...quad.flatMap((j) => gt(quad.map((i) => get(du(i, j)))).flatMap((value, i) => [...value, ...set(r(i, j))])),
    ...[0, 1, 2].flatMap((i) => gt(quad.map((j) => get(r(i, j)))).flatMap((value, j) => [
      ...get(DW), ...get(L), ...i32Add, ...times(TAP, 3 * i + j), ...i32Add, ...value, ...v128Store(),
    ])),
  ];
  return [...f32x4Const(0.5), ...set(H), ...byVectors(L, BYTES, body)];
}

type Output = (m: number, matStride: number, tiles: number, coBytes: number, dst: number, rowBytes: number, rows: number, bias?: number) => void;

interface Transforms extends Record<`output-${EpilogueActivation}`, Output> {
  input(src: number, rowBytes: number, tiles: number, cBytes: number, dst: number, matStride: number, rows: number): void;
  output: Output;
  filter(w: number, channels: number, coBytes: number, u: number, matStride: number, from: number, end: number): void;
  gradOutput(dy: number, rowBytes: number, tiles: number, coBytes: number, dst: number, matStride: number, panelStride: number): void;
  filterGrad(du: number, matStride: number, bytes: number, dw: number, tapStride: number): void;
}

const transforms = instancePerMemory<Transforms>(() => [
  { name: "input", params: new Array(7).fill(I32), locals: [[5, I32], [8, V128]], code: inputCode() },
  { name: "output", params: new Array(7).fill(I32), locals: [[5, I32], [24, V128]], code: outputCode() },
  ...(["linear", "relu", "relu6"] as const).map((activation) => (
    { name: `output-${activation}`, params: new Array(8).fill(I32), locals: [[5, I32], [25, V128]] as const, code: outputCode(activation) }
  )),
  { name: "filter", params: new Array(7).fill(I32), locals: [[5, I32], [22, V128]], code: filterCode() },
  { name: "gradOutput", params: new Array(7).fill(I32), locals: [[6, I32], [16, V128]], code: gradOutputCode() },
  { name: "filterGrad", params: new Array(5).fill(I32), locals: [[2, I32], [29, V128]], code: filterGradCode() },
]);

/** 3x3, stride 1, undilated, NHWC, input channels in whole vectors, output channels in whole GEMM panels. */
function fits(info: Conv2DInfo, inChannels: number, outChannels: number): boolean {
  return info.dataFormat === "channelsLast" && info.filterHeight === 3 && info.filterWidth === 3
    && info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1
    && inChannels % 4 === 0 && outChannels % PANEL_COLUMNS === 0;
}

/**
 * Whether eval with a prepared filter takes F(4x4, 3x3) for this convolution: outputs of at least
 * MIN_F4_OUTPUT in both dimensions, where its 36 matrices multiply fewer rows in all than
 * F(2x2, 3x3)'s 16 (below, its larger transformed filter costs more than the products save).
 */
export function winogradF4Pays(info: Conv2DInfo): boolean {
  return winogradApplies(info) && info.outHeight >= MIN_F4_OUTPUT && info.outWidth >= MIN_F4_OUTPUT;
}

const MIN_F4_OUTPUT = 4;

/** Whether `winogradConv2D` takes this convolution. */
export function winogradApplies(info: Conv2DInfo): boolean {
  return fits(info, info.inChannels, info.outChannels);
}

/**
 * Whether the input gradient of this convolution, a stride-1 convolution of dy (Cout channels in,
 * Cin out) with the flipped filter, runs by Winograd.
 */
export function winogradTakesInputGrad(info: Conv2DInfo): boolean {
  return fits(info, info.outChannels, info.inChannels);
}

/**
 * A Winograd tile: m x m outputs from alpha x alpha inputs (alpha = m + 2), alpha^2 matrices.
 * F(2x2, 3x3) everywhere; F(4x4, 3x3) (winograd-f4.ts) for eval with a prepared filter.
 */
export interface WinogradTile {
  readonly m: 2 | 4;
  readonly matrices: number;
  readonly kernels: (memory: WebAssembly.Memory) => Pick<Transforms, "input" | "output" | `output-${EpilogueActivation}` | "filter">;
}

export const F2_TILE: WinogradTile = { m: 2, matrices: 16, kernels: (memory) => transforms(memory) };
export const F4_TILE: WinogradTile = { m: F4.m, matrices: F4.alpha * F4.alpha, kernels: (memory) => transformsF4(memory) };

/** The tiling of a convolution's output into m x m blocks, and its input padded to whole tiles. */
function tiling(info: Conv2DInfo, m = 2) {
  const tilesH = Math.ceil(info.outHeight / m), tilesW = Math.ceil(info.outWidth / m);
  return { tilesH, tilesW, tiles: info.batchSize * tilesH * tilesW, Hp: m * tilesH + 2, Wp: m * tilesW + 2 };
}

/** Byte distance of consecutive matrices of `floats` each: one cache line more than their size, as
 * at a multiple of 4 KiB apart the transforms' 16 streams map to one L1 set and evict each other. */
const matrixStride = (floats: number) => (floats + LINE_FLOATS) * 4;

/** x zero-padded to whole tiles: [N, Hp, Wp, C]. */
function padInput(c: Composer, x: TensorInfo, info: Conv2DInfo, m = 2): TensorInfo {
  const { Hp, Wp } = tiling(info, m);
  const { top, left } = info.padInfo;
  return padInLanes(c, x, top, Hp - info.inHeight - top, left, Wp - info.inWidth - left);
}

/**
 * V = B^T d B of tile rows [from, to) (tile row r = (n, th) with r = n * tilesH + th) of the padded
 * input into 16 matrices [tile][C] at `vAt`, the first tile of row `from` first, recorded into
 * `lane`: a call per image the rows cross.
 */
function transformRows(lane: Lane, c: Composer, paddedAt: number, info: Conv2DInfo, from: number, to: number, vAt: number, vStride: number, tile = F2_TILE): void {
  const { tilesH, tilesW, Hp, Wp } = tiling(info, tile.m);
  const kernels = tile.kernels(heapMemory(c.backend));
  const C = info.inChannels, paddedRow = Wp * C * 4;
  for (let r = from; r < to;) {
    const n = Math.floor(r / tilesH), th = r % tilesH, rows = Math.min(to - r, tilesH - th);
    lane.call(kernels.input, paddedAt + (n * Hp + tile.m * th) * paddedRow, paddedRow, tilesW, C * 4, vAt + (r - from) * tilesW * C * 4, vStride, rows);
    r += rows;
  }
}

/**
 * Tiles a forward pass transforms, multiplies and transforms back at a time: their 16 + 16
 * matrices within ~2 MiB, which the products and the output transform then read from L2 (tiny CNN
 * 14x14x32: 5.4 -> 4.5 ms; ResNet-18's layers within 3% either way) and which bounds the
 * temporaries at large images; but at least the GEMM's 96-row block, so the products stay long.
 */
function tilesPerChunkOf(info: Conv2DInfo, matrices = 16): number {
  return Math.max(96, Math.floor((2 << 20) / (matrices * 4 * (info.inChannels + info.outChannels))));
}

/**
 * U = G g G^T of a filter `winogradApplies` takes: the tile's matrices [C, Co] (16 for F(2x2, 3x3))
 * in the GEMM's packed panels, what `winogradConv2D` multiplies by (kept between calls for fixed
 * weights, fused-conv.ts). By halves of the output channels, one per lane.
 */
export function winogradFilter(c: Composer, filter: TensorInfo, info: Conv2DInfo, tile = F2_TILE): TensorInfo {
  const { inChannels: C, outChannels: CO } = info;
  const uStride = matrixStride(C * CO);
  const u = c.empty([(tile.matrices * uStride) / 4]);
  const memory = heapMemory(c.backend);
  const kernels = tile.kernels(memory);
  const [uAt, filterAt] = [u, filter].map((t) => c.view(t).byteOffset);
  const filtered = new Split(memory);
  const [firstVectors] = halves(CO / 4);
  filtered.lanes[0].call(kernels.filter, filterAt, C, CO * 4, uAt, uStride, 0, firstVectors * 16);
  filtered.lanes[1].call(kernels.filter, filterAt, C, CO * 4, uAt, uStride, firstVectors * 16, CO * 4);
  filtered.run();
  return u;
}

/** What a fused convolution adds to `winogradConv2D`. */
export interface WinogradFused {
  /** The filter's `winogradFilter`, which the caller keeps (else it is computed and freed here). */
  readonly transformed?: TensorInfo;
  /** y = act(y + bias) in the output transform (bias: Co floats), as epilogue.ts's pass over y. */
  readonly epilogue?: { readonly bias: TensorInfo; readonly activation: EpilogueActivation };
  /** The tile `transformed` was made for (F(2x2, 3x3) unless said). */
  readonly tile?: WinogradTile;
}

/**
 * `chunk` (tiles per chunk, a multiple of a tile row, at least one) only differs in tests. The tile rows
 * are split in two halves, one per lane (kernels/parallel.ts), each transformed, multiplied and
 * transformed back chunk by chunk in buffers of its own: one handover per call, and each output
 * tile computed alone whichever lane and chunk holds it. When all tiles fit two chunks, they are
 * one chunk instead: transforms by halves of the tile rows, products by halves of the output
 * panels, three handovers; the same bits (every output of a product is summed over k in order
 * whichever lane computes it).
 */
export function winogradConv2D(
  c: Composer, x: TensorInfo, filter: TensorInfo, info: Conv2DInfo, chunk?: number, { transformed, epilogue, tile = F2_TILE }: WinogradFused = {},
): TensorInfo {
  const { batchSize: N, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { m: size, matrices } = tile;
  const tilesPerChunk = chunk ?? tilesPerChunkOf(info, matrices);
  const { tilesH, tilesW } = tiling(info, size);
  // Output in whole tiles, cropped after when OH or OW is not a multiple of the tile.
  const exact = OH % size === 0 && OW % size === 0;
  const tileRows = N * tilesH;
  const [firstRows] = halves(tileRows);
  // Few tiles (deep layers of small images: ResNet-18 64px's 4x4 and 2x2): by halves of the tile
  // rows each lane would stream all of U for a short product; all tiles in one chunk instead, the
  // products split by their output panels.
  const byPanels = tileRows * tilesW <= 2 * tilesPerChunk;
  const rowsPerChunk = byPanels ? tileRows : Math.min(firstRows, Math.max(1, Math.floor(tilesPerChunk / tilesW)));
  const chunkTiles = rowsPerChunk * tilesW;
  const [vStride, uStride, mStride] = [chunkTiles * C, C * CO, chunkTiles * CO].map(matrixStride);
  // Before the products that read all of it.
  const u = transformed ?? winogradFilter(c, filter, info, tile);
  const padded = padInput(c, x, info, size);
  const buffers = byPanels ? 1 : 2;
  const v = c.empty([(buffers * matrices * vStride) / 4]);
  const m = c.empty([(buffers * matrices * mStride) / 4]);
  const scratch = c.empty([(2 * LANE_SCRATCH_BYTES) / 4]);
  const y = c.empty(exact ? info.outShape : [N, size * tilesH, size * tilesW, CO]);
  const memory = heapMemory(c.backend);
  const gemm = gemmOn(memory);
  const kernels = tile.kernels(memory);
  const [paddedAt, vAt, uAt, mAt, scratchAt, yAt] = [padded, v, u, m, scratch, y].map((t) => c.view(t).byteOffset);
  const output = epilogue === undefined ? kernels.output : kernels[`output-${epilogue.activation}`];
  const biasAt = epilogue === undefined ? [] : [c.view(epilogue.bias).byteOffset];
  const outRow = size * tilesW * CO * 4;
  // Tile row r = (n, th) writes output rows size * r to size * r + size - 1.
  const outputRows = (lane: Lane, from: number, to: number, mFrom: number) => {
    if (to > from) lane.call(output, mFrom, mStride, tilesW, CO * 4, yAt + size * from * outRow, outRow, to - from, ...biasAt);
  };
  if (byPanels) {
    const byRows = (record: (lane: Lane, from: number, to: number) => void) => {
      const split = new Split(memory);
      split.lanes.forEach((lane, i) => record(lane, i === 0 ? 0 : firstRows, i === 0 ? firstRows : tileRows));
      split.run();
    };
    byRows((lane, from, to) => transformRows(lane, c, paddedAt, info, from, to, vAt + from * tilesW * C * 4, vStride, tile));
    const products = new Split(memory);
    for (let k = 0; k < matrices; k++) gemm.splitPacked(products, tileRows * tilesW, CO, C, vAt + k * vStride, uAt + k * uStride, mAt + k * mStride, scratchAt);
    products.run();
    byRows((lane, from, to) => outputRows(lane, from, to, mAt + from * tilesW * CO * 4));
  } else {
    const split = new Split(memory);
    split.lanes.forEach((lane, i) => {
      const [laneV, laneM, laneScratch] = [vAt + i * matrices * vStride, mAt + i * matrices * mStride, scratchAt + i * LANE_SCRATCH_BYTES];
      for (let from = i === 0 ? 0 : firstRows, end = i === 0 ? firstRows : tileRows; from < end; from += rowsPerChunk) {
        const to = Math.min(end, from + rowsPerChunk);
        transformRows(lane, c, paddedAt, info, from, to, laneV, vStride, tile);
        const count = (to - from) * tilesW;
        for (let k = 0; k < matrices; k++) gemm.queuePacked(lane, count, CO, C, laneV + k * vStride, uAt + k * uStride, laneM + k * mStride, laneScratch);
        outputRows(lane, from, to, laneM);
      }
    });
    split.run();
  }
  c.free(padded, v, m, scratch);
  if (transformed === undefined) c.free(u);
  return exact ? y : c.then(y, (t) => c.slice(t, [0, 0, 0, 0], [N, OH, OW, CO]));
}

/**
 * The filter gradient of a convolution `winogradApplies` takes, by the same transform (the adjoint
 * of y = A^T (U . V) A in U = G g G^T): dU = sum over tiles of V . (A dy A^T), 16 products
 * V^T [C, tiles] x Z [tiles, Cout], then dW = G^T dU G. dy is read in 2x2 blocks, zero-padded to
 * whole tiles when OH or OW is odd; V is transposed by the GEMM module's SIMD transpose.
 */
export function winogradFilterGrad(c: Composer, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { batchSize: N, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { tilesH, tilesW, tiles } = tiling(info);
  const exact = OH % 2 === 0 && OW % 2 === 0;
  const [vStride, zStride, uStride] = [tiles * C, tiles * CO, C * CO].map(matrixStride);
  // V^T's rows a line longer than `tiles` floats, for the same reason as the matrices' spacing.
  const vTPitch = matrixStride(tiles), vTStride = matrixStride((C * vTPitch) / 4);
  const v = c.empty([(16 * vStride) / 4]);
  const vT = c.empty([(16 * vTStride) / 4]);
  const z = c.empty([(16 * zStride) / 4]);
  const du = c.empty([(16 * uStride) / 4]);
  const scratch = c.empty([(2 * LANE_SCRATCH_BYTES) / 4]);
  const dw = c.empty([3, 3, C, CO]);
  const dyTiles = exact ? dy : padInLanes(c, dy, 0, 2 * tilesH - OH, 0, 2 * tilesW - OW);
  const padded = padInput(c, x, info);
  const memory = heapMemory(c.backend);
  const gemm = gemmOn(memory);
  const kernels = transforms(memory);
  const [vAt, vTAt, zAt, duAt, scratchAt, dwAt, tilesAt, paddedAt] = [v, vT, z, du, scratch, dw, dyTiles, padded].map((t) => c.view(t).byteOffset);
  // The transforms by halves of the tile rows, then the 16 transposes and products by halves of k.
  const tileRows = N * tilesH;
  const [firstRows] = halves(tileRows);
  const dyRow = 2 * tilesW * CO * 4;
  const transformed = new Split(memory);
  transformed.lanes.forEach((lane, i) => {
    const [from, to] = i === 0 ? [0, firstRows] : [firstRows, tileRows];
    transformRows(lane, c, paddedAt, info, from, to, vAt + from * tilesW * C * 4, vStride);
    // Tile row r = (n, th) reads dy's rows 2r and 2r + 1.
    for (let r = from; r < to; r++) lane.call(kernels.gradOutput, tilesAt + 2 * r * dyRow, dyRow, tilesW, CO * 4, zAt + r * tilesW * 32, zStride, tiles * 32);
  });
  transformed.run();
  c.free(padded);
  if (!exact) c.free(dyTiles);
  // The SIMD transpose takes whole 4 x 4 blocks only as a wasm call; other tile counts transpose here first.
  const recordTransposes = tiles % 4 === 0;
  if (!recordTransposes) for (let k = 0; k < 16; k++) gemm.transpose(vAt + k * vStride, tiles, C, vTAt + k * vTStride, vTPitch);
  const products = new Split(memory);
  for (let k = 0; k < 16; k++) {
    const i = k < 8 ? 0 : 1, lane = products.lanes[i];
    if (recordTransposes) gemm.queueTranspose(lane, vAt + k * vStride, tiles, C, vTAt + k * vTStride, vTPitch);
    gemm.queuePacked(lane, C, CO, tiles, vTAt + k * vTStride, zAt + k * zStride, duAt + k * uStride, scratchAt + i * LANE_SCRATCH_BYTES, vTPitch);
  }
  products.run();
  c.free(v, vT, z, scratch);
  kernels.filterGrad(duAt, uStride, C * CO * 4, dwAt, C * CO * 4);
  c.free(du);
  return dw;
}
