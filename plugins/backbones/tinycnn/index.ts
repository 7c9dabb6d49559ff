/**
 * The small CNN of the benchmarks and the Fashion-MNIST study: conv-pool-conv-pool-fc-fc with
 * ReLU, "same" 3x3 convolutions and 2x2 max pooling. Widths are options, so `tinycnn.random`
 * (32, 64, 128) and narrower variants share one implementation. Weights start from PyTorch's
 * default initialisation (uniform in +-1/sqrt(fan_in)) drawn from the run's `init` stream.
 */
import * as tf from "@tensorflow/tfjs-core";
import { z } from "zod";
import { definePlugin, parseOptions, XferError, type Backbone, type Rng } from "../../../core/index.ts";

const optionsSchema = z.strictObject({
  inputSize: z.number().int().min(4).default(28),
  channels: z.number().int().min(1).max(4).default(1),
  widths: z.tuple([z.number().int().min(1), z.number().int().min(1)]).default([32, 64]),
  hidden: z.number().int().min(1).default(128),
});

let instances = 0;

function uniform(shape: number[], fanIn: number, rng: Rng, name: string): tf.Variable {
  const bound = 1 / Math.sqrt(fanIn);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.range(-bound, bound);
  // tidy disposes the initial tensor; the variable keeps the data.
  return tf.tidy(() => tf.variable(tf.tensor(values, shape), true, name));
}

export const tinyCnnBackbone = definePlugin({
  meta: {
    kind: "backbone",
    name: "tinycnn.random",
    version: "1.0.0",
    description: "conv(w1)-pool-conv(w2)-pool-fc(hidden)-fc(classes), random init; defaults 32/64/128 at 28x28x1",
  },
  create(options, ctx): Backbone {
    const o = parseOptions(this.meta, optionsSchema, options);
    if (!ctx.numClasses) throw new XferError(`backbone "${this.meta.name}" needs the dataset's number of classes`);
    const prefix = `tinycnn${++instances}`;
    const rng = ctx.seeds.stream("init");
    const [w1, w2] = o.widths;
    const pooled = Math.floor(Math.floor(o.inputSize / 2) / 2);
    const flat = pooled * pooled * w2;
    const body = [
      uniform([3, 3, o.channels, w1], 9 * o.channels, rng, `${prefix}/conv1/kernel`),
      uniform([w1], 9 * o.channels, rng, `${prefix}/conv1/bias`),
      uniform([3, 3, w1, w2], 9 * w1, rng, `${prefix}/conv2/kernel`),
      uniform([w2], 9 * w1, rng, `${prefix}/conv2/bias`),
      uniform([flat, o.hidden], flat, rng, `${prefix}/fc1/kernel`),
      uniform([o.hidden], flat, rng, `${prefix}/fc1/bias`),
    ];
    let head = [
      uniform([o.hidden, ctx.numClasses], o.hidden, rng, `${prefix}/head/kernel`),
      uniform([ctx.numClasses], o.hidden, rng, `${prefix}/head/bias`),
    ];
    let heads = 0;

    const features = (x: tf.Tensor4D): tf.Tensor2D => {
      const [k1, b1, k2, b2, f1, fb1] = body;
      let h = tf.relu(tf.add(tf.conv2d(x, k1 as tf.Tensor4D, 1, "same"), b1));
      h = tf.maxPool(h as tf.Tensor4D, 2, 2, "valid");
      h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, k2 as tf.Tensor4D, 1, "same"), b2));
      h = tf.maxPool(h as tf.Tensor4D, 2, 2, "valid");
      return tf.relu(tf.add(tf.matMul(tf.reshape(h, [x.shape[0], flat]), f1 as tf.Tensor2D), fb1)) as tf.Tensor2D;
    };

    return {
      meta: {
        id: this.meta.name,
        inputSize: o.inputSize,
        channels: o.channels,
        mean: new Array(o.channels).fill(0),
        std: new Array(o.channels).fill(1),
        interpolation: "bilinear",
        resizeSize: o.inputSize,
        params: [...body, ...head].reduce((n, v) => n + v.size, 0),
        source: "random-init",
      },
      forwardFeatures: (x) => features(x),
      forward: (x) => tf.add(tf.matMul(features(x), head[0] as tf.Tensor2D), head[1]) as tf.Tensor2D,
      resetClassifier(numClasses, init) {
        head.forEach((v) => v.dispose());
        heads++;
        head = [
          uniform([o.hidden, numClasses], o.hidden, init, `${prefix}/head${heads}/kernel`),
          uniform([numClasses], o.hidden, init, `${prefix}/head${heads}/bias`),
        ];
      },
      freeze(spec) {
        for (const v of body) v.trainable = spec === false;
      },
      trainableVariables: () => [...body, ...head].filter((v) => v.trainable),
      stateVariables: () => [...body, ...head],
      dispose() {
        [...body, ...head].forEach((v) => v.dispose());
      },
    };
  },
});
