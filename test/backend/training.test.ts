/**
 * A conv + batch-norm + depthwise network trains on wasm with the project's kernels: its loss curve
 * matches the cpu reference to 4 decimals, and the same seed on wasm gives bit-identical losses
 * and weights, within a process and across processes.
 */
import * as tf from "@tensorflow/tfjs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { digest } from "./digest.ts";
import { initBackends } from "./helpers.ts";
import { trainSmallNet, type TrainOutcome } from "./net.ts";

const STEPS = 6;

beforeAll(initBackends);

async function trainOn(backend: "cpu" | "wasm", seed = 1): Promise<TrainOutcome> {
  await tf.setBackend(backend);
  return trainSmallNet(STEPS, seed);
}

describe("small conv + BN + depthwise net on wasm", () => {
  it("follows the cpu loss curve to 4 decimals and actually learns", async () => {
    const cpu = await trainOn("cpu");
    const wasm = await trainOn("wasm");
    expect(wasm.losses).toHaveLength(STEPS);
    wasm.losses.forEach((loss, i) => expect(Math.abs(loss - cpu.losses[i]), `step ${i}: wasm ${loss} cpu ${cpu.losses[i]}`).toBeLessThan(5e-5));
    expect(wasm.losses[STEPS - 1]).toBeLessThan(wasm.losses[0]);
  });

  it("leaves no wasm memory behind the engine's back (composed kernels free their intermediates)", async () => {
    await tf.setBackend("wasm");
    const backendBuffers = () => tf.engine().backend.numDataIds();
    const [backend0, engine0] = [backendBuffers(), tf.memory().numDataBuffers];
    trainSmallNet(3);
    // (tfjs's momentum optimizer itself keeps one scalar per instance; that shows on both sides.)
    expect(backendBuffers() - backend0).toBe(tf.memory().numDataBuffers - engine0);
    expect(backendBuffers() - backend0).toBeLessThanOrEqual(1);
  });

  it("is bit-identical for the same seed within a process", async () => {
    const a = await trainOn("wasm", 3);
    const b = await trainOn("wasm", 3);
    expect(digest(b)).toBe(digest(a));
    expect(digest(await trainOn("wasm", 4))).not.toBe(digest(a));
  });

  it("is bit-identical for the same seed across processes", async () => {
    const here = digest(await trainOn("wasm", 3));
    const script = fileURLToPath(new URL("./determinism-run.ts", import.meta.url));
    const output = execFileSync(process.execPath, ["--import", "tsx", script, "3", String(STEPS)], { encoding: "utf8" });
    expect(output.trim().split("\n").at(-1)).toBe(here);
  });
});
