/**
 * ReLU's gradient as one pass on wasm. tfjs computes it as mul(dy, cast(step(x))): three
 * whole-tensor kernels and two temporaries (~5 of a tiny-CNN training step's ~45 ms). Here
 * `XferReluGrad` computes the same products, dy * step(x) with step's NaN for NaN, four lanes at a
 * time, so results are bit-identical to the stock gradient. `reluGradConfig` replaces tfjs's
 * gradient of `Relu` with one that runs the kernel where the backend has it and the stock
 * formula elsewhere.
 */
import {
  cast, engine, getBackend, getKernel, type GradConfig, type KernelConfig, type KernelFunc, mul, Relu, step, type Tensor, type TensorInfo,
  util,
} from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { countDown, f32x4Const, f32x4Mul, get, I32, i32Add, i32Const, instancePerMemory, set, simd, V128, v128Load, v128Store } from "../../../../core/wasm/assembler.ts";
import { Composer, heapMemory } from "./compose.ts";

export const RELU_GRAD = "XferReluGrad";

/**
 * reluGrad(dy, x, out, vectors): out = dy * step(x) over `vectors` groups of four floats, with
 * step(x) = NaN for NaN x, else 1 for x > 0, else 0. Locals: 4 x, 5 step.
 */
function reluGradCode(): number[] {
  const [DY, X, OUT, VECTORS] = [0, 1, 2, 3];
  const XV = 4, STEP = 5;
  const advance = (local: number) => [...get(local), ...i32Const(16), ...i32Add, ...set(local)];
  return countDown(VECTORS, [
    ...get(X), ...v128Load(), ...set(XV),
    // bitselect(x, x > 0 ? 1.0 : 0.0, x != x): x itself (NaN) where x is NaN.
    ...get(XV),
    ...get(XV), ...f32x4Const(0), ...simd(0x44), ...f32x4Const(1), ...simd(0x4e), // f32x4.gt, v128.and
    ...get(XV), ...get(XV), ...simd(0x42), ...simd(0x52), ...set(STEP), // f32x4.ne, v128.bitselect
    ...get(OUT), ...get(DY), ...v128Load(), ...get(STEP), ...f32x4Mul, ...v128Store(),
    ...advance(DY), ...advance(X), ...advance(OUT),
  ]);
}

const reluGradKernel = instancePerMemory<{ reluGrad(dy: number, x: number, out: number, vectors: number): void }>(() => [
  { name: "reluGrad", params: [I32, I32, I32, I32], locals: [[2, V128]], code: reluGradCode() },
]);

function reluGrad({ inputs: { dy, x }, backend }: { inputs: { dy: TensorInfo; x: TensorInfo }; backend: BackendWasm }): TensorInfo {
  const c = new Composer(backend);
  const out = c.empty(x.shape);
  const size = util.sizeFromShape(x.shape);
  const vectors = size >> 2;
  const [dyView, xView, outView] = [dy, x, out].map((t) => c.view(t));
  reluGradKernel(heapMemory(backend)).reluGrad(dyView.byteOffset, xView.byteOffset, outView.byteOffset, vectors);
  for (let i = vectors * 4; i < size; i++) outView[i] = dyView[i] * (Number.isNaN(xView[i]) ? NaN : xView[i] > 0 ? 1 : 0);
  return out;
}

export const reluGradKernelConfig: KernelConfig = { kernelName: RELU_GRAD, backendName: "wasm", kernelFunc: reluGrad as unknown as KernelFunc };

/** tfjs's gradient of `Relu`, by `XferReluGrad` where the active backend has it. */
export const reluGradConfig: GradConfig = {
  kernelName: Relu,
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const grad = dy as Tensor;
    if (grad.dtype === "float32" && x.dtype === "float32" && getKernel(RELU_GRAD, getBackend()) !== undefined) {
      return { x: () => engine().runKernel(RELU_GRAD, { dy: grad, x }) as Tensor };
    }
    return { x: () => mul(grad, cast(step(x), "float32")) };
  },
};
