/** torchvision AlexNet (torchvision/models/alexnet.py). */
import { conv2d, maxPool2d, relu, sequential } from "../nn/layers.ts";
import { mlpClassifierNet } from "../nn/classic.ts";
import { type CatalogEntry, type NetBuilder, mini, pretrained } from "../nn/net.ts";

/** Output channels of the five convs; torchvision: [64, 192, 384, 256, 256], 4096 hidden. */
export function alexnet(ch: readonly number[] = [64, 192, 384, 256, 256], hidden = 4096): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const f = root.at("features");
    const body = sequential(
      conv2d(f.at(0), 3, ch[0], 11, { stride: 4, padding: 2, bias: true }), relu, maxPool2d(3, 2),
      conv2d(f.at(3), ch[0], ch[1], 5, { padding: 2, bias: true }), relu, maxPool2d(3, 2),
      conv2d(f.at(6), ch[1], ch[2], 3, { padding: 1, bias: true }), relu,
      conv2d(f.at(8), ch[2], ch[3], 3, { padding: 1, bias: true }), relu,
      conv2d(f.at(10), ch[3], ch[4], 3, { padding: 1, bias: true }), relu, maxPool2d(3, 2),
    );
    return mlpClassifierNet(root, body, ch[4], { pool: 6, hidden, style: "alexnet" }, numClasses, pooling, "alexnet");
  };
}

export const ALEXNET_BACKBONES: readonly CatalogEntry[] = [
  pretrained({ id: "alexnet.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.alexnet AlexNet_Weights.IMAGENET1K_V1", params: 61_100_840, imagenetTop1: 56.5 }, alexnet(), "AlexNet"),
  mini("alexnet_mini.random", 22_562, alexnet([8, 16, 16, 16, 8], 32), 64),
];
