/** torchvision ResNet / ResNeXt (torchvision/models/resnet.py), names and init as upstream. */
import * as tf from "@tensorflow/tfjs";
import { type Ctx, type Module, type Scope, convBn, globalPool, maxPool2d, relu, sequential } from "../nn/layers.ts";
import { type CatalogEntry, type NetBuilder, buildHead, mini, pretrained } from "../nn/net.ts";

export interface ResNetConfig {
  readonly block: "basic" | "bottleneck";
  readonly layers: readonly number[];
  /** Stem width and per-stage planes; torchvision: 64 and [64, 128, 256, 512]. */
  readonly stem?: number;
  readonly planes?: readonly number[];
  readonly groups?: number;
  readonly widthPerGroup?: number;
}

export function resnet(cfg: ResNetConfig): NetBuilder {
  return (root, { numClasses, pooling }) => {
    const expansion = cfg.block === "basic" ? 1 : 4;
    const groups = cfg.groups ?? 1;
    const baseWidth = cfg.widthPerGroup ?? 64;
    const stem = cfg.stem ?? 64;
    const planesList = cfg.planes ?? [64, 128, 256, 512];
    let inplanes = stem;
    // Conv + batch norm pairs as convBn: folded into one fused convolution in eval.
    const stemConv = convBn(root.at("conv1"), root.at("bn1"), 3, stem, 7, { stride: 2, padding: 3, act: relu });
    const stages: Module[] = [];
    planesList.forEach((planes, i) => {
      const blocks: Module[] = [];
      for (let b = 0; b < cfg.layers[i]; b++) {
        const stride = b === 0 && i > 0 ? 2 : 1;
        const s = root.at(`layer${i + 1}`).at(b);
        blocks.push(cfg.block === "basic" ? basicBlock(s, inplanes, planes, stride) : bottleneck(s, inplanes, planes, stride, groups, baseWidth));
        inplanes = planes * expansion;
      }
      stages.push(sequential(...blocks));
    });
    const features = inplanes;
    const pool = globalPool(root.at("pool"), pooling);
    buildHead(root, "fc", features, numClasses);
    const body = sequential(stemConv, maxPool2d(3, 2, 1), ...stages);
    return { features: (x: tf.Tensor4D, ctx: Ctx) => pool(body(x, ctx)), headName: "fc", headIn: features };
  };
}

function downsample(s: Scope, inC: number, outC: number, stride: number): Module | null {
  if (stride === 1 && inC === outC) return null;
  return convBn(s.at(0), s.at(1), inC, outC, 1, { stride });
}

function residual(branch: Module, shortcut: Module | null): Module {
  return (x, ctx) => relu(tf.add(branch(x, ctx), shortcut ? shortcut(x, ctx) : x), ctx);
}

function basicBlock(s: Scope, inC: number, planes: number, stride: number): Module {
  const branch = sequential(
    convBn(s.at("conv1"), s.at("bn1"), inC, planes, 3, { stride, padding: 1, act: relu }),
    convBn(s.at("conv2"), s.at("bn2"), planes, planes, 3, { padding: 1 }),
  );
  return residual(branch, downsample(s.at("downsample"), inC, planes, stride));
}

function bottleneck(s: Scope, inC: number, planes: number, stride: number, groups: number, baseWidth: number): Module {
  const width = Math.floor(planes * (baseWidth / 64)) * groups;
  const out = planes * 4;
  const branch = sequential(
    convBn(s.at("conv1"), s.at("bn1"), inC, width, 1, { act: relu }),
    convBn(s.at("conv2"), s.at("bn2"), width, width, 3, { stride, padding: 1, groups, act: relu }),
    convBn(s.at("conv3"), s.at("bn3"), width, out, 1),
  );
  return residual(branch, downsample(s.at("downsample"), inC, out, stride));
}

const tv = (id: string, fn: string, weights: string, params: number, top1?: number) =>
  ({ id, source: "torchvision" as const, upstreamName: `torchvision.models.${fn} ${weights}.IMAGENET1K_V1`, params, ...(top1 === undefined ? {} : { imagenetTop1: top1 }) });

export const RESNET_BACKBONES: readonly CatalogEntry[] = [
  pretrained(tv("resnet18.tv_in1k", "resnet18", "ResNet18_Weights", 11_689_512), resnet({ block: "basic", layers: [2, 2, 2, 2] })),
  pretrained(tv("resnet50.tv_in1k", "resnet50", "ResNet50_Weights", 25_557_032, 76.1), resnet({ block: "bottleneck", layers: [3, 4, 6, 3] }), "ResNet-50"),
  // Table 3's ResNet-50s pre-trained with other augmentations (timm ports; same tensor names as torchvision).
  pretrained({ id: "resnet50.am_in1k", source: "timm", upstreamName: "timm resnet50.am_in1k (AugMix with JSD loss, from google-research/augmix)", params: 25_557_032 }, resnet({ block: "bottleneck", layers: [3, 4, 6, 3] })),
  pretrained({ id: "resnet50.ram_in1k", source: "timm", upstreamName: "timm resnet50.ram_in1k (RandAugment + mixup)", params: 25_557_032 }, resnet({ block: "bottleneck", layers: [3, 4, 6, 3] })),
  pretrained(tv("resnet152.tv_in1k", "resnet152", "ResNet152_Weights", 60_192_808, 78.3), resnet({ block: "bottleneck", layers: [3, 8, 36, 3] }), "ResNet-152"),
  pretrained(tv("resnext50_32x4d.tv_in1k", "resnext50_32x4d", "ResNeXt50_32X4D_Weights", 25_028_904, 77.6), resnet({ block: "bottleneck", layers: [3, 4, 6, 3], groups: 32, widthPerGroup: 4 }), "ResNeXt-50-32x4d"),
  mini("resnet18_mini.random", 78_962, resnet({ block: "basic", layers: [1, 1, 1, 1], stem: 8, planes: [8, 16, 32, 64] })),
  mini("resnext50_mini.random", 94_242, resnet({ block: "bottleneck", layers: [1, 1, 1, 1], stem: 8, planes: [8, 16, 32, 64], groups: 4, widthPerGroup: 16 })),
];
