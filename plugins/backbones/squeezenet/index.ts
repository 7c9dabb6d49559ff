/** torchvision SqueezeNet 1.1 (torchvision/models/squeezenet.py): ceil-mode pooling, conv classifier. */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../../core/errors.ts";
import { type Module, type Scope, conv2d, dropout, maxPool2d, relu, sequential } from "../nn/layers.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

function fire(s: Scope, inC: number, squeeze: number, e1: number, e3: number): Module {
  const sq = sequential(conv2d(s.at("squeeze"), inC, squeeze, 1, { bias: true }), relu);
  const x1 = sequential(conv2d(s.at("expand1x1"), squeeze, e1, 1, { bias: true }), relu);
  const x3 = sequential(conv2d(s.at("expand3x3"), squeeze, e3, 3, { padding: 1, bias: true }), relu);
  return (x, ctx) => {
    const h = sq(x, ctx);
    return tf.concat([x1(h, ctx), x3(h, ctx)], 3);
  };
}

/** `stem` channels and the fire modules' squeeze planes (expand = 4x squeeze each branch). */
export function squeezenet11(stem = 64, squeezes: readonly number[] = [16, 16, 32, 32, 48, 48, 64, 64]): NetBuilder {
  return (root, { numClasses, pooling }) => {
    if (pooling !== "avg") throw new InputError(`backbone family "squeezenet"`, `pooling "${pooling}" is not available: the classifier conv precedes SqueezeNet's global pooling`);
    const f = root.at("features");
    const mods: Module[] = [conv2d(f.at(0), 3, stem, 3, { stride: 2, bias: true }), relu, maxPool2d(3, 2, 0, true)];
    // torchvision 1.1: fire modules at features.3,4 | pool 5 | 6,7 | pool 8 | 9,10,11,12
    const at = [3, 4, 6, 7, 9, 10, 11, 12];
    let c = stem;
    squeezes.forEach((sq, i) => {
      if (i === 2 || i === 4) mods.push(maxPool2d(3, 2, 0, true));
      mods.push(fire(f.at(at[i]), c, sq, 4 * sq, 4 * sq));
      c = 8 * sq;
    });
    buildHead(root, "classifier.1", c, numClasses, "conv");
    const body = sequential(...mods, dropout(0.5));
    return { features: (x: tf.Tensor4D, ctx) => body(x, ctx), headName: "classifier.1", headIn: c, headKind: "conv" };
  };
}

export const SQUEEZENET_BACKBONES: readonly CatalogEntry[] = [
  pretrained({ id: "squeezenet1_1.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.squeezenet1_1 SqueezeNet1_1_Weights.IMAGENET1K_V1", params: 1_235_496, imagenetTop1: 58.2 }, squeezenet11(), "SqueezeNet 1.1"),
  mini("squeezenet_mini.random", 10_462, squeezenet11(8, [2, 2, 4, 4, 4, 4, 8, 8])),
];
