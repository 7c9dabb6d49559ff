/**
 * `MaxPoolGrad` for wasm as one pass over the heap: each window's first strict maximum (row-major
 * scan, as the cpu backend picks it) receives that window's output gradient. All channels of a
 * window position are scanned together, so the input is read in memory order; with a channel count
 * divisible by 4 the scan of a window is a SIMD kernel (four channels per compare and select),
 * otherwise plain JS. The stock kernel took ~20% of a tiny-CNN training step.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { f32x4Const, get, I32, i32Add, i32Const, i32x4Const, instancePerMemory, set, simd, upTo, V128, v128Load } from "../../../../core/wasm/assembler.ts";
import { Composer, heapMemory } from "./compose.ts";

type PoolInfo = backend_util.Conv2DInfo;

/**
 * window(x, g, delta, rows, cols, rowBytes, cBytes): for each block of 4 channels, the first
 * strict maximum over `rows` x `cols` positions starting at byte address x (positions cBytes
 * apart, rows rowBytes apart) gets g's 4 values added at its address + delta (dx - x).
 * Locals: 7 channel byte offset, 8 row start, 9 position, 10 row, 11 column, 12 lane address,
 * 13 best, 14 its address, 15 value, 16 mask.
 */
function windowCode(): number[] {
  const CH = 7, ROW_AT = 8, P = 9, R = 10, COL = 11, A = 12, BEST = 13, AT = 14, V = 15, MASK = 16;
  const lane = (l: number) => [
    ...get(AT), ...simd(27, l), ...set(A),
    ...get(A), ...i32Const(-1), 0x47, 0x04, 0x40, // if (address != -1)
    ...get(A), ...get(2), ...i32Add,
    ...get(A), ...get(2), ...i32Add, 0x2a, 2, 0, // f32.load dx
    ...get(1), ...get(CH), ...i32Add, 0x2a, 2, 4 * l, // f32.load g[lane]
    0x92, 0x38, 2, 0, // f32.add, f32.store
    0x0b,
  ];
  return upTo(CH, 6, 16, [
    ...f32x4Const(-Infinity), ...set(BEST), ...i32x4Const(-1, -1, -1, -1), ...set(AT),
    ...get(0), ...get(CH), ...i32Add, ...set(ROW_AT),
    ...upTo(R, 3, 1, [
      ...get(ROW_AT), ...set(P),
      ...upTo(COL, 4, 1, [
        ...get(P), ...v128Load(), ...set(V),
        ...get(V), ...get(BEST), ...simd(0x44), ...set(MASK), // f32x4.gt
        ...get(V), ...get(BEST), ...get(MASK), ...simd(0x52), ...set(BEST), // bitselect
        ...get(P), ...simd(0x11), ...i32x4Const(0, 4, 8, 12), ...simd(0xae), ...get(AT), ...get(MASK), ...simd(0x52), ...set(AT),
        ...get(P), ...get(6), ...i32Add, ...set(P),
      ]),
      ...get(ROW_AT), ...get(5), ...i32Add, ...set(ROW_AT),
    ]),
    ...lane(0), ...lane(1), ...lane(2), ...lane(3),
  ]);
}

type Window = (x: number, g: number, delta: number, rows: number, cols: number, rowBytes: number, cBytes: number) => void;

const windowKernel = instancePerMemory<{ window: Window }>(() => [
  { name: "window", params: [I32, I32, I32, I32, I32, I32, I32], locals: [[6, I32], [4, V128]], code: windowCode() },
]);

/** Visits every window: its clamped first row and column, row and column counts, and output offset. */
function forEachWindow(info: PoolInfo, visit: (b: number, r0: number, c0: number, rows: number, cols: number, o: number) => void): void {
  const { batchSize, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW, inChannels: C } = info;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < OH; oh++) {
      const top = oh * info.strideHeight - info.padInfo.top;
      const r0 = Math.max(0, top);
      const rows = Math.min(H, top + info.filterHeight) - r0;
      for (let ow = 0; ow < OW; ow++) {
        const left = ow * info.strideWidth - info.padInfo.left;
        const c0 = Math.max(0, left);
        visit(b, r0, c0, rows, Math.min(W, left + info.filterWidth) - c0, ((b * OH + oh) * OW + ow) * C);
      }
    }
  }
}

function maxPoolGrad({ inputs, backend, attrs }: { inputs: { dy: TensorInfo; input: TensorInfo }; backend: BackendWasm; attrs: MaxPoolGradAttrs }): TensorInfo {
  const c = new Composer(backend);
  const { dy, input } = inputs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode,
  );
  const { inHeight: H, inWidth: W, inChannels: C } = info;
  const out = c.zeros(input.shape);
  const x = c.view(input);
  const g = c.view(dy);
  const dx = c.view(out);
  if (C % 4 === 0) {
    const { window } = windowKernel(heapMemory(backend));
    const delta = dx.byteOffset - x.byteOffset;
    forEachWindow(info, (b, r0, c0, rows, cols, o) => {
      if (rows > 0 && cols > 0) window(x.byteOffset + ((b * H + r0) * W + c0) * C * 4, g.byteOffset + o * 4, delta, rows, cols, W * C * 4, C * 4);
    });
    return out;
  }
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  forEachWindow(info, (b, r0, c0, rows, cols, o) => {
    best.fill(-Infinity);
    at.fill(-1);
    for (let r = r0; r < r0 + rows; r++) {
      for (let col = c0; col < c0 + cols; col++) {
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
    for (let ch = 0; ch < C; ch++) if (at[ch] >= 0) dx[at[ch]] += g[o + ch];
  });
  return out;
}

export const maxPoolGradKernel: KernelConfig = {
  kernelName: MaxPoolGrad, backendName: "wasm", kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
