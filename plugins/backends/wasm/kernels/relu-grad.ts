/**
 * ReLU's and ReLU6's gradients as one pass each on wasm. tfjs computes ReLU's as
 * mul(dy, cast(step(x))): three whole-tensor kernels and two temporaries (~5 of a tiny-CNN training
 * step's ~45 ms), and ReLU6's as mul(dy, cast(mul(lessEqual(x, 6), step(x)))): five (~10% of a
 * MobileNetV3 training step, where hard-swish and hard-sigmoid are ReLU6s). Here `XferReluGrad` and
 * `XferRelu6Grad` compute the same products, dy times the same 0/1/NaN mask, four lanes at a time,
 * so results are bit-identical to the stock gradients. `reluGradConfig` and `relu6GradConfig`
 * replace tfjs's gradients of `Relu` and `Relu6` with ones that run the kernels where the backend
 * has them and the stock formulas elsewhere.
 */
import {
  cast, engine, getBackend, getKernel, type GradConfig, type KernelConfig, type KernelFunc, lessEqual, mul, Relu, Relu6, step, type Tensor,
  type TensorInfo, util,
} from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { countDown, f32x4Const, f32x4Mul, get, I32, i32Add, i32Const, instancePerMemory, set, simd, V128, v128Load, v128Store } from "../../../../core/wasm/assembler.ts";
import { Composer, heapMemory } from "./compose.ts";

export const RELU_GRAD = "XferReluGrad";
export const RELU6_GRAD = "XferRelu6Grad";

/** A gradient dy * mask(x): the mask's SIMD code (from x in local X_VALUE, a 0/1 vector left on the stack) and its scalar form. */
interface Mask {
  readonly lanes: () => number[];
  readonly scalar: (x: number) => number;
}

const X_VALUE = 4;
const f32x4Gt = simd(0x44), f32x4Le = simd(0x45), f32x4Ne = simd(0x42), v128And = simd(0x4e), v128Bitselect = simd(0x52);

/** step(x): 1 for x > 0, else 0. */
const RELU_MASK: Mask = {
  lanes: () => [...get(X_VALUE), ...f32x4Const(0), ...f32x4Gt, ...f32x4Const(1), ...v128And],
  scalar: (x) => (x > 0 ? 1 : 0),
};
/** lessEqual(x, 6) * step(x): 1 for 0 < x <= 6, else 0. */
const RELU6_MASK: Mask = {
  lanes: () => [...get(X_VALUE), ...f32x4Const(0), ...f32x4Gt, ...get(X_VALUE), ...f32x4Const(6), ...f32x4Le, ...v128And, ...f32x4Const(1), ...v128And],
  scalar: (x) => (x > 0 && x <= 6 ? 1 : 0),
};

/**
 * grad(dy, x, out, vectors): out = dy * mask(x) over `vectors` groups of four floats, the mask NaN
 * for NaN x (as step's, which both stock formulas multiply by). Locals: 4 x, 5 mask.
 */
function maskGradCode(mask: Mask): number[] {
  const [DY, X, OUT, VECTORS] = [0, 1, 2, 3];
  const MASK = 5;
  const advance = (local: number) => [...get(local), ...i32Const(16), ...i32Add, ...set(local)];
  return countDown(VECTORS, [
    ...get(X), ...v128Load(), ...set(X_VALUE),
    // bitselect(x, mask, x != x): x itself (NaN) where x is NaN.
    ...get(X_VALUE), ...mask.lanes(), ...get(X_VALUE), ...get(X_VALUE), ...f32x4Ne, ...v128Bitselect, ...set(MASK),
    ...get(OUT), ...get(DY), ...v128Load(), ...get(MASK), ...f32x4Mul, ...v128Store(),
    ...advance(DY), ...advance(X), ...advance(OUT),
  ]);
}

type GradFn = (dy: number, x: number, out: number, vectors: number) => void;

const maskGradKernels = instancePerMemory<{ reluGrad: GradFn; relu6Grad: GradFn }>(() => [
  { name: "reluGrad", params: [I32, I32, I32, I32], locals: [[2, V128]], code: maskGradCode(RELU_MASK) },
  { name: "relu6Grad", params: [I32, I32, I32, I32], locals: [[2, V128]], code: maskGradCode(RELU6_MASK) },
]);

function maskGrad(mask: Mask, pick: (kernels: { reluGrad: GradFn; relu6Grad: GradFn }) => GradFn): KernelFunc {
  return (({ inputs: { dy, x }, backend }: { inputs: { dy: TensorInfo; x: TensorInfo }; backend: BackendWasm }) => {
    const c = new Composer(backend);
    const out = c.empty(x.shape);
    const size = util.sizeFromShape(x.shape);
    const vectors = size >> 2;
    const [dyView, xView, outView] = [dy, x, out].map((t) => c.view(t));
    pick(maskGradKernels(heapMemory(backend)))(dyView.byteOffset, xView.byteOffset, outView.byteOffset, vectors);
    for (let i = vectors * 4; i < size; i++) outView[i] = dyView[i] * (Number.isNaN(xView[i]) ? NaN : mask.scalar(xView[i]));
    return out;
  }) as unknown as KernelFunc;
}

export const reluGradKernelConfig: KernelConfig = { kernelName: RELU_GRAD, backendName: "wasm", kernelFunc: maskGrad(RELU_MASK, (k) => k.reluGrad) };
export const relu6GradKernelConfig: KernelConfig = { kernelName: RELU6_GRAD, backendName: "wasm", kernelFunc: maskGrad(RELU6_MASK, (k) => k.relu6Grad) };

/** tfjs's gradient of `forward`, by the `kernel` where the active backend has it, else by `stock`. */
function maskGradConfig(forward: string, kernel: string, stock: (x: Tensor) => Tensor): GradConfig {
  return {
    kernelName: forward,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      const grad = dy as Tensor;
      if (grad.dtype === "float32" && x.dtype === "float32" && getKernel(kernel, getBackend()) !== undefined) {
        return { x: () => engine().runKernel(kernel, { dy: grad, x }) as Tensor };
      }
      return { x: () => mul(grad, cast(stock(x), "float32")) };
    },
  };
}

export const reluGradConfig = maskGradConfig(Relu, RELU_GRAD, (x) => step(x));
export const relu6GradConfig = maskGradConfig(Relu6, RELU6_GRAD, (x) => mul(lessEqual(x, 6), step(x)));
