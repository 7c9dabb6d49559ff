/** torchvision EfficientNet B0-B4 (torchvision/models/efficientnet.py): SiLU, SE, stochastic depth 0.2. */
import * as tf from "@tensorflow/tfjs";
import { type Module, type Scope, convBnAct, dropout, globalPool, makeDivisible, sequential, sigmoid, silu, squeezeExcitation, stochasticDepth } from "../nn/layers.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

/** torchvision MBConvConfig before scaling: expand ratio, kernel, stride, in, out, layers. */
export type MbConv = readonly [number, number, number, number, number, number];

export const EFFICIENTNET_B0: readonly MbConv[] = [
  [1, 3, 1, 32, 16, 1], [6, 3, 2, 16, 24, 2], [6, 5, 2, 24, 40, 2], [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3], [6, 5, 2, 112, 192, 4], [6, 3, 1, 192, 320, 1],
];

function mbconv(s: Scope, expandRatio: number, k: number, stride: number, inC: number, out: number, sdProb: number): Module {
  const exp = makeDivisible(inC * expandRatio, 8);
  const mods: Module[] = [];
  let j = 0;
  if (exp !== inC) mods.push(convBnAct(s.at(j++), inC, exp, 1, { act: silu }));
  mods.push(convBnAct(s.at(j++), exp, exp, k, { stride, groups: exp, act: silu }));
  mods.push(squeezeExcitation(s.at(j++), exp, Math.max(1, Math.floor(inC / 4)), silu, sigmoid));
  mods.push(convBnAct(s.at(j++), exp, out, 1));
  const body = sequential(...mods);
  if (!(stride === 1 && inC === out)) return body;
  const drop = stochasticDepth(sdProb);
  return (x, ctx) => tf.add(drop(body(x, ctx), ctx), x);
}

export function efficientnet(setting: readonly MbConv[], widthMult: number, depthMult: number, dropoutP: number, sdProb = 0.2): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const ch = (c: number) => makeDivisible(c * widthMult, 8);
    const depth = (n: number) => Math.ceil(n * depthMult);
    const f = root.at("features");
    const mods: Module[] = [convBnAct(f.at(0), 3, ch(setting[0][3]), 3, { stride: 2, act: silu })];
    const total = setting.reduce((n, cfg) => n + depth(cfg[5]), 0);
    let blockId = 0;
    setting.forEach(([e, k, stride, inC, out, n], i) => {
      for (let b = 0; b < depth(n); b++) {
        const cin = b === 0 ? ch(inC) : ch(out);
        mods.push(mbconv(f.at(i + 1).at(b).at("block"), e, k, b === 0 ? stride : 1, cin, ch(out), (sdProb * blockId) / total));
        blockId++;
      }
    });
    const lastIn = ch(setting[setting.length - 1][4]);
    const lastOut = 4 * lastIn;
    mods.push(convBnAct(f.at(setting.length + 1), lastIn, lastOut, 1, { act: silu }));
    const pool = globalPool(root.at("pool"), pooling);
    buildHead(root, "classifier.1", lastOut, numClasses);
    const body = sequential(...mods);
    const drop = dropout(dropoutP);
    return { features: (x: tf.Tensor4D, ctx) => drop(pool(body(x, ctx)), ctx), headName: "classifier.1", headIn: lastOut };
  };
}

export const EFFICIENTNET_BACKBONES: readonly CatalogEntry[] = [
  pretrained({ id: "efficientnet_b0.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.efficientnet_b0 EfficientNet_B0_Weights.IMAGENET1K_V1", params: 5_288_548, imagenetTop1: 77.7, interpolation: "bicubic" }, efficientnet(EFFICIENTNET_B0, 1.0, 1.0, 0.2), "EfficientNet B0"),
  pretrained({ id: "efficientnet_b4.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.efficientnet_b4 EfficientNet_B4_Weights.IMAGENET1K_V1", params: 19_341_616, imagenetTop1: 83.4, interpolation: "bicubic", inputSize: 380, resizeSize: 384 }, efficientnet(EFFICIENTNET_B0, 1.4, 1.8, 0.4), "EfficientNet B4"),
  // B0's first four stages at width 0.25 / depth 0.5
  mini("efficientnet_mini.random", 25_090, efficientnet(EFFICIENTNET_B0.slice(0, 4), 0.25, 0.5, 0.2)),
];
