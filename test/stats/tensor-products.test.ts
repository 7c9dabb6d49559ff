// The float32 tfjs covariance product behind gaussianStats at FID sizes, against the float64 kernel.
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { SeedTree } from "../../core/rng.ts";
import { fastMatMulAvailable, gramColumns, gramRowsTensor } from "../../core/stats/linalg.ts";
import { selectBackend } from "../../plugins/runtime/tfjs/index.ts";

/** Column-centred n x d matrix (row-major) with columns of different scales and offsets. */
function centred(n: number, d: number, seed: number): Float64Array {
  const rng = new SeedTree(seed).stream("tensor-products-test");
  const x = new Float64Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = (rng.normal() + 3) * (1 + (i % d));
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let r = 0; r < n; r++) mean += x[r * d + j];
    mean /= n;
    for (let r = 0; r < n; r++) x[r * d + j] -= mean;
  }
  return x;
}

function columnMajor(x: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) out[j * n + r] = x[r * d + j];
  return out;
}

describe("gramRowsTensor (wasm backend)", () => {
  beforeAll(async () => {
    await selectBackend({ prefer: "wasm" });
  });

  it("is offered on wasm and not on the JavaScript cpu backend", async () => {
    expect(fastMatMulAvailable()).toBe(true);
    await tf.setBackend("cpu");
    expect(fastMatMulAvailable()).toBe(false);
    await tf.setBackend("wasm");
  });

  // Row chunks and column blocks smaller than the matrix, with ragged last blocks, exercise the
  // float64 accumulation across chunks and the block-lower-triangle bookkeeping.
  it.each([
    [37, 11, 1024, 512],
    [50, 23, 16, 8],
    [64, 16, 7, 5],
  ])("X'X of a %i x %i matrix (row chunk %i, column block %i) matches float64", (n, d, rowChunk, colBlock) => {
    const x = centred(n, d, n * d);
    const scale = 1 / (n - 1);
    const ref = gramColumns(columnMajor(x, n, d), n, d, scale);
    const got = gramRowsTensor(x, n, d, scale, rowChunk, colBlock);
    expect(tf.memory().numTensors).toBe(0);
    for (let i = 0; i < d; i++) {
      // The diagonal is summed in float64.
      expect(Math.abs(got[i * d + i] - ref[i * d + i])).toBeLessThanOrEqual(1e-13 * ref[i * d + i]);
      for (let j = 0; j < d; j++) {
        expect(got[i * d + j]).toBe(got[j * d + i]);
        // float32 products: error relative to the entries' Cauchy-Schwarz bound.
        const bound = Math.sqrt(ref[i * d + i] * ref[j * d + j]);
        expect(Math.abs(got[i * d + j] - ref[i * d + j])).toBeLessThanOrEqual(2e-6 * bound);
      }
    }
  });
});
