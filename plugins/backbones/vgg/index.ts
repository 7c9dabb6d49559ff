/** torchvision VGG with batch norm (torchvision/models/vgg.py): `features.N` indices as upstream. */
import { type Module, convBn, maxPool2d, relu, sequential } from "../nn/layers.ts";
import { type MlpHeadConfig, mlpClassifierNet } from "../nn/classic.ts";
import { type CatalogEntry, type NetBuilder, mini, pretrained } from "../nn/net.ts";

/** Channel counts, "M" for 2x2 max pooling (torchvision's cfgs "B" = VGG-13, "D" = VGG-16). */
export type VggLayers = readonly (number | "M")[];
export const VGG13: VggLayers = [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"];
export const VGG16: VggLayers = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"];

export function vggBn(layers: VggLayers, head: Omit<MlpHeadConfig, "style"> = { pool: 7, hidden: 4096 }): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const mods: Module[] = [];
    let index = 0;
    let c = 3;
    for (const v of layers) {
      if (v === "M") {
        mods.push(maxPool2d(2, 2));
        index += 1;
      } else {
        mods.push(convBn(root.at("features").at(index), root.at("features").at(index + 1), c, v, 3, { padding: 1, bias: true, act: relu }));
        index += 3;
        c = v;
      }
    }
    return mlpClassifierNet(root, sequential(...mods), c, { ...head, style: "vgg" }, numClasses, pooling, "vgg");
  };
}

export const VGG_BACKBONES: readonly CatalogEntry[] = [
  pretrained({ id: "vgg13_bn.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.vgg13_bn VGG13_BN_Weights.IMAGENET1K_V1", params: 133_053_736, imagenetTop1: 71.6 }, vggBn(VGG13), "VGG-13 BN"),
  pretrained({ id: "vgg16_bn.tv_in1k", source: "torchvision", upstreamName: "torchvision.models.vgg16_bn VGG16_BN_Weights.IMAGENET1K_V1", params: 138_365_992, imagenetTop1: 73.4 }, vggBn(VGG16), "VGG-16 BN"),
  mini("vgg_bn_mini.random", 23_322, vggBn([8, "M", 16, 16, "M", 32, "M", 32, "M"], { pool: 2, hidden: 32 })),
];
