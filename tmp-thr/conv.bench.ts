import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { setFlagsFromString } from "node:v8";
import { backend_util, getKernel } from "@tensorflow/tfjs";
setFlagsFromString("--experimental-wasm-relaxed-simd");
const { registerWasmTrainingKernels } = await import("../plugins/runtime/tfjs/kernels/index.ts");
const { Composer } = await import("../plugins/runtime/tfjs/kernels/compose.ts");
const { stackedConv2D } = await import("../plugins/runtime/tfjs/kernels/gemm_conv.ts");
const { winogradConv2D, winogradApplies } = await import("../plugins/runtime/tfjs/kernels/winograd.ts");
await tf.setBackend("wasm"); await tf.ready();
const stock = getKernel("Conv2D", "wasm")!;
registerWasmTrainingKernels();
const backend = tf.backend() as any;
const shapes: [string, number[], number, number, number, number][] = [
  // name, x shape, k, cout, stride, pad
  ["stem", [32, 64, 64, 3], 7, 64, 2, 3],
  ["l1", [32, 16, 16, 64], 3, 64, 1, 1],
  ["l2s", [32, 16, 16, 64], 3, 128, 2, 1],
  ["l2ds", [32, 16, 16, 64], 1, 128, 2, 0],
  ["l2", [32, 8, 8, 128], 3, 128, 1, 1],
  ["l3s", [32, 8, 8, 128], 3, 256, 2, 1],
  ["l3", [32, 4, 4, 256], 3, 256, 1, 1],
  ["l4", [32, 2, 2, 512], 3, 512, 1, 1],
  ["tiny1", [64, 28, 28, 1], 3, 32, 1, 1],
  ["tiny2", [64, 14, 14, 32], 3, 64, 1, 1],
];
function time(f: () => void, reps = 5) { f(); const t: number[] = []; for (let r = 0; r < reps; r++) { const s = performance.now(); f(); t.push(performance.now() - s); } t.sort((a, b) => a - b); return t[Math.floor(reps / 2)]; }
for (const [name, xs, k, co, s, p] of shapes) {
  const x = tf.randomUniform(xs, -1, 1, "float32", 1);
  const w = tf.randomUniform([k, k, xs[3], co], -1, 1, "float32", 2);
  const pad = [[0, 0], [p, p], [p, p], [0, 0]];
  const attrs = { strides: [s, s], pad, dilations: [1, 1], dataFormat: "NHWC" };
  const info = backend_util.computeConv2DInfo(xs as any, [k, k, xs[3], co], [s, s], 1, pad as any, undefined, false, "channelsLast");
  const xi = { dataId: x.dataId, shape: x.shape, dtype: "float32" };
  const wi = { dataId: w.dataId, shape: w.shape, dtype: "float32" };
  const c = new Composer(backend);
  let a: any, b: any;
  const tStock = time(() => { if (a) c.free(a); a = stock.kernelFunc({ inputs: { x: xi, filter: wi }, backend, attrs } as any); });
  const tMine = time(() => { if (b) c.free(b); b = stackedConv2D(c, xi as any, wi as any, info); });
  let d: any; const tTap = winogradApplies(info) ? time(() => { if (d) c.free(d); d = winogradConv2D(c, xi as any, wi as any, info); }) : NaN; if (d) { const vd = c.view(d), va0 = c.view(a); let e = 0, mg = 0; for (let i = 0; i < va0.length; i++) { e = Math.max(e, Math.abs(va0[i] - vd[i])); mg = Math.max(mg, Math.abs(va0[i])); } console.log("  winograd err", (e / mg).toExponential(1)); c.free(d); }
  const va = c.view(a), vb = c.view(b);
  let err = 0, mag = 0; for (let i = 0; i < va.length; i++) { err = Math.max(err, Math.abs(va[i] - vb[i])); mag = Math.max(mag, Math.abs(va[i])); }
  const macs = info.batchSize * info.outHeight * info.outWidth * co * k * k * xs[3];
  console.log(name, `xnnpack ${tStock.toFixed(1)} ms (${(macs / tStock / 1e6).toFixed(1)} G/s)  stacked ${tMine.toFixed(1)} ms (${(macs / tMine / 1e6).toFixed(1)} G/s)  winograd ${tTap.toFixed(1)} maxerr ${(err / mag).toExponential(1)}`);
  c.free(a, b);
}
