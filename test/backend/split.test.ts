/**
 * `SplitV` on wasm (plugins/backends/wasm/kernels/split.ts, through xfer's `Slice`) against the
 * `cpu` backend: random shapes, axes and split sizes (counts and explicit sizes with a -1), the
 * pieces bit for bit, and the gradient of a split (a concatenation of the pieces' gradients).
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import { initBackends, uniform, valuesOn } from "./helpers.ts";

beforeAll(initBackends);

const cases = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
    axisPick: fc.nat(), parts: fc.integer({ min: 1, max: 3 }), explicit: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
  })
  .map(({ shape, axisPick, parts, explicit, seed }) => {
    const axis = axisPick % shape.length;
    // A multiple of the part count along the split axis, so an even split always divides it.
    const full = shape.map((d, i) => (i === axis ? d * parts : d));
    // Explicit sizes: ones, and the rest as -1.
    const sizes = Array.from({ length: parts - 1 }, () => 1);
    const split: number | number[] = explicit && parts > 1 ? [...sizes, -1] : parts;
    return { shape: full, axis, split, seed };
  });

it("SplitV gives cpu's pieces bit for bit, along any axis, by count or by sizes", async () => {
  await fc.assert(fc.asyncProperty(cases, async (k) => {
    const pieces = () => tf.concat(tf.split(uniform(k.shape, k.seed), k.split, k.axis).map((p) => p.flatten()));
    const shapes = () => tf.tensor(tf.split(uniform(k.shape, k.seed), k.split, k.axis).flatMap((p) => p.shape));
    expect(Array.from((await valuesOn("wasm", pieces)).values)).toEqual(Array.from((await valuesOn("cpu", pieces)).values));
    expect(Array.from((await valuesOn("wasm", shapes)).values)).toEqual(Array.from((await valuesOn("cpu", shapes)).values));
  }), { seed: 20261205, numRuns: 40 });
});

it("the gradient through a split matches cpu", async () => {
  // tfjs 4.22's SplitV gradient fails on every backend for a split into one piece ("Pass at least one tensor to concat").
  const severalPieces = cases.filter((k) => typeof k.split !== "number" || k.split > 1);
  await fc.assert(fc.asyncProperty(severalPieces, async (k) => {
    const grad = () => tf.grad((x: tf.Tensor) => tf.split(x, k.split, k.axis).map((p, i) => p.square().mul(i + 1).sum()).reduce((a, b) => tf.add(a, b)))(uniform(k.shape, k.seed));
    expect(Array.from((await valuesOn("wasm", grad)).values)).toEqual(Array.from((await valuesOn("cpu", grad)).values));
  }), { seed: 20261205, numRuns: 20 });
});
