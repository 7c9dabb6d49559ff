/** torchvision ShuffleNetV2 (torchvision/models/shufflenetv2.py). */
import * as tf from "@tensorflow/tfjs";
import { type Module, type Scope, convBn, globalPool, maxPool2d, relu, sequential } from "../nn/layers.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

/** torch's channel_shuffle(x, 2) in NHWC: channel i*(C/g)+j moves to j*g+i. */
function channelShuffle(x: tf.Tensor, groups: number): tf.Tensor {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, groups, c / groups]), [0, 1, 2, 4, 3]), [n, h, w, c]);
}

function invertedResidual(s: Scope, inp: number, oup: number, stride: number): Module {
  const bf = oup / 2;
  const branch1 =
    stride > 1
      ? sequential(
          convBn(s.at("branch1").at(0), s.at("branch1").at(1), inp, inp, 3, { stride, padding: 1, groups: inp }),
          convBn(s.at("branch1").at(2), s.at("branch1").at(3), inp, bf, 1, { act: relu }),
        )
      : null;
  const b2 = s.at("branch2");
  const branch2 = sequential(
    convBn(b2.at(0), b2.at(1), stride > 1 ? inp : bf, bf, 1, { act: relu }),
    convBn(b2.at(3), b2.at(4), bf, bf, 3, { stride, padding: 1, groups: bf }),
    convBn(b2.at(5), b2.at(6), bf, bf, 1, { act: relu }),
  );
  return (x, ctx) => {
    const out = branch1
      ? tf.concat([branch1(x, ctx), branch2(x, ctx)], 3)
      : (() => {
          const [x1, x2] = tf.split(x, 2, 3);
          return tf.concat([x1, branch2(x2, ctx)], 3);
        })();
    return channelShuffle(out, 2);
  };
}

export function shufflenetV2(repeats: readonly number[], channels: readonly number[]): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const mods: Module[] = [
      convBn(root.at("conv1").at(0), root.at("conv1").at(1), 3, channels[0], 3, { stride: 2, padding: 1, act: relu }),
      maxPool2d(3, 2, 1),
    ];
    let c = channels[0];
    repeats.forEach((r, i) => {
      const out = channels[i + 1];
      for (let b = 0; b < r; b++) mods.push(invertedResidual(root.at(`stage${i + 2}`).at(b), b === 0 ? c : out, out, b === 0 ? 2 : 1));
      c = out;
    });
    const last = channels[channels.length - 1];
    mods.push(convBn(root.at("conv5").at(0), root.at("conv5").at(1), c, last, 1, { act: relu }));
    const pool = globalPool(root.at("pool"), pooling);
    buildHead(root, "fc", last, numClasses);
    const body = sequential(...mods);
    return { features: (x: tf.Tensor4D, ctx) => pool(body(x, ctx)), headName: "fc", headIn: last };
  };
}

export const SHUFFLENET_BACKBONES: readonly CatalogEntry[] = [
  pretrained({ id: "shufflenet_v2_x0_5.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.shufflenet_v2_x0_5 ShuffleNet_V2_X0_5_Weights.IMAGENET1K_V1", params: 1_366_792, imagenetTop1: 60.6 }, shufflenetV2([4, 8, 4], [24, 48, 96, 192, 1024]), "ShuffleNetV2x0.5"),
  pretrained({ id: "shufflenet_v2_x1_0.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.shufflenet_v2_x1_0 ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1", params: 2_278_604, imagenetTop1: 69.4 }, shufflenetV2([4, 8, 4], [24, 116, 232, 464, 1024]), "ShuffleNetV2x1.0"),
  mini("shufflenet_v2_mini.random", 11_458, shufflenetV2([1, 2, 1], [8, 16, 32, 64, 64])),
];
