/** The augmentation plugins, per-image and batch, in manifest order. */
import { augmixAugmentation } from "./augmix/index.ts";
import { mixupAugmentation, cutmixAugmentation } from "./batch/index.ts";
import { colorJitterAugmentation } from "./color-jitter/index.ts";
import { horizontalFlipAugmentation } from "./horizontal-flip/index.ts";
import { normalizeAugmentation } from "./normalize/index.ts";
import { randAugmentAugmentation } from "./rand-augment/index.ts";
import { randomAffineAugmentation } from "./random-affine/index.ts";
import { randomErasingAugmentation } from "./random-erasing/index.ts";
import { randomResizedCropAugmentation } from "./random-resized-crop/index.ts";
import { randomRotationAugmentation } from "./random-rotation/index.ts";
import { resizeCenterCropAugmentation } from "./resize-center-crop/index.ts";
import { trivialAugmentWideAugmentation } from "./trivial-augment-wide/index.ts";
import { verticalFlipAugmentation } from "./vertical-flip/index.ts";

export {
  augmixAugmentation, colorJitterAugmentation, cutmixAugmentation, horizontalFlipAugmentation, mixupAugmentation,
  normalizeAugmentation, randAugmentAugmentation, randomAffineAugmentation, randomErasingAugmentation,
  randomResizedCropAugmentation, randomRotationAugmentation, resizeCenterCropAugmentation,
  trivialAugmentWideAugmentation, verticalFlipAugmentation,
};

export const AUGMENTATION_PLUGINS = [
  augmixAugmentation, colorJitterAugmentation, horizontalFlipAugmentation, normalizeAugmentation, randAugmentAugmentation,
  randomAffineAugmentation, randomErasingAugmentation, randomResizedCropAugmentation, randomRotationAugmentation,
  resizeCenterCropAugmentation, trivialAugmentWideAugmentation, verticalFlipAugmentation,
] as const;

export const BATCH_AUGMENTATION_PLUGINS = [mixupAugmentation, cutmixAugmentation] as const;
