/** torchvision MobileNetV3 (torchvision/models/mobilenetv3.py); BN eps 1e-3, momentum 0.01. */
import * as tf from "@tensorflow/tfjs";
import { type Module, type Scope, convBnAct, dropout, globalPool, hardsigmoid, hardswish, linear, makeDivisible, relu, residualAdd, sequential, squeezeExcitation } from "../nn/layers.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

/** torchvision InvertedResidualConfig: in, kernel, expanded, out, SE, activation, stride. */
export type Bneck = readonly [number, number, number, number, boolean, "RE" | "HS", number];

export const MOBILENET_V3_SMALL: readonly Bneck[] = [
  [16, 3, 16, 16, true, "RE", 2], [16, 3, 72, 24, false, "RE", 2], [24, 3, 88, 24, false, "RE", 1],
  [24, 5, 96, 40, true, "HS", 2], [40, 5, 240, 40, true, "HS", 1], [40, 5, 240, 40, true, "HS", 1],
  [40, 5, 120, 48, true, "HS", 1], [48, 5, 144, 48, true, "HS", 1], [48, 5, 288, 96, true, "HS", 2],
  [96, 5, 576, 96, true, "HS", 1], [96, 5, 576, 96, true, "HS", 1],
];

const BN = { eps: 1e-3, momentum: 0.01 };

function block(s: Scope, [inC, k, exp, out, se, act, stride]: Bneck): Module {
  const a = act === "HS" ? hardswish : relu;
  const mods: Module[] = [];
  let j = 0;
  if (exp !== inC) mods.push(convBnAct(s.at(j++), inC, exp, 1, { act: a, ...BN }));
  mods.push(convBnAct(s.at(j++), exp, exp, k, { stride, groups: exp, act: a, ...BN }));
  if (se) mods.push(squeezeExcitation(s.at(j++), exp, makeDivisible(Math.floor(exp / 4), 8), relu, hardsigmoid));
  mods.push(convBnAct(s.at(j++), exp, out, 1, BN));
  const body = sequential(...mods);
  return stride === 1 && inC === out ? residualAdd(body) : body;
}

export function mobilenetV3(setting: readonly Bneck[], lastChannel: number): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const f = root.at("features");
    const first = setting[0][0];
    const mods: Module[] = [convBnAct(f.at(0), 3, first, 3, { stride: 2, act: hardswish, ...BN })];
    setting.forEach((cfg, i) => mods.push(block(f.at(i + 1).at("block"), cfg)));
    const lastIn = setting[setting.length - 1][3];
    const lastConv = 6 * lastIn;
    mods.push(convBnAct(f.at(setting.length + 1), lastIn, lastConv, 1, { act: hardswish, ...BN }));
    const pool = globalPool(root.at("pool"), pooling);
    const c = root.at("classifier");
    const pre = sequential(linear(c.at(0), lastConv, lastChannel), hardswish, dropout(0.2));
    buildHead(root, "classifier.3", lastChannel, numClasses);
    const body = sequential(...mods);
    return { features: (x: tf.Tensor4D, ctx) => pre(pool(body(x, ctx)), ctx), headName: "classifier.3", headIn: lastChannel };
  };
}

export const MOBILENETV3_BACKBONES: readonly CatalogEntry[] = [
  pretrained({ id: "mobilenet_v3_small.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.mobilenet_v3_small MobileNet_V3_Small_Weights.IMAGENET1K_V1", params: 2_542_856, imagenetTop1: 67.7 }, mobilenetV3(MOBILENET_V3_SMALL, 1024), "MobileNet V3 small"),
  mini("mobilenet_v3_mini.random", 14_602, mobilenetV3([[8, 3, 8, 8, true, "RE", 2], [8, 3, 16, 16, false, "RE", 2], [16, 5, 24, 16, true, "HS", 1], [16, 5, 32, 24, true, "HS", 2]], 32)),
];
