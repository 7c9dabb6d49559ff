/** Running the same computation on the `cpu` reference backend and on `wasm` with our kernels. */
import * as tf from "@tensorflow/tfjs";
import { expect } from "vitest";
import { execFileSync } from "node:child_process";
import { PluginRegistry } from "../../core/plugin.ts";
import { BACKEND_PLUGINS, selectBackend } from "../../plugins/backends/index.ts";

/** Initialises wasm (through the project's selection, so with its kernels) and cpu. */
export async function initBackends(): Promise<void> {
  await selectBackend(new PluginRegistry(BACKEND_PLUGINS), { prefer: "cpu" });
  await selectBackend(new PluginRegistry(BACKEND_PLUGINS), { prefer: "wasm" });
}

/** Values of `fn()` computed on `backend`; every tensor made on the way is released. */
export async function valuesOn(backend: "cpu" | "wasm", fn: () => tf.Tensor): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  const t = tf.tidy(fn);
  const values = (await t.data()) as Float32Array;
  const shape = t.shape;
  t.dispose();
  return { shape, values: Float32Array.from(values) };
}

/**
 * Largest absolute difference relative to the largest reference magnitude: float32 kernels that
 * sum in different orders differ by rounding, which is relative to the scale of the whole result,
 * not to each (possibly cancelled, near-zero) element.
 */
export function maxRelativeError(reference: Float32Array, actual: Float32Array): number {
  if (reference.length !== actual.length) return Infinity;
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < reference.length; i++) {
    scale = Math.max(scale, Math.abs(reference[i]));
    const d = Math.abs(reference[i] - actual[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
  }
  return scale === 0 ? diff : diff / scale;
}

/** Deterministic uniform values in [-1, 1) on the current backend, so both backends get the same input. */
export function uniform(shape: number[], seed: number): tf.Tensor {
  let s = (Math.imul(seed, 2654435761) ^ 0x9e3779b9) >>> 0 || 1;
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) {
    // xorshift32: enough for test inputs, identical everywhere.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    values[i] = s / 2 ** 31 - 1;
  }
  return tf.tensor(values, shape, "float32");
}

/**
 * Runs a script of this folder in a process of its own (a backend initialises once per process);
 * its last three lines are the threads the backend reports, the lanes the helper thread ran and a digest of the results.
 */
export function threadedRunInChild(script: string, args: readonly string[]): { threads: number; handovers: number; digest: string } {
  const path = new URL(`./${script}`, import.meta.url).pathname;
  const output = execFileSync(process.execPath, ["--import", "tsx", path, ...args], { encoding: "utf8", timeout: 120_000 });
  const [reported, handovers, digest] = output.trim().split("\n").slice(-3);
  return { threads: Number(reported), handovers: Number(handovers), digest };
}

/**
 * `script` (as `threadedRunInChild`, `args(threads)` its arguments) on one thread and on two: the
 * same digest, and on two the helper thread ran some lanes (they go to whichever thread claims
 * them first, so none on the helper would mean the split was never shared).
 */
export function expectTwoThreadsAsOne(script: string, args: (threads: number) => readonly string[]): void {
  const one = threadedRunInChild(script, args(1));
  const two = threadedRunInChild(script, args(2));
  expect([one.threads, one.handovers]).toEqual([1, 0]);
  expect(two.threads).toBe(2);
  expect(two.handovers).toBeGreaterThan(0);
  expect(two.digest).toBe(one.digest);
}
