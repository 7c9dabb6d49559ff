/**
 * Optimizer + schedule parity with torch.optim: fixtures/parity/optim/trajectories.json is
 * written by fixtures/generators/optim-parity.py; every case must reproduce torch's learning
 * rates and parameter trajectory to 1e-6 relative over all 50 steps.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { builtinOptimizersAndSchedules } from "./plugins.ts";
import { SeedTree } from "../../core/rng.ts";

interface Arr { shape: number[]; values: number[] }
interface Case {
  name: string;
  optimizer: { name: string; options: Record<string, unknown> };
  schedule: { name: string; options: Record<string, unknown> };
  lrs: number[];
  trajectory: Record<string, number[]>[];
}
const doc = JSON.parse(readFileSync(new URL("../../fixtures/parity/optim/trajectories.json", import.meta.url), "utf8")) as {
  stepsPerEpoch: number; epochs: number; init: Record<string, Arr>; target: Record<string, Arr>; coef: Record<string, Arr>; cases: Case[];
};

const REL = 1e-6;
const ctx = { seeds: new SeedTree(0) };

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("optimizer + schedule parity with torch.optim", () => {
  it("covers every optimizer and schedule plugin", () => {
    const { optimizers, schedules } = builtinOptimizersAndSchedules();
    expect(new Set(doc.cases.map((c) => c.optimizer.name))).toEqual(new Set(Object.keys(optimizers)));
    expect(new Set(doc.cases.map((c) => c.schedule.name))).toEqual(new Set(Object.keys(schedules)));
  });

  for (const [index, c] of doc.cases.entries()) {
    it(c.name, async () => {
      const { optimizers, schedules } = builtinOptimizersAndSchedules();
      const optimizer = await optimizers[c.optimizer.name].create(c.optimizer.options as never, ctx);
      const schedule = await schedules[c.schedule.name].create(c.schedule.options as never, ctx);
      const names = Object.keys(doc.init);
      const before = tf.memory().numTensors;
      const vars = names.map((n) => tf.tidy(() => tf.variable(tf.tensor(doc.init[n].values, doc.init[n].shape, "float32"), true, `case${index}/${n}`)));
      const target = names.map((n) => tf.tensor(doc.target[n].values, doc.target[n].shape, "float32"));
      const coef = names.map((n) => tf.tensor(doc.coef[n].values, doc.coef[n].shape, "float32"));
      let worst = 0;
      let s = 0;
      for (let epoch = 0; epoch < doc.epochs; epoch++) {
        for (let step = 0; step < doc.stepsPerEpoch; step++, s++) {
          const lr = schedule.lr({ epoch, step, stepsPerEpoch: doc.stepsPerEpoch });
          expect(Math.abs(lr - c.lrs[s])).toBeLessThanOrEqual(1e-12 * Math.abs(c.lrs[s]) + 1e-300);
          const grads = vars.map((v, i) => tf.tidy(() => tf.mul(coef[i], tf.sub(v, target[i]))));
          optimizer.step(vars, grads, lr);
          tf.dispose(grads);
          vars.forEach((v, i) => {
            const got = v.dataSync();
            const want = c.trajectory[s][names[i]];
            want.forEach((w, k) => { worst = Math.max(worst, Math.abs(got[k] - w) / Math.abs(w)); });
          });
        }
      }
      expect(worst).toBeLessThanOrEqual(REL);
      optimizer.dispose();
      tf.dispose([...vars, ...target, ...coef]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
