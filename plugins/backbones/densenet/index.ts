/** torchvision DenseNet (torchvision/models/densenet.py). */
import * as tf from "@tensorflow/tfjs";
import { type Module, type Scope, avgPool2d, batchNorm2d, conv2d, globalPool, maxPool2d, relu, sequential } from "../nn/layers.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

export interface DenseNetConfig {
  readonly growth: number;
  readonly blocks: readonly number[];
  readonly initFeatures: number;
  readonly bnSize: number;
}

function denseLayer(s: Scope, inC: number, growth: number, bnSize: number): Module {
  return sequential(
    batchNorm2d(s.at("norm1"), inC), relu, conv2d(s.at("conv1"), inC, bnSize * growth, 1),
    batchNorm2d(s.at("norm2"), bnSize * growth), relu, conv2d(s.at("conv2"), bnSize * growth, growth, 3, { padding: 1 }),
  );
}

/**
 * torchvision's published DenseNet checkpoints keep the old `denselayerN.norm.1.weight` keys;
 * torchvision renames them on load (densenet.py `_load_state_dict`), and so do we.
 */
const LEGACY_DENSE = /^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$/;

function renameLegacyDenseLayers(tensors: TensorMap): TensorMap {
  if (![...tensors.keys()].some((k) => LEGACY_DENSE.test(k))) return tensors;
  return new Map([...tensors].map(([k, t]) => [k.replace(LEGACY_DENSE, "$1$2"), t]));
}

export function densenet(cfg: DenseNetConfig): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const f = root.at("features");
    let c = cfg.initFeatures;
    const mods: Module[] = [conv2d(f.at("conv0"), 3, c, 7, { stride: 2, padding: 3 }), batchNorm2d(f.at("norm0"), c), relu, maxPool2d(3, 2, 1)];
    cfg.blocks.forEach((n, i) => {
      const layers: Module[] = [];
      for (let j = 0; j < n; j++) layers.push(denseLayer(f.at(`denseblock${i + 1}`).at(`denselayer${j + 1}`), c + j * cfg.growth, cfg.growth, cfg.bnSize));
      // Each layer sees the concatenation of the block input and all earlier layers' outputs.
      mods.push((x, ctx) => layers.reduce((h, layer) => tf.concat([h, layer(h, ctx)], 3), x));
      c += n * cfg.growth;
      if (i < cfg.blocks.length - 1) {
        const t = f.at(`transition${i + 1}`);
        mods.push(batchNorm2d(t.at("norm"), c), relu, conv2d(t.at("conv"), c, Math.floor(c / 2), 1), avgPool2d(2, 2));
        c = Math.floor(c / 2);
      }
    });
    mods.push(batchNorm2d(f.at("norm5"), c), relu);
    const pool = globalPool(root.at("pool"), pooling);
    buildHead(root, "classifier", c, numClasses);
    const body = sequential(...mods);
    return { features: (x: tf.Tensor4D, ctx) => pool(body(x, ctx)), headName: "classifier", headIn: c, adaptCheckpoint: renameLegacyDenseLayers };
  };
}

export const DENSENET_BACKBONES: readonly CatalogEntry[] = [
  pretrained({ id: "densenet121.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.densenet121 DenseNet121_Weights.IMAGENET1K_V1", params: 7_978_856, imagenetTop1: 74.4 }, densenet({ growth: 32, blocks: [6, 12, 24, 16], initFeatures: 64, bnSize: 4 }), "DenseNet-121"),
  mini("densenet_mini.random", 5_106, densenet({ growth: 4, blocks: [2, 2, 2, 2], initFeatures: 8, bnSize: 2 })),
];
