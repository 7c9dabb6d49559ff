/** torchvision ConvNeXt (torchvision/models/convnext.py): LayerNorm eps 1e-6, layer scale, stochastic depth. */
import * as tf from "@tensorflow/tfjs";
import { type Module, type Scope, conv2d, gelu, globalPool, layerNorm, linear, sequential, stochasticDepth } from "../nn/layers.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

/** torchvision CNBlockConfig: input channels, output channels (null: last stage), blocks. */
export type CnStage = readonly [number, number | null, number];
export const CONVNEXT_TINY: readonly CnStage[] = [[96, 192, 3], [192, 384, 3], [384, 768, 9], [768, null, 3]];

function cnBlock(s: Scope, dim: number, layerScale: number, sdProb: number): Module {
  const b = s.at("block");
  const body = sequential(
    conv2d(b.at(0), dim, dim, 7, { padding: 3, groups: dim, bias: true }),
    layerNorm(b.at(2), dim, 1e-6), linear(b.at(3), dim, 4 * dim), gelu, linear(b.at(5), 4 * dim, dim),
  );
  s.store.add(s.name("layer_scale"), [dim, 1, 1], "flat", { kind: "const", value: layerScale });
  const drop = stochasticDepth(sdProb);
  return (x, ctx) => tf.add(drop(tf.mul(body(x, ctx), s.store.get(s.name("layer_scale"))), ctx), x);
}

export function convnext(stages: readonly CnStage[], sdProb = 0.1, layerScale = 1e-6): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const f = root.at("features");
    const first = stages[0][0];
    const mods: Module[] = [conv2d(f.at(0).at(0), 3, first, 4, { stride: 4, bias: true }), layerNorm(f.at(0).at(1), first, 1e-6)];
    const total = stages.reduce((n, st) => n + st[2], 0);
    let blockId = 0;
    let index = 1;
    for (const [inC, out, n] of stages) {
      for (let b = 0; b < n; b++) mods.push(cnBlock(f.at(index).at(b), inC, layerScale, (sdProb * blockId++) / (total - 1)));
      index++;
      if (out !== null) {
        mods.push(layerNorm(f.at(index).at(0), inC, 1e-6), conv2d(f.at(index).at(1), inC, out, 2, { stride: 2, bias: true }));
        index++;
      }
    }
    const last = stages[stages.length - 1][1] ?? stages[stages.length - 1][0];
    const pool = globalPool(root.at("pool"), pooling);
    const norm = layerNorm(root.at("classifier").at(0), last, 1e-6);
    buildHead(root, "classifier.2", last, numClasses);
    const body = sequential(...mods);
    return { features: (x: tf.Tensor4D, ctx) => norm(pool(body(x, ctx)), ctx), headName: "classifier.2", headIn: last };
  };
}

export const CONVNEXT_BACKBONES: readonly CatalogEntry[] = [
  pretrained({ id: "convnext_tiny.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.convnext_tiny ConvNeXt_Tiny_Weights.IMAGENET1K_V1", params: 28_589_128, imagenetTop1: 82.5, resizeSize: 236 }, convnext(CONVNEXT_TINY), "ConvNext-tiny"),
  mini("convnext_mini.random", 17_458, convnext([[8, 16, 1], [16, 32, 1], [32, null, 1]])),
];
