/**
 * Augmentation benchmarks (not tests): one JSON line per pipeline with the median milliseconds
 * per image and images per second on one thread, for a 512x384 uint8 RGB input (a decoded
 * photo) and the paper's 256-pixel training/eval transforms.
 *
 *   npx tsx test/bench/augment.bench.ts
 */
import type { Augmentation, Image } from "../../core/contracts.ts";
import { SeedTree } from "../../core/rng.ts";
import { augmixAugmentation as augmix } from "../../plugins/augmentations/augmix/index.ts";
import { horizontalFlipAugmentation as horizontalFlip } from "../../plugins/augmentations/horizontal-flip/index.ts";
import { normalizeAugmentation as normalize } from "../../plugins/augmentations/normalize/index.ts";
import { randAugmentAugmentation as randAugment } from "../../plugins/augmentations/rand-augment/index.ts";
import { randomResizedCropAugmentation as randomResizedCrop } from "../../plugins/augmentations/random-resized-crop/index.ts";
import { resizeCenterCropAugmentation as resizeCenterCrop } from "../../plugins/augmentations/resize-center-crop/index.ts";
import { colorJitterAugmentation as colorJitter } from "../../plugins/augmentations/color-jitter/index.ts";

const seeds = new SeedTree(0);
const src = seeds.stream("bench-image");
const image: Image = { width: 512, height: 384, channels: 3, data: Uint8Array.from({ length: 512 * 384 * 3 }, () => src.int(256)) };
const norm = normalize.build({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
const crop = randomResizedCrop.build({ size: 256, scale: [0.65, 1] });
const flip = horizontalFlip.build({});

const PIPELINES: Record<string, Augmentation[]> = {
  "train: rrc(256, 0.65-1) + hflip + normalize": [crop, flip, norm],
  "eval: resize(256) + center-crop(256) + normalize": [resizeCenterCrop.build({ resize: 256, crop: 256 }), norm],
  "rrc + hflip + rand-augment(2, 9) + normalize": [crop, flip, randAugment.build({}), norm],
  "rrc + hflip + augmix + normalize": [crop, flip, augmix.build({}), norm],
  "rrc + color-jitter(0.4, 0.4, 0.4, 0.1) + normalize": [crop, colorJitter.build({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }), norm],
};

for (const [name, augs] of Object.entries(PIPELINES)) {
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const rng = seeds.stream("augment", 0, i);
    const t = performance.now();
    augs.reduce((img, a) => a.apply(img, rng), image);
    times.push(performance.now() - t);
  }
  const ms = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  console.log(JSON.stringify({ bench: "augment", case: name, input: "512x384x3 uint8", msPerImage: Number(ms.toFixed(2)), imagesPerSecond: Number((1000 / ms).toFixed(1)) }));
}
