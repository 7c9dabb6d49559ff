/**
 * Child process of the threads test: trains a net whose layers take every route xfer's wasm
 * kernels split between threads, on wasm with the given thread count, and prints the threads, the
 * helper thread's handovers and the outcome's digest.
 *
 * Routes (batch 4, 9x9x3 input): the stem 3x3/2 3 -> 16 by the stacked GEMM (multiplyRows) with a
 * filter gradient per kernel row (multiplyPacked); 3x3 16 -> 16 at an odd 5x5 by Winograd forward,
 * input and filter gradient; 3x3/2 16 -> 40 stacked, its input gradient by stride phases; 3x3
 * 40 -> 12 at 3x3, where the weights dominate, by per-tap matmuls (filter gradient) and its input
 * gradient a Winograd convolution 12 -> 40; a dense layer (BatchMatMul). Channel counts leave
 * partial panels and m % 6 rows.
 */
import * as tf from "@tensorflow/tfjs";
import { batchNormTraining } from "../../core/ops/batch-norm.ts";
import { PluginRegistry } from "../../core/plugin.ts";
import { BACKEND_PLUGINS, selectBackend } from "../../plugins/backends/index.ts";
import { heapMemory } from "../../plugins/backends/wasm/kernels/compose.ts";
import { helperOn } from "../../plugins/backends/wasm/kernels/parallel.ts";
import { digest } from "./digest.ts";

const SHAPES: Record<string, number[]> = {
  stem: [3, 3, 3, 16], gamma: [16], beta: [16], wino: [3, 3, 16, 16], down: [3, 3, 16, 40], taps: [3, 3, 40, 12], fc: [12, 5],
};

function forward(p: Record<string, tf.Variable>, x: tf.Tensor4D): tf.Tensor2D {
  let h = tf.conv2d(x, p.stem as tf.Tensor4D, 2, "same");
  h = tf.relu(batchNormTraining(h, p.gamma as tf.Tensor1D, p.beta as tf.Tensor1D, 1e-5).y as tf.Tensor4D);
  h = tf.relu(tf.conv2d(h, p.wino as tf.Tensor4D, 1, "same"));
  h = tf.relu(tf.conv2d(h, p.down as tf.Tensor4D, 2, "same"));
  h = tf.relu(tf.conv2d(h, p.taps as tf.Tensor4D, 1, "same"));
  return tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, p.fc as tf.Tensor2D);
}

const [steps, wasmThreads] = process.argv.slice(2).map(Number);
const env = await selectBackend(new PluginRegistry(BACKEND_PLUGINS), { prefer: "wasm", wasmThreads });
const params: Record<string, tf.Variable> = {};
Object.entries(SHAPES).forEach(([name, shape], i) => {
  params[name] = tf.variable(name === "gamma" ? tf.ones(shape) : tf.randomUniform(shape, -0.5, 0.5, "float32", 11 + i), true);
});
const x = tf.randomUniform([4, 9, 9, 3], -1, 1, "float32", 5) as tf.Tensor4D;
const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], "int32"), 5);
const optimizer = tf.train.momentum(0.05, 0.9);
const losses: number[] = [];
for (let step = 0; step < steps; step++) {
  const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(params, x)) as tf.Scalar, true, Object.values(params))!;
  losses.push(loss.dataSync()[0]);
  loss.dispose();
}
console.log(env.threads);
console.log(helperOn(heapMemory(tf.backend() as never))?.handovers ?? 0);
console.log(digest({ losses, weights: Object.values(params).map((v) => Float32Array.from(v.dataSync())) }));
