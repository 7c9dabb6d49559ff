/**
 * Child process of the prepared-filters test: eval-style fused convolutions on wasm with the given
 * thread count, each filter used by three calls (the first prepares it), and prints the threads,
 * the helper thread's handovers and a digest of the outputs.
 *
 * Routes (batch 2): 3x3 16 -> 128 at 16x16 by Winograd F(4x4, 3x3) with relu inside its output
 * transform (all tiles in one chunk, products split by panels); 3x3 128 -> 256 at 20x20 (the same,
 * more tiles); 3x3 64 -> 96 at 40x40 (more tiles than two chunks: tile rows split); 3x3/2 16 -> 128
 * from 32x32 and 1x1 16 -> 128 by the stacked GEMM, then the epilogue pass over 2 x 16 x 16 x 128
 * outputs, large enough to split by pixels; a 3x3 16 -> 24 at an odd 7x7 (F(4x4, 3x3), cropped)
 * with relu6; a 3x3 16 -> 16 at 3x3 (F(2x2, 3x3), below F(4x4, 3x3)'s smallest output).
 */
import * as tf from "@tensorflow/tfjs";
import { PluginRegistry } from "../../core/plugin.ts";
import { BACKEND_PLUGINS, selectBackend } from "../../plugins/backends/index.ts";
import { heapMemory } from "../../plugins/backends/wasm/kernels/compose.ts";
import { helperOn } from "../../plugins/backends/wasm/kernels/parallel.ts";
import { digest } from "./digest.ts";

const [wasmThreads] = process.argv.slice(2).map(Number);
const env = await selectBackend(new PluginRegistry(BACKEND_PLUGINS), { prefer: "wasm", wasmThreads });
const layers = [
  { input: [2, 16, 16, 16], filter: [3, 3, 16, 128], stride: 1, activation: "relu" },
  { input: [2, 20, 20, 128], filter: [3, 3, 128, 256], stride: 1, activation: "relu" },
  { input: [2, 32, 32, 16], filter: [3, 3, 16, 128], stride: 2, activation: "relu" },
  { input: [2, 16, 16, 16], filter: [1, 1, 16, 128], stride: 1, activation: "linear" },
  { input: [2, 7, 7, 16], filter: [3, 3, 16, 24], stride: 1, activation: "relu6" },
  { input: [2, 40, 40, 64], filter: [3, 3, 64, 96], stride: 1, activation: "relu" },
  { input: [2, 3, 3, 16], filter: [3, 3, 16, 16], stride: 1, activation: "relu" },
] as const;
const outputs: Float32Array[] = [];
layers.forEach((layer, i) => {
  const filter = tf.randomUniform([...layer.filter], -0.5, 0.5, "float32", 11 + i) as tf.Tensor4D;
  const bias = tf.randomUniform([layer.filter[3]], -0.5, 0.5, "float32", 31 + i) as tf.Tensor1D;
  for (let call = 0; call < 3; call++) {
    const x = tf.randomUniform([...layer.input], -1, 1, "float32", 100 * i + call) as tf.Tensor4D;
    const y = tf.fused.conv2d({ x, filter, bias, strides: layer.stride, pad: "same", activation: layer.activation });
    outputs.push(Float32Array.from(y.dataSync()));
    tf.dispose([x, y]);
  }
  tf.dispose([filter, bias]);
});
console.log(env.threads);
console.log(helperOn(heapMemory(tf.backend() as never))?.handovers ?? 0);
console.log(digest({ losses: [], weights: outputs }));
