/**
 * The Inception family: FID's Inception-v3 (pytorch-fid's weights and blocks) and timm's
 * Inception-ResNet-v2, with their minis; `fidFeatures` extracts FID's pool3 features.
 */
import { type CatalogEntry, mini, pretrained } from "../nn/net.ts";
import { fidInceptionV3 } from "./fid-inception-v3.ts";
import { inceptionResnetV2 } from "./inception-resnet-v2.ts";

export { FID_RESIZE, fidFeatures } from "./fid-features.ts";

const HALF = [0.5, 0.5, 0.5] as const;
const MINI_INPUT = 107;

export const INCEPTION_BACKBONES: readonly CatalogEntry[] = [
  {
    // pytorch-fid's checkpoint ships a 1008-way classifier (the TF graph's), so that is the head
    // the parameter count and a checkpoint load start from.
    ...pretrained({
      id: "inception_v3.pytorch_fid", source: "pytorch-fid",
      upstreamName: "pytorch-fid fid_inception_v3(), weights pt_inception-2015-12-05-6726825d.pth (TF inception-2015-12-05)",
      params: 23_850_960, inputSize: 299, resizeSize: 299, interpolation: "bilinear", mean: HALF, std: HALF,
    }, fidInceptionV3()),
    headClasses: 1008,
  },
  pretrained({
    id: "inception_resnet_v2.tf_in1k", source: "timm", upstreamName: "timm inception_resnet_v2.tf_in1k (TF-slim inception_resnet_v2_2016_08_30)",
    params: 55_843_464, imagenetTop1: 80.4, inputSize: 299, resizeSize: Math.round(299 / 0.8975), interpolation: "bicubic", mean: HALF, std: HALF,
  }, inceptionResnetV2(), "Inception-ResNet v2"),
  // widths ceil(w / 32), one block of each kind (each repeated kind under its first upstream name);
  // 107x107 is the smallest input whose last stage is 2x2: at 1x1, training-mode batch norm over a
  // batch of 2 is so ill-conditioned that float32 noise decides the gradients
  mini("fid_inception_mini.random", 16_592, fidInceptionV3(32, { a: 1, c: 1 }), MINI_INPUT),
  mini("inception_resnet_v2_mini.random", 16_410, inceptionResnetV2(32, [1, 1, 1]), MINI_INPUT),
];
