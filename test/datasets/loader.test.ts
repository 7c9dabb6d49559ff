import { describe, expect, it } from "vitest";
import type { Dataset } from "../../core/index.ts";
import { cachedDataset, ImageLoader } from "../../plugins/platform/node/index.ts";
import { open } from "./helpers.ts";

/** The dataset with `load` counted: calls and the most in flight at once. */
function counted(dataset: Dataset): { dataset: Dataset; calls: () => number; maxInFlight: () => number } {
  let calls = 0;
  let inFlight = 0;
  let max = 0;
  return {
    dataset: {
      ...dataset,
      async load(sample, ctx, options) {
        calls++;
        max = Math.max(max, ++inFlight);
        try {
          return await dataset.load(sample, ctx, options);
        } finally {
          inFlight--;
        }
      },
    },
    calls: () => calls,
    maxInFlight: () => max,
  };
}

describe("ImageLoader", () => {
  it("decodes each (sample, options) once and serves repeats from the cache", async () => {
    const { dataset, ctx } = await open("eurosat", "eurosat");
    const { samples } = await dataset.index(ctx);
    const probe = counted(dataset);
    const loader = new ImageLoader(probe.dataset, ctx, { concurrency: 3 });
    const first = await loader.loadMany(samples, { resize: 8 });
    const again = await loader.loadMany(samples, { resize: 8 });
    expect(probe.calls()).toBe(samples.length);
    expect(again).toEqual(first);
    expect(probe.maxInFlight()).toBeLessThanOrEqual(3);
    expect(probe.maxInFlight()).toBeGreaterThan(1);
    await loader.load(samples[0], { resize: 12 });
    expect(probe.calls()).toBe(samples.length + 1);
    expect(loader.stats).toMatchObject({ hits: samples.length, misses: samples.length + 1, cachedImages: samples.length + 1 });
    // Same order as requested, and each image is the dataset's own decode.
    expect(first[5]).toEqual(await dataset.load(samples[5], ctx, { resize: 8 }));
  });

  it("shares one decode between concurrent requests and keeps nothing with cacheBytes 0", async () => {
    const { dataset, ctx } = await open("eurosat", "eurosat");
    const { samples } = await dataset.index(ctx);
    const probe = counted(dataset);
    const loader = new ImageLoader(probe.dataset, ctx, { cacheBytes: 0 });
    await Promise.all([loader.load(samples[0]), loader.load(samples[0])]);
    expect(probe.calls()).toBe(1);
    await loader.load(samples[0]);
    expect(probe.calls()).toBe(2);
    expect(loader.stats.cachedImages).toBe(0);
  });

  it("evicts least recently used images beyond the byte budget", async () => {
    const { dataset, ctx } = await open("eurosat", "eurosat");
    const { samples } = await dataset.index(ctx);
    const probe = counted(dataset);
    const perImage = 8 * 8 * 3;
    const loader = new ImageLoader(probe.dataset, ctx, { cacheBytes: 4 * perImage, concurrency: 1 });
    await loader.loadMany(samples.slice(0, 6), { resize: [8, 8] });
    expect(loader.stats.cachedBytes).toBe(4 * perImage);
    await loader.load(samples[0], { resize: [8, 8] });
    expect(probe.calls()).toBe(7);
    await loader.load(samples[5], { resize: [8, 8] });
    expect(probe.calls()).toBe(7);
  });
});

describe("cachedDataset", () => {
  it("routes load through one cache per context", async () => {
    const { dataset, ctx } = await open("eurosat", "eurosat");
    const { samples } = await dataset.index(ctx);
    const probe = counted(dataset);
    const cached = cachedDataset(probe.dataset, { concurrency: 2 });
    expect(cached.meta).toBe(dataset.meta);
    const a = await cached.load(samples[2], ctx, { resize: 8 });
    const b = await cached.load(samples[2], ctx, { resize: 8 });
    expect(b).toBe(a);
    expect(probe.calls()).toBe(1);
    const other = (await open("eurosat", "eurosat")).ctx;
    await cached.load(samples[2], other, { resize: 8 });
    expect(probe.calls()).toBe(2);
  });
});
