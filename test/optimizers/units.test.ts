import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../core/errors.ts";
import { isNormOrBias } from "../../plugins/optimizers/common.ts";
import { sgdOptimizer } from "../../plugins/optimizers/sgd/index.ts";
import { adamwOptimizer } from "../../plugins/optimizers/adamw/index.ts";
import { adamOptimizer } from "../../plugins/optimizers/adam/index.ts";
import { cosineSchedule } from "../../plugins/schedules/cosine/index.ts";
import { multistepSchedule } from "../../plugins/schedules/multistep/index.ts";
import { warmupCosineSchedule } from "../../plugins/schedules/warmup-cosine/index.ts";
import { cosineRestartsSchedule } from "../../plugins/schedules/cosine-restarts/index.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("isNormOrBias", () => {
  it.each([
    "dense/bias", "conv1/bias:0", "bn1/gamma", "bn1/beta", "layer1/0/bn2/moving_mean", "blocks.3.norm1.weight",
    "encoder/layer_norm/scale", "stem/BatchNorm/w", "batch_normalization_3/gamma", "ln_f/w", "head/norm/weight",
    "resnet50-3/fc.bias", "r/layer1.0.bn1.weight#4", "vit/encoder.layers.encoder_layer_0.ln_1.weight", "cn/features.1.0.block.2.norm.weight",
  ])("%s is norm or bias", (name) => expect(isNormOrBias(name)).toBe(true));
  it.each([
    "dense/kernel", "conv1/kernel", "layer1/0/conv2/kernel", "enormous/kernel", "abnormal_layer/kernel",
    "sgd-exclude-norm-bias/kernel", "biased/kernel", "head/weight", "resnet50-3/fc.weight", "r/layer1.0.conv1.weight#4",
    "mnv3/features.0.1.weight",
  ])("%s is not", (name) => expect(isNormOrBias(name)).toBe(false));
});

describe("optimizers", () => {
  it("exclude-norm-bias leaves biases undecayed; all decays them", () => {
    for (const [scope, expectChange] of [["exclude-norm-bias", false], ["all", true]] as const) {
      const bias = tf.tidy(() => tf.variable(tf.ones([3]), true, `unit-${scope}/dense/bias`));
      const opt = sgdOptimizer.build({ momentum: 0, nesterov: false, weightDecay: 0.5, decayScope: scope });
      const g = tf.zeros([3]);
      opt.step([bias], [g], 0.1);
      expect(Array.from(bias.dataSync()).every((x) => x !== 1)).toBe(expectChange);
      opt.dispose();
      tf.dispose([bias, g]);
    }
  });

  it("exclude-norm-bias also skips every rank <= 1 variable (index-named norms)", () => {
    const scale = tf.tidy(() => tf.variable(tf.ones([3]), true, "unit-rank/features.0.1.weight"));
    const kernel = tf.tidy(() => tf.variable(tf.ones([3, 1]), true, "unit-rank/features.0.0.weight"));
    const opt = sgdOptimizer.build({ momentum: 0, nesterov: false, weightDecay: 0.5, decayScope: "exclude-norm-bias" });
    const g = [tf.zeros([3]), tf.zeros([3, 1])];
    opt.step([scale, kernel], g, 0.1);
    expect(Array.from(scale.dataSync())).toEqual([1, 1, 1]);
    expect(Array.from(kernel.dataSync()).every((x) => x < 1)).toBe(true);
    opt.dispose();
    tf.dispose([scale, kernel, ...g]);
  });

  it("no tensor leaks across many steps; dispose frees the state", () => {
    const v = tf.tidy(() => tf.variable(tf.ones([4, 2]), true, "leak/kernel"));
    const start = tf.memory().numTensors;
    for (const opt of [sgdOptimizer.build({ weightDecay: 1e-4 }), adamOptimizer.build({ weightDecay: 1e-3 }), adamwOptimizer.build({})]) {
      for (let i = 0; i < 5; i++) {
        const g = tf.onesLike(v);
        opt.step([v], [g], 0.01);
        g.dispose();
      }
      opt.dispose();
      expect(tf.memory().numTensors).toBe(start);
    }
    v.dispose();
  });

  it("rejects bad options and mismatched arguments, naming the plugin and field", () => {
    expect(() => adamwOptimizer.build({ decayConvention: "reference" })).toThrow(/adamw.*"lr"/);
    expect(() => adamwOptimizer.build({ decayConvention: "reference" })).toThrow(InputError);
    expect(() => sgdOptimizer.build({ momentum: -1 })).toThrow(/sgd.*momentum/);
    expect(() => sgdOptimizer.build({ nesterov: true, momentum: 0 })).toThrow(/Nesterov/);
    expect(() => sgdOptimizer.build({ lr: 0.1, extra: 1 } as never)).toThrow(/sgd/);
    const opt = sgdOptimizer.build();
    expect(() => opt.step([], [tf.scalar(1)], 0.1)).toThrow(/0 variables but 1 gradients/);
  });
});

describe("schedules (properties, fixed seed)", () => {
  const pos = fc.record({ spe: fc.integer({ min: 1, max: 50 }), epoch: fc.integer({ min: 0, max: 40 }), frac: fc.double({ min: 0, max: 0.999, noNaN: true }) });
  it("cosine stays within [etaMin, baseLr] and is non-increasing over the run", () => {
    fc.assert(fc.property(pos, ({ spe, epoch, frac }) => {
      const s = cosineSchedule.build({ baseLr: 0.1, epochs: 41, etaMin: 1e-3, per: "step" });
      const step = Math.floor(frac * spe);
      const a = s.lr({ epoch, step, stepsPerEpoch: spe });
      const next = step + 1 < spe ? { epoch, step: step + 1 } : { epoch: epoch + 1, step: 0 };
      const b = s.lr({ ...next, stepsPerEpoch: spe });
      return a <= 0.1 && a >= 1e-3 - 1e-15 && b <= a;
    }), { seed: 8, numRuns: 200 });
  });
  it("per-epoch schedules ignore the step within the epoch", () => {
    fc.assert(fc.property(pos, ({ spe, epoch, frac }) => {
      const step = Math.floor(frac * spe);
      return [cosineSchedule.build({ baseLr: 1, epochs: 50 }), multistepSchedule.build({ baseLr: 1, milestones: [3, 9] }), cosineRestartsSchedule.build({ baseLr: 1, t0: 4, tMult: 2 })]
        .every((s) => s.lr({ epoch, step, stepsPerEpoch: spe }) === s.lr({ epoch, step: 0, stepsPerEpoch: spe }));
    }), { seed: 8, numRuns: 200 });
  });
  it("warmup-cosine peaks at baseLr when the warmup ends", () => {
    const s = warmupCosineSchedule.build({ baseLr: 0.5, epochs: 10, warmupEpochs: 2, startFactor: 0.1 });
    expect(s.lr({ epoch: 0, step: 0, stepsPerEpoch: 4 })).toBeCloseTo(0.05, 15);
    expect(s.lr({ epoch: 2, step: 0, stepsPerEpoch: 4 })).toBe(0.5);
    expect(() => warmupCosineSchedule.build({ baseLr: 0.5, epochs: 2, warmupEpochs: 2 })).toThrow(/warmupEpochs/);
  });
  it("rejects positions outside the epoch", () => {
    expect(() => cosineSchedule.build({ baseLr: 1, epochs: 3 }).lr({ epoch: 0, step: 5, stepsPerEpoch: 5 })).toThrow(/bad position/);
  });
});
