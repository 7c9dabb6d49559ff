/**
 * The small CNN of the benchmarks and the Fashion-MNIST study: conv-pool-conv-pool-fc-fc with
 * ReLU, "same" 3x3 convolutions and 2x2 max pooling. Widths are options, so `tinycnn.random`
 * (32, 64, 128) and narrower variants share one implementation. Weights start from PyTorch's
 * default initialisation (uniform in +-1/sqrt(fan_in)) drawn from the run's plain `init` stream,
 * and parameters keep TensorFlow names and layouts (`conv1/kernel` [3, 3, in, out], `fc1/kernel`
 * [in, out]): that is how its checkpoints have always been written, so results stay bit-identical.
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { BackboneMeta } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import type { Scope } from "../nn/layers.ts";
import type { CatalogEntry, Net, NetBuilder } from "../nn/net.ts";

const familySchema = z.strictObject({
  channels: z.number().int().min(1).max(4).default(1),
  widths: z.tuple([z.number().int().min(1), z.number().int().min(1)]).default([32, 64]),
  hidden: z.number().int().min(1).default(128),
});
type TinyCnnOptions = z.output<typeof familySchema>;

const DEFAULTS = familySchema.parse({});
const DEFAULT_INPUT_SIZE = 28;

/** A TensorFlow-layout parameter drawn as torch's default init for this fan-in. */
function param(root: Scope, name: string, shape: number[], fanIn: number): void {
  root.store.add(name, shape, "plain", { kind: "range", bound: 1 / Math.sqrt(fanIn) });
}

const buildTinyCnn: NetBuilder = (root, { numClasses, pooling, inputSize = DEFAULT_INPUT_SIZE, family }): Net => {
  if (pooling !== "avg") throw new InputError(`backbone family "tinycnn"`, `pooling "${pooling}" is not available: tinycnn flattens its last feature map`);
  const { channels, widths: [w1, w2], hidden } = (family ?? DEFAULTS) as TinyCnnOptions;
  const pooled = Math.floor(Math.floor(inputSize / 2) / 2);
  const flat = pooled * pooled * w2;
  // Registration order is draw order and checkpoint order.
  param(root, "conv1/kernel", [3, 3, channels, w1], 9 * channels);
  param(root, "conv1/bias", [w1], 9 * channels);
  param(root, "conv2/kernel", [3, 3, w1, w2], 9 * w1);
  param(root, "conv2/bias", [w2], 9 * w1);
  param(root, "fc1/kernel", [flat, hidden], flat);
  param(root, "fc1/bias", [hidden], flat);
  param(root, "head/kernel", [hidden, numClasses], hidden);
  param(root, "head/bias", [numClasses], hidden);
  const p = (name: string) => root.store.get(name);
  return {
    features(x: tf.Tensor4D): tf.Tensor2D {
      let h = tf.relu(tf.add(tf.conv2d(x, p("conv1/kernel") as tf.Tensor4D, 1, "same"), p("conv1/bias")));
      h = tf.maxPool(h as tf.Tensor4D, 2, 2, "valid");
      h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, p("conv2/kernel") as tf.Tensor4D, 1, "same"), p("conv2/bias")));
      h = tf.maxPool(h as tf.Tensor4D, 2, 2, "valid");
      return tf.relu(tf.add(tf.matMul(tf.reshape(h, [x.shape[0], flat]), p("fc1/kernel") as tf.Tensor2D), p("fc1/bias"))) as tf.Tensor2D;
    },
    headName: "head",
    headIn: hidden,
    headKind: "dense",
  };
};

function tinyCnnMeta(o: TinyCnnOptions, params: number, base: BackboneMeta): BackboneMeta {
  return { ...base, channels: o.channels, mean: new Array(o.channels).fill(0), std: new Array(o.channels).fill(1), params };
}

export const TINYCNN_BACKBONES: readonly CatalogEntry[] = [
  {
    meta: tinyCnnMeta(DEFAULTS, 421_642, {
      id: "tinycnn.random", inputSize: DEFAULT_INPUT_SIZE, channels: 1, mean: [0], std: [1], interpolation: "bilinear",
      resizeSize: DEFAULT_INPUT_SIZE, params: 0, source: "random-init",
    }),
    build: buildTinyCnn,
    headClasses: 10,
    family: {
      schema: familySchema,
      pluginOptions: { inputSize: z.number().int().min(4).default(DEFAULT_INPUT_SIZE) },
      meta: (options, params, base) => tinyCnnMeta(options as TinyCnnOptions, params, base),
    },
    initStream: (seeds) => seeds.stream("init"),
  },
];
