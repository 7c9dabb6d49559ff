/**
 * Winograd's F(4x4, 3x3) transforms for eval-time convolutions (`FusedConv2D` with a prepared
 * filter, fused-conv.ts): each 4x4 block of output from a 6x6 block of input through 36 products
 * in the transformed domain, 36 multiply-adds per 16 outputs where F(2x2, 3x3) takes 64 (1.78x
 * fewer) and a direct convolution 144. The price is accuracy: the transforms multiply by 4, 5 and
 * fractions of 6 and 24, so outputs differ from the direct convolution by a few 1e-6 relative
 * (docs/determinism.md) where F(2x2, 3x3) differs by a few float32 roundings; training keeps
 * F(2x2, 3x3) throughout (winograd.ts). Same layout and calling convention as winograd.ts's
 * transforms, generated from the matrices: each output a fixed sum of its nonzero terms in order.
 *
 * Matrices (Lavin & Gray 2016, points 0, +-1, +-2): V = B^T d B, U = G g G^T, y = A^T (V . U) A.
 */
import {
  countDown, f32x4Add, f32x4Const, f32x4Mul, f32x4Sub, get, I32, i32Add, i32And, i32Const, i32Mul, i32ShrU, instancePerMemory, set, simd, upTo, V128,
  v128Load, v128Store, whileBelow,
} from "../../../../core/wasm/assembler.ts";
import { CLAMP, type EpilogueActivation } from "./epilogue.ts";

const BT = [
  [4, 0, -5, 0, 1, 0],
  [0, -4, -4, 1, 1, 0],
  [0, 4, -4, -1, 1, 0],
  [0, -2, -1, 2, 1, 0],
  [0, 2, -1, -2, 1, 0],
  [0, 4, 0, -5, 0, 1],
];
const G = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];
const AT = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, 2, -2, 0],
  [0, 1, 1, 4, 4, 0],
  [0, 1, -1, 8, -8, 1],
];

/** Tile of output (m) and of input (alpha) per dimension. */
export const F4 = { m: 4, alpha: 6 } as const;

const f32x4Neg = simd(225);
const SIX = [0, 1, 2, 3, 4, 5];

/** sum_k coefficients[k] * terms[k] over the nonzero coefficients, in order of k (f32x4). */
function combine(coefficients: readonly number[], terms: readonly number[][]): number[] {
  const scaled = (c: number, term: number[]) => (Math.abs(c) === 1 ? term : [...term, ...f32x4Const(Math.abs(c)), ...f32x4Mul]);
  const out: number[] = [];
  let first = true;
  coefficients.forEach((c, k) => {
    if (c === 0) return;
    if (first) {
      out.push(...scaled(c, terms[k]), ...(c < 0 ? f32x4Neg : []));
      first = false;
    } else {
      out.push(...scaled(c, terms[k]), ...(c < 0 ? f32x4Sub : f32x4Add));
    }
  });
  return out;
}

const addTo = (local: number, step: number[]) => [...get(local), ...step, ...i32Add, ...set(local)];
const times = (local: number, k: number) => (k === 0 ? i32Const(0) : k === 1 ? get(local) : [...get(local), ...i32Const(k), ...i32Mul]);

/**
 * input(src, rowBytes, tiles, cBytes, dst, matStride, rows): `rows` rows of `tiles` 6x6 input
 * tiles (tile rows 4 * rowBytes apart, the one at column 4t reading src + t * 4 * cBytes) into
 * V[36][tile][C] at dst (matrices matStride bytes apart, tiles cBytes apart, row after row).
 */
function inputCode(): number[] {
  const [SRC, ROW, TILES, CB, DST, MAT, ROWS] = [0, 1, 2, 3, 4, 5, 6];
  const C = 7, BASE = 8, OUT = 9, ROW_SRC = 10, LEFT = 11;
  const D = 12, T = D + 36; // v128 d[6][6], t[6] (a row of B^T d)
  const d = (i: number, j: number) => D + 6 * i + j;
  const body = [
    ...get(SRC), ...get(C), ...i32Add, ...set(BASE), ...get(DST), ...get(C), ...i32Add, ...set(OUT),
    ...SIX.flatMap((i) => SIX.flatMap((j) => [...get(BASE), ...times(ROW, i), ...i32Add, ...times(CB, j), ...i32Add, ...v128Load(), ...set(d(i, j))])),
    ...SIX.flatMap((i) => [
      ...SIX.flatMap((j) => [...combine(BT[i], SIX.map((k) => get(d(k, j)))), ...set(T + j)]),
      // Row i of (B^T d) B: matrices 6i + j, in order.
      ...SIX.flatMap((j) => [...get(OUT), ...combine(BT[j], SIX.map((k) => get(T + k))), ...v128Store(), ...addTo(OUT, get(MAT))]),
    ]),
  ];
  return countDown(ROWS, [
    ...get(SRC), ...set(ROW_SRC), ...get(TILES), ...set(LEFT),
    ...countDown(LEFT, [...upTo(C, CB, 16, body), ...addTo(SRC, times(CB, 4)), ...addTo(DST, get(CB))]),
    ...get(ROW_SRC), ...times(ROW, 4), ...i32Add, ...set(SRC),
  ]);
}

/**
 * output(m, matStride, tiles, coBytes, dst, rowBytes, rows[, bias]): `rows` rows of `tiles` tiles
 * of M[36][tile][Co] at m into 4x4 blocks of y at dst (rows rowBytes apart, block t at column 4t,
 * a tile row four rows of y); with an `epilogue`, act(output + bias) as epilogue.ts's pass.
 */
function outputCode(epilogue?: EpilogueActivation): number[] {
  const [M, MAT, TILES, CB, DST, ROW, ROWS, BIAS] = [0, 1, 2, 3, 4, 5, 6, 7];
  const first = epilogue === undefined ? 7 : 8;
  const C = first, BASE = first + 1, OUT = first + 2, ROW_DST = first + 3, LEFT = first + 4;
  const MV = first + 5, S = MV + 36, BV = S + 24; // v128 m[6][6], s[4][6] (A^T m), the bias
  const mv = (i: number, j: number) => MV + 6 * i + j, s = (i: number, j: number) => S + 6 * i + j;
  const finish = epilogue === undefined ? [] : [...get(BV), ...f32x4Add, ...CLAMP[epilogue]];
  const body = [
    ...get(M), ...get(C), ...i32Add, ...set(BASE), ...get(DST), ...get(C), ...i32Add, ...set(OUT),
    ...(epilogue === undefined ? [] : [...get(BIAS), ...get(C), ...i32Add, ...v128Load(), ...set(BV)]),
    ...SIX.flatMap((i) => SIX.flatMap((j) => [...get(BASE), ...times(MAT, 6 * i + j), ...i32Add, ...v128Load(), ...set(mv(i, j))])),
    ...[0, 1, 2, 3].flatMap((i) => SIX.flatMap((j) => [...combine(AT[i], SIX.map((k) => get(mv(k, j)))), ...set(s(i, j))])),
    ...[0, 1, 2, 3].flatMap((i) => [0, 1, 2, 3].flatMap((j) => [
      ...get(OUT), ...times(ROW, i), ...i32Add, ...times(CB, j), ...i32Add,
      ...combine(AT[j], SIX.map((k) => get(s(i, k)))), ...finish, ...v128Store(),
    ])),
  ];
  return countDown(ROWS, [
    ...get(DST), ...set(ROW_DST), ...get(TILES), ...set(LEFT),
    ...countDown(LEFT, [...upTo(C, CB, 16, body), ...addTo(M, get(CB)), ...addTo(DST, times(CB, 4))]),
    ...get(ROW_DST), ...times(ROW, 4), ...i32Add, ...set(DST),
  ]);
}

/**
 * filter(w, channels, coBytes, u, matStride, from, end): U = G g G^T of a [3, 3, C, Co] filter into
 * 36 matrices [C, Co] in the GEMM's packed 8-column panels (as winograd.ts's `filter`), the output
 * channels from byte `from` to `end` of a row.
 */
function filterCode(): number[] {
  const [W, CHANNELS, CB, U, MAT, FROM, END] = [0, 1, 2, 3, 4, 5, 6];
  const CO = 7, BASE = 8, OUT = 9, TAP = 10, C = 11;
  const GV = 12, T = GV + 9; // v128 g[3][3], t[6][3] (G g)
  const g = (i: number, j: number) => GV + 3 * i + j, t = (i: number, j: number) => T + 3 * i + j;
  const THREE = [0, 1, 2];
  const body = [
    ...get(W), ...get(C), ...get(CB), ...i32Mul, ...i32Add, ...get(CO), ...i32Add, ...set(BASE),
    ...get(U), ...get(CO), ...i32Const(5), ...i32ShrU, ...get(CHANNELS), ...i32Mul, ...get(C), ...i32Add, ...i32Const(32), ...i32Mul, ...i32Add,
    ...get(CO), ...i32Const(16), ...i32And, ...i32Add, ...set(OUT),
    ...THREE.flatMap((i) => THREE.flatMap((j) => [...get(BASE), ...times(TAP, 3 * i + j), ...i32Add, ...v128Load(), ...set(g(i, j))])),
    ...SIX.flatMap((i) => THREE.flatMap((j) => [...combine(G[i], THREE.map((k) => get(g(k, j)))), ...set(t(i, j))])),
    ...SIX.flatMap((i) => SIX.flatMap((j) => [
      ...get(OUT), ...times(MAT, 6 * i + j), ...i32Add, ...combine(G[j], THREE.map((k) => get(t(i, k)))), ...v128Store(),
    ])),
  ];
  return [
    ...get(CHANNELS), ...get(CB), ...i32Mul, ...set(TAP),
    ...get(FROM), ...set(CO),
    ...whileBelow(CO, END, 16, upTo(C, CHANNELS, 1, body)),
  ];
}

type Output = (m: number, matStride: number, tiles: number, coBytes: number, dst: number, rowBytes: number, rows: number, bias?: number) => void;

export interface TransformsF4 extends Record<`output-${EpilogueActivation}`, Output> {
  input(src: number, rowBytes: number, tiles: number, cBytes: number, dst: number, matStride: number, rows: number): void;
  output: Output;
  filter(w: number, channels: number, coBytes: number, u: number, matStride: number, from: number, end: number): void;
}

export const transformsF4 = instancePerMemory<TransformsF4>(() => [
  { name: "input", params: new Array(7).fill(I32), locals: [[5, I32], [42, V128]], code: inputCode() },
  { name: "output", params: new Array(7).fill(I32), locals: [[5, I32], [60, V128]], code: outputCode() },
  ...(["linear", "relu", "relu6"] as const).map((activation) => (
    { name: `output-${activation}`, params: new Array(8).fill(I32), locals: [[5, I32], [61, V128]] as const, code: outputCode(activation) }
  )),
  { name: "filter", params: new Array(7).fill(I32), locals: [[5, I32], [27, V128]], code: filterCode() },
]);
