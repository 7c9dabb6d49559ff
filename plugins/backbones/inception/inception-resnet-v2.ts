/**
 * timm's Inception-ResNet-v2 (timm/models/inception_resnet_v2.py, the TF-slim port): stem, mixed_5b,
 * 10 x Block35 (`repeat`, residual scale 0.17), mixed_6a, 20 x Block17 (`repeat_1`, 0.10),
 * mixed_7a, 9 x Block8 (`repeat_2`, 0.20), a last Block8 without ReLU (`block8`, scale 1),
 * conv2d_7b, global average pool, `classif`. Convs are ConvNormAct (`.conv`, `.bn` eps 1e-3, ReLU);
 * each residual branch ends in a 1x1 conv with bias (`conv2d`).
 */
import * as tf from "@tensorflow/tfjs";
import { type Module, type Scope, conv2d, globalPool, maxPool2d, sequential } from "../nn/layers.ts";
import { type NetBuilder, buildHead } from "../nn/net.ts";
import { type Width, avgPool3x3ExcludePad, checkInputSize, concatBranches, convBnRelu, inceptionStem } from "./layers.ts";

/** `branchN` as an nn.Sequential of ConvNormActs: [out, kernel, padding, stride?] per layer. */
function branch(s: Scope, cin: number, layers: readonly (readonly [number, number | readonly [number, number], number | readonly [number, number], number?])[]): Module {
  let c = cin;
  return sequential(...layers.map(([out, kernel, padding, stride], i) => {
    const m = convBnRelu(s.at(i), c, out, kernel, { padding, stride });
    c = out;
    return m;
  }));
}

/** `relu?(conv2d(cat(branches)) * scale + x)`. */
function residual(s: Scope, cin: number, branches: readonly Module[], catC: number, scale: number, relu: boolean): Module {
  const cat = concatBranches(branches);
  const up = conv2d(s.at("conv2d"), catC, cin, 1, { bias: true });
  return (x, ctx) => {
    const r = up(cat(x, ctx), ctx);
    const out = tf.add(scale === 1 ? r : tf.mul(r, scale), x);
    return relu ? tf.relu(out) : out;
  };
}

function block35(s: Scope, c: number, w: Width): Module {
  return residual(s, c, [
    convBnRelu(s.at("branch0"), c, w(32), 1),
    branch(s.at("branch1"), c, [[w(32), 1, 0], [w(32), 3, 1]]),
    branch(s.at("branch2"), c, [[w(32), 1, 0], [w(48), 3, 1], [w(64), 3, 1]]),
  ], 2 * w(32) + w(64), 0.17, true);
}

function block17(s: Scope, c: number, w: Width): Module {
  return residual(s, c, [
    convBnRelu(s.at("branch0"), c, w(192), 1),
    branch(s.at("branch1"), c, [[w(128), 1, 0], [w(160), [1, 7], [0, 3]], [w(192), [7, 1], [3, 0]]]),
  ], 2 * w(192), 0.1, true);
}

function block8(s: Scope, c: number, w: Width, scale: number, relu: boolean): Module {
  return residual(s, c, [
    convBnRelu(s.at("branch0"), c, w(192), 1),
    branch(s.at("branch1"), c, [[w(192), 1, 0], [w(224), [1, 3], [0, 1]], [w(256), [3, 1], [1, 0]]]),
  ], w(192) + w(256), scale, relu);
}

/** Inception-ResNet-v2 with output widths ceil(w / div) and `repeats` Block35/17/8 (10, 20, 9 published). */
export function inceptionResnetV2(div = 1, repeats: readonly [number, number, number] = [10, 20, 9]): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const w: Width = (n) => Math.ceil(n / div);
    const mods: Module[] = [inceptionStem(root, ["conv2d_1a", "conv2d_2a", "conv2d_2b", "conv2d_3b", "conv2d_4a"], w)];
    const m5 = root.at("mixed_5b");
    const c4 = w(192);
    mods.push(concatBranches([
      convBnRelu(m5.at("branch0"), c4, w(96), 1),
      branch(m5.at("branch1"), c4, [[w(48), 1, 0], [w(64), 5, 2]]),
      branch(m5.at("branch2"), c4, [[w(64), 1, 0], [w(96), 3, 1], [w(96), 3, 1]]),
      // nn.Sequential(AvgPool2d(count_include_pad=False), ConvNormAct): the conv is branch3.1
      sequential(avgPool3x3ExcludePad, convBnRelu(m5.at("branch3").at(1), c4, w(64), 1)),
    ]));
    const c5 = 2 * w(96) + 2 * w(64);
    for (let i = 0; i < repeats[0]; i++) mods.push(block35(root.at("repeat").at(i), c5, w));
    const m6 = root.at("mixed_6a");
    mods.push(concatBranches([
      convBnRelu(m6.at("branch0"), c5, w(384), 3, { stride: 2 }),
      branch(m6.at("branch1"), c5, [[w(256), 1, 0], [w(256), 3, 1], [w(384), 3, 0, 2]]),
      maxPool2d(3, 2),
    ]));
    const c6 = 2 * w(384) + c5;
    for (let i = 0; i < repeats[1]; i++) mods.push(block17(root.at("repeat_1").at(i), c6, w));
    const m7 = root.at("mixed_7a");
    mods.push(concatBranches([
      branch(m7.at("branch0"), c6, [[w(256), 1, 0], [w(384), 3, 0, 2]]),
      branch(m7.at("branch1"), c6, [[w(256), 1, 0], [w(288), 3, 0, 2]]),
      branch(m7.at("branch2"), c6, [[w(256), 1, 0], [w(288), 3, 1], [w(320), 3, 0, 2]]),
      maxPool2d(3, 2),
    ]));
    const c7 = w(384) + w(288) + w(320) + c6;
    for (let i = 0; i < repeats[2]; i++) mods.push(block8(root.at("repeat_2").at(i), c7, w, 0.2, true));
    mods.push(block8(root.at("block8"), c7, w, 1, false));
    mods.push(convBnRelu(root.at("conv2d_7b"), c7, w(1536), 1));
    const body = sequential(...mods);
    const pool = globalPool(root.at("pool"), pooling);
    buildHead(root, "classif", w(1536), numClasses);
    return {
      features: (x: tf.Tensor4D, ctx) => {
        checkInputSize("inception_resnet_v2", x);
        return pool(body(x, ctx));
      },
      headName: "classif",
      headIn: w(1536),
    };
  };
}
