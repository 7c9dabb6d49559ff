/**
 * f32 matrix products on the wasm backend's heap with xfer's own SIMD micro-kernel, which beats
 * tfjs-backend-wasm 4.22's XNNPACK `BatchMatMul` (11-12 G multiply-adds/s here, 6-7 on
 * transformer-sized products): ~19 with a separate multiply and add, ~26 with relaxed SIMD's
 * fused multiply-add (test/bench/gemm.bench.ts). The kernel keeps a 6 x 8 block of C in registers
 * and streams six rows of A (unpacked: a fixed stride apart, or anywhere through a table of row
 * addresses, which lets convolutions read their patches in place) against a packed 8-column panel
 * of B; products are summed over k in order, so results are deterministic for a given variant
 * (recorded as `xfer-gemm`). The module also holds the strided copy, the SIMD transpose and the
 * kernel-row stacking the convolution routes use.
 */
import {
  assembleModule, call, countDown, f32x4Add, f32x4Mul, get, I32, i32Add, i32Const, i32Eqz, i32GeU, i32Load, i32LtU, i32Mul, i32Store, i32Sub, instantiate,
  isSharedMemory, memoryFill, set, simd, V128, v128Load, v128Store,
} from "../../../../core/wasm/assembler.ts";
import { halves, type Lane, Split } from "./parallel.ts";

const MR = 6, NR = 8;
/** Rows of A per block: 96 rows of a 768-deep A (288 KiB) stay in L2 while every B panel passes. */
const ROWS_PER_BLOCK = 16 * MR;

export type GemmVariant = "relaxed-fma" | "simd-mul-add";

const loadSplat32 = simd(9, 2, 0);

/** Where a tile function keeps its operands: parameter and local indices. */
interface TileLocals {
  /** Addresses of A's six rows (advanced along k). */
  readonly rows: readonly number[];
  readonly b: number;
  readonly c: number;
  readonly ldc: number;
  readonly k: number;
  /** End of the B panel. */
  readonly end: number;
  /** First of 12 accumulators (zero at entry), then the panel row's two vectors and A's splat. */
  readonly acc: number;
}

/** tile(a, lda, b, c, ldc, k): A's rows lda bytes apart from a. */
const STRIDED: TileLocals = { rows: [0, 7, 8, 9, 10, 11], b: 2, c: 3, ldc: 4, k: 5, end: 6, acc: 12 };
/** tileRows(table, b, c, ldc, k): A's six row addresses read from an i32 table. */
const TABLED: TileLocals = { rows: [0, 6, 7, 8, 9, 10], b: 1, c: 2, ldc: 3, k: 4, end: 5, acc: 11 };


/**
 * C[6 x 8] (rows ldc bytes apart) = A[6 x k] . Bpanel[k][8], the row addresses of A set up by
 * `prologue`. The inner loop is the same for both kinds, so they run at the same speed.
 */
function tileCode(fused: boolean, l: TileLocals, prologue: number[]): number[] {
  const ROW = l.rows, ACC = l.acc, B0 = ACC + 2 * MR, B1 = B0 + 1, AV = B1 + 1;
  const rows = (f: (r: number) => number[]) => Array.from({ length: MR }, (_, r) => f(r)).flat();
  const madd = (acc: number, b: number) => fused
    ? [...get(AV), ...get(b), ...get(acc), ...simd(0x105), ...set(acc)]
    : [...get(AV), ...get(b), ...f32x4Mul, ...get(acc), ...f32x4Add, ...set(acc)];
  return [
    ...get(l.b), ...get(l.k), ...i32Const(4 * NR), ...i32Mul, ...i32Add, ...set(l.end),
    ...prologue,
    0x02, 0x40, 0x03, 0x40,
    ...get(l.b), ...get(l.end), ...i32GeU, 0x0d, 1,
    ...get(l.b), ...v128Load(0), ...set(B0), ...get(l.b), ...v128Load(16), ...set(B1),
    ...rows((r) => [
      ...get(ROW[r]), ...loadSplat32, ...set(AV), ...madd(ACC + 2 * r, B0), ...madd(ACC + 2 * r + 1, B1),
      ...get(ROW[r]), ...i32Const(4), ...i32Add, ...set(ROW[r]),
    ]),
    ...get(l.b), ...i32Const(4 * NR), ...i32Add, ...set(l.b),
    0x0c, 0, 0x0b, 0x0b,
    ...rows((r) => [
      ...(r === 0 ? [] : [...get(l.c), ...get(l.ldc), ...i32Add, ...set(l.c)]),
      ...get(l.c), ...get(ACC + 2 * r), ...v128Store(0), ...get(l.c), ...get(ACC + 2 * r + 1), ...v128Store(16),
    ]),
  ];
}

/** Row r of A at a + r * lda (param 1). */
const stridedRows = STRIDED.rows.slice(1).flatMap((row, r) => [...get(STRIDED.rows[r]), ...get(1), ...i32Add, ...set(row)]);
/** Rows 1-5 from the table at param 0, then row 0 over the table's own address. */
const tabledRows = [
  ...TABLED.rows.slice(1).flatMap((row, r) => [...get(0), ...i32Load(4 * (r + 1)), ...set(row)]),
  ...get(0), ...i32Load(0), ...set(0),
];

/**
 * pack(b, ldb, out, rows, panels, panelStride): `rows` rows of B (ldb bytes apart) into `panels`
 * full 8-column panels, row r of panel p at out + p * panelStride + r * 32. Locals: 6 end of B's
 * rows, 7 source, 8 destination, 9 end of a row's panels.
 */
function packCode(): number[] {
  const END = 6, SRC = 7, DST = 8, ROW_END = 9;
  return [
    ...get(0), ...get(1), ...get(3), ...i32Mul, ...i32Add, ...set(END),
    0x02, 0x40, 0x03, 0x40,
    ...get(0), ...get(END), ...i32GeU, 0x0d, 1,
    ...get(0), ...set(SRC), ...get(2), ...set(DST),
    ...get(0), ...get(4), ...i32Const(4 * NR), ...i32Mul, ...i32Add, ...set(ROW_END),
    0x02, 0x40, 0x03, 0x40,
    ...get(SRC), ...get(ROW_END), ...i32GeU, 0x0d, 1,
    ...get(DST), ...get(SRC), ...v128Load(0), ...v128Store(0), ...get(DST), ...get(SRC), ...v128Load(16), ...v128Store(16),
    ...get(SRC), ...i32Const(4 * NR), ...i32Add, ...set(SRC), ...get(DST), ...get(5), ...i32Add, ...set(DST),
    0x0c, 0, 0x0b, 0x0b,
    ...get(0), ...get(1), ...i32Add, ...set(0), ...get(2), ...i32Const(4 * NR), ...i32Add, ...set(2),
    0x0c, 0, 0x0b, 0x0b,
  ];
}

/**
 * copy(src, srcStride, dst, dstStride, count, bytes): `count` chunks of `bytes` (a multiple of 4),
 * src and dst advancing by their strides; 16 bytes a step, then 4. Locals: 6 source, 7
 * destination, 8 end of the source chunk.
 */
function copyCode(): number[] {
  const S = 6, D = 7, END = 8;
  const step = (bytes: number) => [...get(S), ...i32Const(bytes), ...i32Add, ...set(S), ...get(D), ...i32Const(bytes), ...i32Add, ...set(D)];
  return countDown(4, [
    ...get(0), ...set(S), ...get(2), ...set(D), ...get(0), ...get(5), ...i32Add, ...set(END),
    0x02, 0x40, 0x03, 0x40,
    ...get(END), ...get(S), ...i32Sub, ...i32Const(16), ...i32LtU, 0x0d, 1,
    ...get(D), ...get(S), ...v128Load(0), ...v128Store(0), ...step(16),
    0x0c, 0, 0x0b, 0x0b,
    0x02, 0x40, 0x03, 0x40,
    ...get(S), ...get(END), ...i32GeU, 0x0d, 1,
    ...get(D), ...get(S), ...i32Load(), ...i32Store(), ...step(4),
    0x0c, 0, 0x0b, 0x0b,
    ...get(0), ...get(1), ...i32Add, ...set(0), ...get(2), ...get(3), ...i32Add, ...set(2),
  ]);
}

/**
 * transpose(src, ldSrc, dst, ldDst, rowBlocks, colBlocks): dst[j][i] = src[i][j] over
 * rowBlocks * 4 rows and colBlocks * 4 columns, a 4 x 4 block at a time (four loads, eight
 * shuffles, four stores), along src's rows so only 4 * colBlocks rows of dst are open at once.
 * Locals: 6 source and 7 destination of the block, 8 column blocks left, 9-12 rows, 13-16 pairs.
 */
function transposeCode(): number[] {
  const S = 6, D = 7, LEFT = 8, R = 9, T = 13;
  // 32-bit lanes of (a, b) to bytes of i8x16.shuffle: lanes 0-3 are a's, 4-7 b's.
  const shuffle = (a: number, b: number, lanes: number[]) =>
    [...get(a), ...get(b), ...simd(13, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]))];
  const rowAddress = (i: number) => [...get(S), ...(i === 0 ? [] : [...get(1), ...i32Const(i), ...i32Mul, ...i32Add])];
  const columnAddress = (j: number) => [...get(D), ...(j === 0 ? [] : [...get(3), ...i32Const(j), ...i32Mul, ...i32Add])];
  return countDown(4, [
    ...get(0), ...set(S), ...get(2), ...set(D), ...get(5), ...set(LEFT),
    ...countDown(LEFT, [
      ...[0, 1, 2, 3].flatMap((i) => [...rowAddress(i), ...v128Load(0), ...set(R + i)]),
      ...shuffle(R, R + 1, [0, 4, 1, 5]), ...set(T), ...shuffle(R, R + 1, [2, 6, 3, 7]), ...set(T + 1),
      ...shuffle(R + 2, R + 3, [0, 4, 1, 5]), ...set(T + 2), ...shuffle(R + 2, R + 3, [2, 6, 3, 7]), ...set(T + 3),
      ...columnAddress(0), ...shuffle(T, T + 2, [0, 1, 4, 5]), ...v128Store(0),
      ...columnAddress(1), ...shuffle(T, T + 2, [2, 3, 6, 7]), ...v128Store(0),
      ...columnAddress(2), ...shuffle(T + 1, T + 3, [0, 1, 4, 5]), ...v128Store(0),
      ...columnAddress(3), ...shuffle(T + 1, T + 3, [2, 3, 6, 7]), ...v128Store(0),
      ...get(S), ...i32Const(16), ...i32Add, ...set(S),
      ...get(D), ...get(3), ...i32Const(4), ...i32Mul, ...i32Add, ...set(D),
    ]),
    ...get(0), ...get(1), ...i32Const(4), ...i32Mul, ...i32Add, ...set(0),
    ...get(2), ...i32Const(16), ...i32Add, ...set(2),
  ]);
}

/**
 * rowTable(table, a, lda, rows): the table of six row addresses `tileRows` reads for the last
 * `rows` (< 6) rows of A, row r at a + r * lda, the spare entries repeating row 0. A wasm call, so
 * a lane writes it just before the tiles that read it.
 */
function rowTableCode(): number[] {
  return Array.from({ length: MR }, (_, r) => [
    ...get(0), ...get(1), ...get(2), ...i32Const(r), ...i32Mul, ...i32Const(0), ...i32Const(r), ...get(3), ...i32LtU, 0x1b,
    ...i32Add, ...i32Store(4 * r),
  ]).flat();
}

/**
 * The block loop around `tiles` / `tilesRows` (function `tilesFn`): `tileCount` tiles of six rows
 * in blocks of ROWS_PER_BLOCK rows, every one of `panels` panels of B (k * 32 bytes apart, C's
 * columns 32 bytes apart) passing each block, as the calls from JS did one at a time: a whole
 * part of a product is one recorded call instead of blocks x panels (~60,000 a ResNet-18 batch).
 * `at` are the parameter indices of A (advanced a block at a time by `aStep`), B, C, ldc and k;
 * `count` and `panels` the parameters, then locals tiles-in-block, panels left, panel, C's column.
 */
function gridCode(tilesFn: number, at: { a: number; b: number; c: number; ldc: number; k: number }, aStep: number[], count: number, panels: number, args: number[]): number[] {
  const N = panels + 1, LEFT = N + 1, PANEL = N + 2, COLUMN = N + 3;
  const callArgs = args.map((i) => (i === at.b ? get(PANEL) : i === at.c ? get(COLUMN) : i === count ? get(N) : get(i))).flat();
  return [
    0x02, 0x40, 0x03, 0x40, ...get(count), ...i32Eqz, 0x0d, 1,
    ...i32Const(ROWS_PER_BLOCK / MR), ...get(count), ...get(count), ...i32Const(ROWS_PER_BLOCK / MR), ...i32GeU, 0x1b, ...set(N),
    ...get(at.b), ...set(PANEL), ...get(at.c), ...set(COLUMN), ...get(panels), ...set(LEFT),
    ...countDown(LEFT, [
      ...callArgs, ...call(tilesFn),
      ...get(PANEL), ...get(at.k), ...i32Const(4 * NR), ...i32Mul, ...i32Add, ...set(PANEL),
      ...get(COLUMN), ...i32Const(4 * NR), ...i32Add, ...set(COLUMN),
    ]),
    ...aStep,
    ...get(at.c), ...get(at.ldc), ...i32Const(ROWS_PER_BLOCK), ...i32Mul, ...i32Add, ...set(at.c),
    ...get(count), ...get(N), ...i32Sub, ...set(count),
    0x0c, 0, 0x0b, 0x0b,
  ];
}

/**
 * edgeRows(table, b, tile, c, ldc, k, panels, rows): the last `rows` (< 6) rows of C over `panels`
 * full panels, each through `tileRows` into the 6 x 8 `tile` and the copy of its rows, as the
 * calls from JS did a panel at a time.
 */
function edgeRowsCode(): number[] {
  const [TABLE, B, TILE, C, LDC, K, PANELS, ROWS] = [0, 1, 2, 3, 4, 5, 6, 7];
  return countDown(PANELS, [
    ...get(TABLE), ...get(B), ...get(TILE), ...i32Const(4 * NR), ...get(K), ...call(1),
    ...get(TILE), ...i32Const(4 * NR), ...get(C), ...get(LDC), ...get(ROWS), ...i32Const(4 * NR), ...call(3),
    ...get(B), ...get(K), ...i32Const(4 * NR), ...i32Mul, ...i32Add, ...set(B),
    ...get(C), ...i32Const(4 * NR), ...i32Add, ...set(C),
  ]);
}

/**
 * stackRows(geometry, x, s, rows, taps, tapOffset): `rows` rows of a kernel-row-stacked input
 * (gemm-conv.ts `stackedConv2D`): each S row zeroed, then `taps` kernel rows copied into it, x's
 * rows xRowBytes apart from `x` into S from s + tapOffset + leftBytes, C floats a column, columns
 * runBytes apart; then x advances by ohStepBytes and s by sRowBytes. `geometry` holds i32s:
 * xRowBytes, sRowBytes, cBytes, runBytes, count (columns copied), leftBytes, ohStepBytes.
 */
function stackRowsCode(): number[] {
  const [GEOMETRY, X, S, ROWS, TAPS, OFFSET] = [0, 1, 2, 3, 4, 5];
  const [X_ROW, S_ROW, C_BYTES, RUN, COUNT, LEFT, OH_STEP] = [6, 7, 8, 9, 10, 11, 12];
  const SRC = 13, DST = 14, LEFT_TAPS = 15;
  return [
    ...[X_ROW, S_ROW, C_BYTES, RUN, COUNT, LEFT, OH_STEP].flatMap((local, i) => [...get(GEOMETRY), ...i32Load(4 * i), ...set(local)]),
    ...countDown(ROWS, [
      ...get(S), ...i32Const(0), ...get(S_ROW), ...memoryFill,
      ...get(X), ...set(SRC), ...get(S), ...get(OFFSET), ...i32Add, ...get(LEFT), ...i32Add, ...set(DST), ...get(TAPS), ...set(LEFT_TAPS),
      ...countDown(LEFT_TAPS, [
        ...get(SRC), ...get(C_BYTES), ...get(DST), ...get(RUN), ...get(COUNT), ...get(C_BYTES), ...call(3),
        ...get(SRC), ...get(X_ROW), ...i32Add, ...set(SRC), ...get(DST), ...get(C_BYTES), ...i32Add, ...set(DST),
      ]),
      ...get(X), ...get(OH_STEP), ...i32Add, ...set(X), ...get(S), ...get(S_ROW), ...i32Add, ...set(S),
    ]),
  ];
}

/** local += MR * local `step`. */
const advance = (local: number, step: number) => [...get(local), ...get(step), ...i32Const(MR), ...i32Mul, ...i32Add, ...set(local)];

type Tile = (a: number, lda: number, b: number, c: number, ldc: number, k: number) => void;
type TileRows = (table: number, b: number, c: number, ldc: number, k: number) => void;
type Pack = (b: number, ldb: number, out: number, rows: number, panels: number, panelStride: number) => void;
type Transpose = (src: number, ldSrc: number, dst: number, ldDst: number, rowBlocks: number, colBlocks: number) => void;
type Copy = (src: number, srcStride: number, dst: number, dstStride: number, count: number, bytes: number) => void;
type RowTable = (table: number, a: number, lda: number, rows: number) => void;
type Grid = (a: number, lda: number, b: number, c: number, ldc: number, k: number, count: number, panels: number) => void;
type GridRows = (table: number, b: number, c: number, ldc: number, k: number, count: number, panels: number) => void;
type EdgeRows = (table: number, b: number, tile: number, c: number, ldc: number, k: number, panels: number, rows: number) => void;
type StackRows = (geometry: number, x: number, s: number, rows: number, taps: number, tapOffset: number) => void;

const modules = new Map<string, WebAssembly.Module>();

function gemmModule(fused: boolean, shared: boolean): WebAssembly.Module {
  const key = `${fused}/${shared}`;
  let module = modules.get(key);
  if (module === undefined) {
    module = assembleModule([
      { name: "tile", params: [I32, I32, I32, I32, I32, I32], locals: [[6, I32], [15, V128]], code: tileCode(fused, STRIDED, stridedRows) },
      { name: "tileRows", params: [I32, I32, I32, I32, I32], locals: [[6, I32], [15, V128]], code: tileCode(fused, TABLED, tabledRows) },
      { name: "pack", params: [I32, I32, I32, I32, I32, I32], locals: [[4, I32]], code: packCode() },
      { name: "copy", params: [I32, I32, I32, I32, I32, I32], locals: [[3, I32]], code: copyCode() },
      { name: "transpose", params: [I32, I32, I32, I32, I32, I32], locals: [[3, I32], [8, V128]], code: transposeCode() },
      { name: "rowTable", params: [I32, I32, I32, I32], locals: [], code: rowTableCode() },
      // A column of `count` tiles per call (A's rows and C's advancing six rows a tile): one call
      // from JS per panel instead of one per tile, which cost ~25% at depth 32.
      {
        name: "tiles", params: [I32, I32, I32, I32, I32, I32, I32], locals: [],
        code: countDown(6, [...[0, 1, 2, 3, 4, 5].flatMap(get), ...call(0), ...advance(0, 1), ...advance(3, 4)]),
      },
      {
        name: "tilesRows", params: [I32, I32, I32, I32, I32, I32], locals: [],
        code: countDown(5, [...[0, 1, 2, 3, 4].flatMap(get), ...call(1), ...get(0), ...i32Const(4 * MR), ...i32Add, ...set(0), ...advance(2, 3)]),
      },
      {
        name: "grid", params: new Array(8).fill(I32), locals: [[4, I32]],
        code: gridCode(6, { a: 0, b: 2, c: 3, ldc: 4, k: 5 }, [...get(0), ...get(1), ...i32Const(ROWS_PER_BLOCK), ...i32Mul, ...i32Add, ...set(0)], 6, 7, [0, 1, 2, 3, 4, 5, 6]),
      },
      {
        name: "gridRows", params: new Array(7).fill(I32), locals: [[4, I32]],
        code: gridCode(7, { a: 0, b: 1, c: 2, ldc: 3, k: 4 }, [...get(0), ...i32Const(4 * ROWS_PER_BLOCK), ...i32Add, ...set(0)], 5, 6, [0, 1, 2, 3, 4, 5]),
      },
      { name: "edgeRows", params: new Array(8).fill(I32), locals: [], code: edgeRowsCode() },
      { name: "stackRows", params: new Array(6).fill(I32), locals: [[10, I32]], code: stackRowsCode() },
    ], { shared });
    modules.set(key, module);
  }
  return module;
}

/** The fused variant where the runtime compiles relaxed SIMD, else separate multiply and add. */
export function gemmVariant(): GemmVariant {
  try {
    gemmModule(true, false);
    return "relaxed-fma";
  } catch {
    return "simd-mul-add";
  }
}

/** Byte offsets of the buffers `multiply` works in (all on the same heap). */
export interface GemmBuffers {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  /** Scratch of at least `gemmScratchFloats(n, k)` floats. */
  readonly scratch: number;
}

/** Floats of scratch `multiply` needs: B's panels and the edge tiles. */
export function gemmScratchFloats(n: number, k: number): number {
  return packedFloats(n, k) + EDGE_SCRATCH_FLOATS;
}

/** Floats of B[k x n] packed into 8-column panels. */
export function packedFloats(n: number, k: number): number {
  return Math.ceil(n / NR) * NR * k;
}

/**
 * Bytes of scratch one lane of a product uses: a table of six row addresses (eight words), then a
 * tile of C. Products that follow each other in a lane may share it.
 */
export const LANE_SCRATCH_BYTES = (8 + MR * NR) * 4;

/** Floats of scratch a product split between lanes (`multiplyPacked`, `multiplyRows`) needs for its edge tiles. */
export const EDGE_SCRATCH_FLOATS = (2 * LANE_SCRATCH_BYTES) / 4;

/** Rows of C per tile: `multiplyRows` reads its table in runs of this many addresses. */
export const TILE_ROWS = MR;

/** Columns per packed panel of B. */
export const PANEL_COLUMNS = NR;

/** The part of a product one lane computes: output rows (from a multiple of 6) and panels. */
interface Part {
  readonly rows: readonly [number, number];
  readonly panels: readonly [number, number];
}

/** Multiply-adds below which a product stays in one lane: ~10 us of work, a handover's order. */
const MIN_SPLIT_WORK = 1 << 18;

/**
 * A product's tiles in two parts, each output in exactly one: by panels when there are two or
 * more, else by rows; a small product whole in the first. Every output is summed over k in order
 * by the same kernel whichever part holds it, so the partition never changes a bit.
 */
function partition(m: number, n: number, k: number): readonly [Part, Part] {
  const panels = Math.ceil(n / NR);
  if (m * n * k < MIN_SPLIT_WORK) return [{ rows: [0, m], panels: [0, panels] }, { rows: [0, 0], panels: [0, 0] }];
  if (panels >= 2) {
    const [first] = halves(panels);
    return [{ rows: [0, m], panels: [0, first] }, { rows: [0, m], panels: [first, panels] }];
  }
  const [first] = halves(m, MR);
  return [{ rows: [0, first], panels: [0, panels] }, { rows: [first, m], panels: [0, panels] }];
}

/**
 * C[m x n] = A[m x k] . B[k x n], row-major and contiguous, on `memory` (the wasm backend's heap).
 * B is packed into 8-column panels (zero-padded); full 6 x 8 tiles of C are written in place,
 * edge tiles through a scratch. Products split between two lanes (kernels/parallel.ts): with a
 * helper thread on the heap each runs half of the tiles, with the same bits as one thread.
 */
export class SimdGemm {
  readonly #tile: Tile;
  readonly #tileRows: TileRows;
  readonly #packFull: Pack;
  readonly #transposeBlocks: Transpose;
  readonly #rowTable: RowTable;
  readonly #grid: Grid;
  readonly #gridRows: GridRows;
  readonly #edgeRows: EdgeRows;
  /** Strided chunk copy (see copyCode). */
  readonly copy: Copy;
  /** Rows of a kernel-row-stacked input (see stackRowsCode). */
  readonly stackRows: StackRows;

  constructor(readonly memory: WebAssembly.Memory, readonly variant: GemmVariant) {
    ({
      tile: this.#tile, tileRows: this.#tileRows, pack: this.#packFull, copy: this.copy,
      transpose: this.#transposeBlocks, rowTable: this.#rowTable, grid: this.#grid, gridRows: this.#gridRows, edgeRows: this.#edgeRows,
      stackRows: this.stackRows,
    } = instantiate(gemmModule(variant === "relaxed-fma", isSharedMemory(memory)), memory) as unknown as {
      tile: Tile; tileRows: TileRows; pack: Pack; copy: Copy; transpose: Transpose; rowTable: RowTable;
      grid: Grid; gridRows: GridRows; edgeRows: EdgeRows; stackRows: StackRows;
    });
  }

  multiply(m: number, n: number, k: number, at: GemmBuffers): void {
    const panels = Math.ceil(n / NR);
    this.#pack(at.b, at.scratch, n, k, panels);
    this.multiplyPacked(m, n, k, at.a, at.scratch, at.c, at.scratch + panels * k * NR * 4);
  }

  /**
   * Rows of B into full panels: `rows` rows ldb bytes apart, `panels` x 8 columns, row r of
   * panel p written at out + p * panelStride + r * 32 (all byte addresses). Lets a caller pack a
   * B whose rows are not evenly spaced, a run of rows at a time.
   */
  packRows(b: number, ldb: number, out: number, rows: number, panels: number, panelStride: number): void {
    this.#packFull(b, ldb, out, rows, panels, panelStride);
  }

  /** `packRows` recorded into a lane. */
  queuePackRows(lane: Lane, b: number, ldb: number, out: number, rows: number, panels: number, panelStride: number): void {
    lane.call(this.#packFull, b, ldb, out, rows, panels, panelStride);
  }

  /**
   * C[m x n] = A[m x k] . B, B already packed (ceil(n / 8) panels of k rows, panel p at
   * packed + p * k * 32), A's rows lda bytes apart; `scratch` holds `EDGE_SCRATCH_FLOATS` floats.
   * Byte addresses. Split between the threads.
   */
  multiplyPacked(m: number, n: number, k: number, a: number, packed: number, c: number, scratch: number, lda = k * 4): void {
    const split = new Split(this.memory);
    this.splitPacked(split, m, n, k, a, packed, c, scratch, lda);
    split.run();
  }

  /** `multiplyPacked`'s calls recorded into both lanes of `split`, half the tiles each. */
  splitPacked(split: Split, m: number, n: number, k: number, a: number, packed: number, c: number, scratch: number, lda = k * 4): void {
    partition(m, n, k).forEach((part, i) => this.#packedPart(split.lanes[i], part, m, n, k, a, packed, c, scratch + i * LANE_SCRATCH_BYTES, lda));
  }

  /** `multiplyPacked`'s calls recorded into one lane (a whole product on one thread); `scratch` holds `LANE_SCRATCH_BYTES`. */
  queuePacked(lane: Lane, m: number, n: number, k: number, a: number, packed: number, c: number, scratch: number, lda = k * 4): void {
    this.#packedPart(lane, { rows: [0, m], panels: [0, Math.ceil(n / NR)] }, m, n, k, a, packed, c, scratch, lda);
  }

  /**
   * C[m x n] = A . B with A's rows anywhere on the heap: row r of A is the k floats at the byte
   * address table[r] (an i32 array of ceil(m / 6) * 6 entries, the last tile's spare entries any
   * valid address). B is packed as for `multiplyPacked`; `scratch` holds `EDGE_SCRATCH_FLOATS`
   * floats. Split between the threads.
   */
  multiplyRows(m: number, n: number, k: number, table: number, packed: number, c: number, scratch: number): void {
    const split = new Split(this.memory);
    partition(m, n, k).forEach((part, i) => this.#rowsPart(split.lanes[i], part, m, n, k, table, packed, c, scratch + i * LANE_SCRATCH_BYTES));
    split.run();
  }

  /**
   * dst[cols x rows] = src[rows x cols]^T (byte offsets, row-major, not overlapping; dst's rows
   * `dstPitch` bytes apart): SIMD 4 x 4 blocks, the last rows % 4 and cols % 4 one float at a time.
   * The stock wasm `Transpose` moves ~0.3 floats/ns on a [50176, 32] matrix, a filter gradient's
   * output gradient.
   */
  transpose(src: number, rows: number, cols: number, dst: number, dstPitch = rows * 4): void {
    const rowBlocks = rows >> 2, colBlocks = cols >> 2;
    this.#transposeBlocks(src, cols * 4, dst, dstPitch, rowBlocks, colBlocks);
    const heap = new Float32Array(this.memory.buffer);
    const from = src / 4, to = dst / 4, pitch = dstPitch / 4;
    for (let i = 0; i < rows; i++) {
      for (let j = i < rowBlocks * 4 ? colBlocks * 4 : 0; j < cols; j++) heap[to + j * pitch + i] = heap[from + i * cols + j];
    }
  }

  /** `transpose` recorded into a lane; rows and cols multiples of 4. */
  queueTranspose(lane: Lane, src: number, rows: number, cols: number, dst: number, dstPitch = rows * 4): void {
    if (rows % 4 !== 0 || cols % 4 !== 0) throw new Error(`xfer wasm: a recorded transpose takes whole 4 x 4 blocks, got ${rows} x ${cols}`);
    lane.call(this.#transposeBlocks, src, cols * 4, dst, dstPitch, rows >> 2, cols >> 2);
  }

  /** B[k x n] (byte offset `b`, row-major) into the panels `multiplyPacked` and `multiplyRows` read. */
  pack(b: number, n: number, k: number, out: number): void {
    this.#pack(b, out, n, k, Math.ceil(n / NR));
  }

  /**
   * The tiles of `part`: the full ones in one `grid` call (96-row blocks of A, every full panel
   * passing each block); tiles of a partial last panel through the lane's tile in `scratch` and
   * the wasm copy; the last m % 6 rows through a table of their addresses in `scratch` too.
   */
  #packedPart(lane: Lane, part: Part, m: number, n: number, k: number, a: number, packed: number, c: number, scratch: number, lda: number): void {
    const [rowFrom, rowTo] = part.rows, [panelFrom, panelTo] = part.panels;
    if (rowFrom >= rowTo || panelFrom >= panelTo) return;
    const panelBytes = k * NR * 4, ldc = n * 4;
    const fullRows = m - (m % MR), fullPanels = Math.floor(n / NR);
    const table = scratch, tileAt = scratch + 8 * 4;
    const fullEnd = Math.min(rowTo, fullRows), fullPanelEnd = Math.min(panelTo, fullPanels);
    if (fullEnd > rowFrom && fullPanelEnd > panelFrom) {
      lane.call(this.#grid, a + rowFrom * lda, lda, packed + panelFrom * panelBytes, c + rowFrom * ldc + panelFrom * NR * 4, ldc, k, (fullEnd - rowFrom) / MR, fullPanelEnd - panelFrom);
    }
    if (panelTo > fullPanels) {
      for (let row = rowFrom; row < fullEnd; row += MR) {
        lane.call(this.#tile, a + row * lda, lda, packed + fullPanels * panelBytes, tileAt, NR * 4, k);
        lane.call(this.copy, tileAt, NR * 4, c + row * ldc + fullPanels * NR * 4, ldc, MR, (n - fullPanels * NR) * 4);
      }
    }
    if (rowTo <= fullRows) return;
    lane.call(this.#rowTable, table, a + fullRows * lda, lda, m - fullRows);
    this.#edge(lane, table, panelFrom, panelTo, m, n, k, packed, c + fullRows * ldc, tileAt);
  }

  /**
   * The last m % 6 rows of C (from `c`), their A rows' addresses in `table`: the full panels in one
   * `edgeRows` call, a partial last panel through the tile and the copy of its columns.
   */
  #edge(lane: Lane, table: number, panelFrom: number, panelTo: number, m: number, n: number, k: number, packed: number, c: number, tileAt: number): void {
    const rows = m % MR, panelBytes = k * NR * 4, fullPanels = Math.floor(n / NR);
    const fullPanelEnd = Math.min(panelTo, fullPanels);
    if (fullPanelEnd > panelFrom) lane.call(this.#edgeRows, table, packed + panelFrom * panelBytes, tileAt, c + panelFrom * NR * 4, n * 4, k, fullPanelEnd - panelFrom, rows);
    if (panelTo <= fullPanels) return;
    lane.call(this.#tileRows, table, packed + fullPanels * panelBytes, tileAt, NR * 4, k);
    lane.call(this.copy, tileAt, NR * 4, c + fullPanels * NR * 4, n * 4, rows, (n - fullPanels * NR) * 4);
  }

  /** The tiles of `part` read through the caller's table of row addresses, as `#packedPart` arranges them. */
  #rowsPart(lane: Lane, part: Part, m: number, n: number, k: number, table: number, packed: number, c: number, scratch: number): void {
    const [rowFrom, rowTo] = part.rows, [panelFrom, panelTo] = part.panels;
    if (rowFrom >= rowTo || panelFrom >= panelTo) return;
    const fullPanels = Math.floor(n / NR), fullRows = m - (m % MR);
    const ldc = n * 4, tileAt = scratch + 8 * 4, panelBytes = k * NR * 4;
    const fullEnd = Math.min(rowTo, fullRows), fullPanelEnd = Math.min(panelTo, fullPanels);
    if (fullEnd > rowFrom && fullPanelEnd > panelFrom) {
      lane.call(this.#gridRows, table + rowFrom * 4, packed + panelFrom * panelBytes, c + rowFrom * ldc + panelFrom * NR * 4, ldc, k, (fullEnd - rowFrom) / MR, fullPanelEnd - panelFrom);
    }
    if (panelTo > fullPanels) {
      for (let row = rowFrom; row < fullEnd; row += MR) {
        lane.call(this.#tileRows, table + row * 4, packed + fullPanels * panelBytes, tileAt, NR * 4, k);
        lane.call(this.copy, tileAt, NR * 4, c + row * ldc + fullPanels * NR * 4, ldc, MR, (n - fullPanels * NR) * 4);
      }
    }
    if (rowTo > fullRows) this.#edge(lane, table + fullRows * 4, panelFrom, panelTo, m, n, k, packed, c + fullRows * ldc, tileAt);
  }

  /** B[k x n] (byte offset `b`) into panels[p][k][8] (byte offset `out`), the last one zero-padded. */
  #pack(b: number, out: number, n: number, k: number, panels: number): void {
    const full = Math.floor(n / NR);
    if (full > 0) this.#packFull(b, n * 4, out, k, full, k * NR * 4);
    if (full === panels) return;
    const heap = new Float32Array(this.memory.buffer);
    const panel = out / 4 + full * k * NR;
    heap.fill(0, panel, panel + k * NR);
    for (let row = 0; row < k; row++) heap.copyWithin(panel + row * NR, b / 4 + row * n + full * NR, b / 4 + row * n + n);
  }
}

const gemms = new WeakMap<WebAssembly.Memory, SimdGemm>();

/** The GEMM over `memory`, made once per heap. */
export function gemmOn(memory: WebAssembly.Memory): SimdGemm {
  let gemm = gemms.get(memory);
  if (gemm === undefined) gemms.set(memory, (gemm = new SimdGemm(memory, gemmVariant())));
  return gemm;
}
