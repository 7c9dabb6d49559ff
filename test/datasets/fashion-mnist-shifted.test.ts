/**
 * The study's shifted domain needs no plugin of its own: two `resize-center-crop` steps take a
 * Fashion-MNIST image down to 10x10 (antialiased bilinear) and back up to 28x28 (bilinear), the
 * same for every draw, so it serves as both the train and the eval pipeline (docs/datasets.md).
 */
import { describe, expect, it } from "vitest";
import { SeedTree } from "../../core/index.ts";
import { resize } from "../../core/image/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { meanAbsDiff, open } from "./helpers.ts";

const LOW_RESOLUTION = [
  { name: "resize-center-crop", options: { resize: 10, crop: 10 } },
  { name: "resize-center-crop", options: { resize: 28, crop: 28 } },
];

describe("fashion-mnist at low resolution", () => {
  it("is 28x28 again, the down- and up-sampling of core/image, whatever the stream, and loses detail", async () => {
    const registry = builtinRegistry();
    const steps = await Promise.all(LOW_RESOLUTION.map((ref) => registry.create("augmentation", ref, { seeds: new SeedTree(0) })));
    const { dataset, ctx } = await open("fashion-mnist", "fashion-mnist");
    const index = await dataset.index(ctx);
    for (const sample of index.samples.slice(0, 3)) {
      const image = await dataset.load(sample, ctx);
      const shift = (seed: number) => steps.reduce((img, step) => step.apply(img, new SeedTree(seed).stream("eval", sample.id)), image);
      const shifted = shift(0);
      expect([shifted.width, shifted.height, shifted.channels]).toEqual([28, 28, 3]);
      expect(shifted.data).toEqual(resize(resize(image, 10, 10), 28, 28).data);
      expect(shift(1).data).toEqual(shifted.data);
      // The fixture's seeded noise does not survive a 10-pixel image.
      expect(meanAbsDiff(shifted.data, image.data)).toBeGreaterThan(2);
    }
  });
});
