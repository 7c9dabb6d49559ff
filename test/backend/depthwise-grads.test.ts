/**
 * The direct depthwise gradient kernels (plugins/backends/wasm/kernels/depthwise-grads.ts: channel
 * multiplier 1, channels a multiple of 4, as MobileNetV3 and EfficientNet have) against the `cpu`
 * backend on random shapes, and with dilation (which cpu's backprop kernels ignore) against a plain
 * loop. Channel counts cover whole 16-channel blocks, single-vector tails and both.
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { directDepthwiseApplies } from "../../plugins/backends/wasm/kernels/depthwise-grads.ts";
import { initBackends, maxRelativeError, uniform, valuesOn } from "./helpers.ts";

const TOLERANCE = 1e-5;
const RUNS = { seed: 20261205, numRuns: 30 };

beforeAll(initBackends);

interface Case {
  n: number; h: number; w: number; c: number; kh: number; kw: number;
  stride: [number, number]; dilation: number; pad: "same" | "valid"; seed: number;
}

function cases(dilated: boolean): fc.Arbitrary<Case> {
  return fc
    .record({
      n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }),
      c: fc.constantFrom(4, 8, 16, 20, 36), kh: fc.integer({ min: 1, max: 5 }), kw: fc.integer({ min: 1, max: 5 }),
      sh: fc.constantFrom(1, 2), sw: fc.constantFrom(1, 2), pad: fc.constantFrom<"same" | "valid">("same", "valid"),
      seed: fc.integer({ min: 1, max: 1e6 }),
    })
    .map(({ sh, sw, ...rest }) => ({ ...rest, stride: (dilated ? [1, 1] : [sh, sw]) as [number, number], dilation: dilated ? 2 : 1 }))
    .filter((k) => k.pad === "same" || (k.h >= (k.kh - 1) * k.dilation + 1 && k.w >= (k.kw - 1) * k.dilation + 1));
}

function info(k: Case): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo([k.n, k.h, k.w, k.c], [k.kh, k.kw, k.c, 1], k.stride, k.dilation, k.pad, undefined, true);
}

const x = (k: Case) => uniform([k.n, k.h, k.w, k.c], k.seed);
const dy = (k: Case) => uniform(info(k).outShape, k.seed + 1);
const filter = (k: Case) => uniform([k.kh, k.kw, k.c, 1], k.seed + 2);
const attrs = (k: Case) => ({ strides: k.stride, pad: k.pad, dilations: k.dilation });
const run = (kernel: string, inputs: Record<string, tf.Tensor>, a: Record<string, unknown>) => tf.engine().runKernel(kernel, inputs, a as tf.NamedAttrMap) as tf.Tensor;
const inputGrad = (k: Case) => () => run("DepthwiseConv2dNativeBackpropInput", { dy: dy(k), filter: filter(k) }, { ...attrs(k), inputShape: [k.n, k.h, k.w, k.c] });
const filterGrad = (k: Case) => () => run("DepthwiseConv2dNativeBackpropFilter", { x: x(k), dy: dy(k) }, { ...attrs(k), filterShape: [k.kh, k.kw, k.c, 1] });

async function expectClose(expected: { shape: number[]; values: Float32Array }, actual: { shape: number[]; values: Float32Array }): Promise<void> {
  expect(actual.shape).toEqual(expected.shape);
  expect(maxRelativeError(expected.values, actual.values)).toBeLessThanOrEqual(TOLERANCE);
}

/** dx and dW of a multiplier-1 depthwise convolution by the definition, in float64. */
function byDefinition(k: Case): { dx: Float32Array; dw: Float32Array } {
  const g = info(k);
  const [xs, dys, fs] = [x(k), dy(k), filter(k)].map((t) => t.dataSync());
  const dx = new Float64Array(xs.length);
  const dw = new Float64Array(fs.length);
  for (let n = 0; n < k.n; n++) for (let oh = 0; oh < g.outHeight; oh++) for (let ow = 0; ow < g.outWidth; ow++) {
    for (let i = 0; i < k.kh; i++) for (let j = 0; j < k.kw; j++) {
      const h = oh * k.stride[0] - g.padInfo.top + i * k.dilation;
      const w = ow * k.stride[1] - g.padInfo.left + j * k.dilation;
      if (h < 0 || h >= k.h || w < 0 || w >= k.w) continue;
      for (let ch = 0; ch < k.c; ch++) {
        const at = ((n * k.h + h) * k.w + w) * k.c + ch;
        const d = dys[((n * g.outHeight + oh) * g.outWidth + ow) * k.c + ch];
        dx[at] += d * fs[(i * k.kw + j) * k.c + ch];
        dw[(i * k.kw + j) * k.c + ch] += d * xs[at];
      }
    }
  }
  return { dx: Float32Array.from(dx), dw: Float32Array.from(dw) };
}

describe("direct depthwise gradients (multiplier 1, channels % 4 = 0)", () => {
  it("take these shapes", () => {
    fc.assert(fc.property(cases(false), (k) => directDepthwiseApplies(info(k), 1)), RUNS);
  });

  it("DepthwiseConv2dNativeBackpropInput and ...BackpropFilter match cpu (strides, padding, 16-channel blocks and 4-channel tails)", async () => {
    await fc.assert(fc.asyncProperty(cases(false), async (k) => {
      await expectClose(await valuesOn("cpu", inputGrad(k)), await valuesOn("wasm", inputGrad(k)));
      await expectClose(await valuesOn("cpu", filterGrad(k)), await valuesOn("wasm", filterGrad(k)));
    }), RUNS);
  });

  it("with dilation 2 match the definition", async () => {
    await fc.assert(fc.asyncProperty(cases(true), async (k) => {
      await tf.setBackend("wasm");
      const expected = tf.tidy(() => byDefinition(k));
      await expectClose({ shape: [k.n, k.h, k.w, k.c], values: expected.dx }, await valuesOn("wasm", inputGrad(k)));
      await expectClose({ shape: [k.kh, k.kw, k.c, 1], values: expected.dw }, await valuesOn("wasm", filterGrad(k)));
    }), { ...RUNS, numRuns: 15 });
  });

  it("gradients of depthwiseConv2d through tf.grads match cpu", async () => {
    await fc.assert(fc.asyncProperty(cases(false), async (k) => {
      const f = () => {
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, k.stride, k.pad).square().sum())([x(k), filter(k)]);
        return tf.concat([gx.flatten(), gw.flatten()]);
      };
      await expectClose(await valuesOn("cpu", f), await valuesOn("wasm", f));
    }), { ...RUNS, numRuns: 15 });
  });
});
