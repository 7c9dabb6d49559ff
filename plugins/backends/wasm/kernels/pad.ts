/**
 * Zero padding of an NHWC tensor by xfer's lanes (kernels/parallel.ts): the images in halves, one
 * per lane, each padded image written by one wasm call of bulk-memory fills and copies (a row's
 * pixels are one contiguous copy). Stock `PadV2` ran on the calling thread alone before every
 * Winograd layer, ~3 ms of a ResNet-18 64px inference batch on two threads. Exact copies, so the
 * bits of everything after are those of `PadV2`.
 */
import type { TensorInfo } from "@tensorflow/tfjs";
import { countDown, get, I32, i32Add, i32Const, i32Sub, instancePerMemory, memoryCopy, memoryFill, set } from "../../../../core/wasm/assembler.ts";
import { type Composer, heapMemory } from "./compose.ts";
import { halves, Split } from "./parallel.ts";

/**
 * padImage(src, dst, rows, rowBytes, leftBytes, paddedRowBytes, topBytes, bottomBytes): `topBytes`
 * of zeros, then each of `rows` rows of `rowBytes` between `leftBytes` of zeros and zeros to
 * `paddedRowBytes`, then `bottomBytes` of zeros.
 */
function padImageCode(): number[] {
  const [SRC, DST, ROWS, ROW, LEFT, PADDED, TOP, BOTTOM] = [0, 1, 2, 3, 4, 5, 6, 7];
  const zeros = (at: number[], bytes: number[]) => [...at, ...i32Const(0), ...bytes, ...memoryFill];
  const advance = (local: number, bytes: number[]) => [...get(local), ...bytes, ...i32Add, ...set(local)];
  const afterRow = [...get(DST), ...get(LEFT), ...i32Add, ...get(ROW), ...i32Add];
  return [
    ...zeros(get(DST), get(TOP)), ...advance(DST, get(TOP)),
    ...countDown(ROWS, [
      ...zeros(get(DST), get(LEFT)),
      ...get(DST), ...get(LEFT), ...i32Add, ...get(SRC), ...get(ROW), ...memoryCopy,
      ...zeros(afterRow, [...get(PADDED), ...get(LEFT), ...i32Sub, ...get(ROW), ...i32Sub]),
      ...advance(SRC, get(ROW)), ...advance(DST, get(PADDED)),
    ]),
    ...zeros(get(DST), get(BOTTOM)),
  ];
}

const padKernels = instancePerMemory<{ padImage: (...args: number[]) => void }>(() => [
  { name: "padImage", params: new Array(8).fill(I32), locals: [], code: padImageCode() },
]);

/** x [N, H, W, C] zero-padded by `top`, `bottom`, `left`, `right` pixels (none negative): [N, H + top + bottom, W + left + right, C]. */
export function padInLanes(c: Composer, x: TensorInfo, top: number, bottom: number, left: number, right: number): TensorInfo {
  const [N, H, W, C] = x.shape;
  const Hp = H + top + bottom, Wp = W + left + right;
  const padded = c.empty([N, Hp, Wp, C]);
  const memory = heapMemory(c.backend);
  const { padImage } = padKernels(memory);
  const [xAt, paddedAt] = [x, padded].map((t) => c.view(t).byteOffset);
  const rowBytes = W * C * 4, paddedRowBytes = Wp * C * 4;
  const split = new Split(memory);
  const [firstImages] = halves(N);
  for (let n = 0; n < N; n++) {
    split.lanes[n < firstImages ? 0 : 1].call(
      padImage, xAt + n * H * rowBytes, paddedAt + n * Hp * paddedRowBytes, H, rowBytes, left * C * 4, paddedRowBytes, top * paddedRowBytes, bottom * paddedRowBytes,
    );
  }
  split.run();
  return padded;
}
