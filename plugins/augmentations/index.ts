/** The per-image augmentation plugins, in manifest order. */
import augmix from "./augmix/index.ts";
import colorJitter from "./color-jitter/index.ts";
import horizontalFlip from "./horizontal-flip/index.ts";
import normalize from "./normalize/index.ts";
import randAugment from "./rand-augment/index.ts";
import randomAffine from "./random-affine/index.ts";
import randomErasing from "./random-erasing/index.ts";
import randomResizedCrop from "./random-resized-crop/index.ts";
import randomRotation from "./random-rotation/index.ts";
import resizeCenterCrop from "./resize-center-crop/index.ts";
import trivialAugmentWide from "./trivial-augment-wide/index.ts";
import verticalFlip from "./vertical-flip/index.ts";

export const AUGMENTATION_PLUGINS = [
  augmix, colorJitter, horizontalFlip, normalize, randAugment, randomAffine, randomErasing, randomResizedCrop,
  randomRotation, resizeCenterCrop, trivialAugmentWide, verticalFlip,
] as const;
