/**
 * Minimal plugins for testing the framework itself (planning, DI, run store, resume) without
 * depending on the real optimizer, splitter and metric plugins, which have their own suites.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { definePlugin, PluginRegistry, type EnvironmentRecord } from "../../core/index.ts";
import { syntheticDataset } from "../../plugins/datasets/synthetic/index.ts";
import { defineBackbone } from "../../plugins/backbones/index.ts";
import { TINYCNN_BACKBONES } from "../../plugins/backbones/tinycnn/index.ts";

/** The built-in tiny CNN, as the manifest lists it. */
export const tinyCnnBackbone = defineBackbone(TINYCNN_BACKBONES[0]);

export const everyThirdHoldout = definePlugin({
  meta: { kind: "splitter", name: "test-every-third", version: "0.0.0", description: "every third sample to val" },
  create: () => ({
    split: (index) => ({
      train: index.samples.filter((_, i) => i % 3 !== 0).map((s) => s.id),
      val: index.samples.filter((_, i) => i % 3 === 0).map((s) => s.id),
    }),
  }),
});

export const plainSgd = definePlugin({
  meta: { kind: "optimizer", name: "test-sgd", version: "0.0.0", description: "w -= lr * g" },
  create: () => ({
    step: (variables, gradients, lr) => tf.tidy(() => variables.forEach((v, i) => v.assign(tf.sub(v, tf.mul(gradients[i], lr))))),
    // Stateless: nothing to save, and a state with anything in it is not its own.
    saveState: () => ({ scalars: {}, tensors: [] }),
    loadState: (_variables, _names, state) => {
      if (Object.keys(state.scalars).length > 0 || state.tensors.length > 0) throw new RangeError("optimizer test-sgd: it keeps no state, but the saved state has some");
    },
    dispose: () => {},
  }),
});

export const constantSchedule = definePlugin({
  meta: { kind: "schedule", name: "test-constant", version: "0.0.0", description: "base lr" },
  create: (_options, ctx) => ({ lr: () => ctx.training!.lr }),
});

export const argmaxAccuracy = definePlugin({
  meta: { kind: "metric", name: "accuracy", version: "0.0.0", description: "top-1" },
  create: () => ({
    name: "accuracy",
    direction: "max",
    compute: (yTrue, scores) =>
      scores.filter((row, i) => row.indexOf(Math.max(...row)) === (yTrue[i] as number)).length / scores.length,
  }),
});

export function testRegistry(): PluginRegistry {
  return new PluginRegistry([syntheticDataset, tinyCnnBackbone, everyThirdHoldout, plainSgd, constantSchedule, argmaxAccuracy]);
}

export async function cpuEnvironment(): Promise<EnvironmentRecord> {
  await tf.setBackend("cpu");
  return { backend: "cpu", backendVersion: tf.version_core, threads: 1, runtime: `node ${process.version}`, platform: process.platform, versions: { "@tensorflow/tfjs-core": tf.version_core } };
}

/** File access and decoding for runs whose datasets read no files (the synthetic one): any use fails. */
export const NO_FILES = (() => {
  const fail = (): never => {
    throw new Error("this test's datasets read no files");
  };
  return { files: fail, decoder: { decode: fail, convert: fail } };
})();
