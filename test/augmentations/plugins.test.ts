import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Image } from "../../core/contracts.ts";
import * as I from "../../core/image/index.ts";
import { SeedTree } from "../../core/rng.ts";
import { AUGMENTATION_PLUGINS } from "../../plugins/augmentations/index.ts";
import { cutmixAugmentation, mixupAugmentation } from "../../plugins/augmentations/batch/index.ts";
import { colorJitterAugmentation as colorJitter } from "../../plugins/augmentations/color-jitter/index.ts";
import { horizontalFlipAugmentation as horizontalFlip } from "../../plugins/augmentations/horizontal-flip/index.ts";
import { randomResizedCropAugmentation as randomResizedCrop } from "../../plugins/augmentations/random-resized-crop/index.ts";
import { randomErasingAugmentation as randomErasing } from "../../plugins/augmentations/random-erasing/index.ts";
import { randAugmentAugmentation as randAugment } from "../../plugins/augmentations/rand-augment/index.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function testImage(h: number, w: number, seed: number): Image {
  const rng = new SeedTree(seed).stream("test-image");
  return { height: h, width: w, channels: 3, data: Uint8Array.from({ length: h * w * 3 }, () => rng.int(256)) };
}

/** Options that exercise every plugin (those without defaults need some). */
const OPTIONS: Record<string, object> = {
  "random-resized-crop": { size: 8, scale: [0.65, 1] },
  "random-rotation": { degrees: 30 },
  "random-affine": { degrees: 10, translate: [0.1, 0.1], scale: [0.9, 1.1], shear: [-5, 5, -5, 5] },
  "color-jitter": { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
  "resize-center-crop": { resize: 10, crop: 8 },
  normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  "random-erasing": { p: 1 },
};
const seeds = new SeedTree(414);
const ctx = { seeds };

describe("every augmentation plugin", () => {
  for (const plugin of AUGMENTATION_PLUGINS) {
    it(`${plugin.meta.name}: a pure function of (image, stream) returning a valid image`, async () => {
      const aug = await plugin.create(OPTIONS[plugin.meta.name] as never ?? {}, ctx);
      const img = testImage(12, 14, 1);
      const copy = Uint8Array.from(img.data);
      const outs = [0, 1, 2].map((id) => aug.apply(img, seeds.stream("augment", 3, `sample-${id}`)));
      const again = aug.apply(img, seeds.stream("augment", 3, "sample-0"));
      expect(img.data).toEqual(copy); // input untouched
      for (const out of outs) expect(out.data.length).toBe(out.width * out.height * out.channels);
      expect(again).toEqual(outs[0]);
    });
  }

  it("rejects unknown options, naming the plugin", async () => {
    await expect(async () => randomResizedCrop.create({ size: 8, scal: [0.5, 1] }, ctx)).rejects.toThrow(/random-resized-crop/);
    expect(() => randomResizedCrop.build({ size: 8, scale: [1, 0.5] })).toThrow(/min <= max/);
  });
});

describe("augmentation semantics", () => {
  it("random-resized-crop with scale [1, 1] and the image's own aspect resizes the whole image", () => {
    const img = testImage(10, 10, 2);
    const out = randomResizedCrop.build({ size: [6, 6], scale: [1, 1], ratio: [1, 1] }).apply(img, seeds.stream("a"));
    expect(out).toEqual(I.resize(img, 6, 6));
  });

  it("horizontal-flip with p 1 flips, p 0 keeps", () => {
    const img = testImage(5, 7, 3);
    expect(horizontalFlip.build({ p: 1 }).apply(img, seeds.stream("b"))).toEqual(I.hflip(img));
    expect(horizontalFlip.build({ p: 0 }).apply(img, seeds.stream("b"))).toBe(img);
  });

  it("color-jitter with a fixed brightness range equals adjustBrightness", () => {
    const img = testImage(5, 7, 4);
    expect(colorJitter.build({ brightness: [1.3, 1.3] }).apply(img, seeds.stream("c"))).toEqual(I.adjustBrightness(img, 1.3));
  });

  it("rand-augment with no ops is the identity", () => {
    const img = testImage(5, 7, 5);
    expect(randAugment.build({ numOps: 0 }).apply(img, seeds.stream("d"))).toEqual(img);
  });

  it("random-erasing fills one box whose area lies in the scale range (fast-check seed 8)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), (id) => {
      const img = testImage(20, 24, 6);
      const out = randomErasing.build({ p: 1, value: [7, 7, 7] }).apply(img, seeds.stream("augment", 0, id));
      let changed = 0;
      let filled = 0;
      for (let i = 0; i < img.data.length; i += 3) {
        if (out.data[i] === 7 && out.data[i + 1] === 7 && out.data[i + 2] === 7) filled++;
        if (out.data[i] !== img.data[i]) changed++;
      }
      // 10 failed draws leave the image as it is; otherwise the box covers 2%-33% of the area (rounded sides).
      return (changed === 0 && filled <= 2) || (filled >= 1 && filled <= 0.33 * 480 + 2 * Math.sqrt(480) + 1);
    }), { seed: 8, numRuns: 50 });
  });
});

describe("MixUp and CutMix (batch level)", () => {
  const images = tf.tidy(() => tf.stack([0, 1, 2, 3].map((i) => tf.fill([6, 5, 3], i)))) as tf.Tensor4D;
  const targets = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 3], "int32"), 4), "float32")) as tf.Tensor2D;

  it("targets stay probabilities and match the image mixing (fast-check seed 8)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom("mixup", "cutmix" as const), (step, name) => {
      const before = tf.memory().numTensors;
      const out = (name === "mixup" ? mixupAugmentation : cutmixAugmentation).build({ p: 1, alpha: 0.4 }).apply({ images, targets }, seeds.stream("batch-augment", 0, step));
      const t = out.targets.arraySync();
      const x = out.images.arraySync();
      tf.dispose([out.images, out.targets]);
      const leaked = tf.memory().numTensors !== before;
      return !leaked && t.every((row, i) => {
        const prev = (i + 3) % 4;
        const sumOk = Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5;
        const own = row[i];
        // the mean pixel value of sample i is own * i + (1 - own) * prev (sample i mixed with i - 1)
        const pixels = x[i].flat(2);
        const mean = pixels.reduce((a, b) => a + b, 0) / pixels.length;
        return sumOk && Math.abs(row[prev] + own - 1) < 1e-5 && Math.abs(mean - (own * i + (1 - own) * prev)) < 1e-4;
      });
    }), { seed: 8, numRuns: 40 });
  });

  it("p 0 returns copies of the batch", () => {
    const out = cutmixAugmentation.build({ p: 0 }).apply({ images, targets }, seeds.stream("x"));
    expect(out.images.arraySync()).toEqual(images.arraySync());
    tf.dispose([out.images, out.targets]);
  });
});
