/**
 * Loads samples' images with bounded concurrency and keeps decoded, resized images in an LRU
 * cache keyed by (files, decode options), so repeated epochs and grid runs decode each file once
 * per size. The cache is bounded by bytes; an image larger than the budget is not cached.
 */
import { availableParallelism } from "node:os";
import { LRUCache } from "lru-cache";
import pLimit, { type LimitFunction } from "p-limit";
import type { Dataset, DatasetContext, DatasetIndex, DecodeOptions, Image, Sample } from "../../../core/contracts.ts";

export interface ImageLoaderOptions {
  /** Decodes in flight at once (default: the number of CPUs). */
  readonly concurrency?: number;
  /** Cache budget in bytes of pixel data (default 1 GiB; 0 disables the cache). */
  readonly cacheBytes?: number;
}

export class ImageLoader {
  readonly #limit: LimitFunction;
  readonly #cache: LRUCache<string, Image> | undefined;
  readonly #pending = new Map<string, Promise<Image>>();
  #hits = 0;
  #misses = 0;

  constructor(
    readonly dataset: Dataset,
    readonly ctx: DatasetContext,
    options: ImageLoaderOptions = {},
  ) {
    this.#limit = pLimit(options.concurrency ?? availableParallelism());
    const cacheBytes = options.cacheBytes ?? 2 ** 30;
    this.#cache = cacheBytes > 0
      ? new LRUCache<string, Image>({ maxSize: cacheBytes, sizeCalculation: (image) => Math.max(1, image.data.byteLength) })
      : undefined;
  }

  /** One sample's image; concurrent requests for the same key share one decode. */
  load(sample: Sample, options: DecodeOptions = {}): Promise<Image> {
    const key = cacheKey(sample, options);
    const cached = this.#cache?.get(key);
    if (cached) {
      this.#hits++;
      return Promise.resolve(cached);
    }
    const pending = this.#pending.get(key);
    if (pending) return pending;
    this.#misses++;
    const promise = this.#limit(() => this.dataset.load(sample, this.ctx, options))
      .then((image) => {
        if (this.#cache && image.data.byteLength <= this.#cache.maxSize) this.#cache.set(key, image);
        return image;
      })
      .finally(() => this.#pending.delete(key));
    this.#pending.set(key, promise);
    return promise;
  }

  /** Images of `samples` in the same order, decoded concurrently. */
  loadMany(samples: readonly Sample[], options: DecodeOptions = {}): Promise<Image[]> {
    return Promise.all(samples.map((sample) => this.load(sample, options)));
  }

  get stats(): { hits: number; misses: number; cachedImages: number; cachedBytes: number } {
    return { hits: this.#hits, misses: this.#misses, cachedImages: this.#cache?.size ?? 0, cachedBytes: this.#cache?.calculatedSize ?? 0 };
  }
}

function cacheKey(sample: Sample, options: DecodeOptions): string {
  const resize = options.resize === undefined ? "" : typeof options.resize === "number" ? `${options.resize}` : options.resize.join("x");
  return JSON.stringify([
    sample.id, sample.files, resize, options.channels ?? "", options.channelOrder ?? "",
    options.interpolation ?? "", options.orientation ?? "",
  ]);
}

export interface CachedDatasetOptions extends ImageLoaderOptions {
  /** Told once per dataset root about the samples its index left out (skipMissing, skipUndecodable). */
  readonly onSkipped?: (dataset: string, skipped: NonNullable<DatasetIndex["skipped"]>) => void;
}

/**
 * The same dataset with `load` going through one ImageLoader per DatasetContext, so a trainer that
 * calls `dataset.load` gets the cache and the concurrency bound unchanged. Cached images are
 * shared: callers (augmentations) must return new images, never write into `data`.
 */
export function cachedDataset(dataset: Dataset, options: CachedDatasetOptions = {}): Dataset {
  const loaders = new WeakMap<DatasetContext, ImageLoader>();
  // Every run of a sweep indexes the dataset; the samples left out are reported once per root.
  const reported = new WeakSet<DatasetContext>();
  return {
    meta: dataset.meta,
    async index(ctx) {
      const index = await dataset.index(ctx);
      if (options.onSkipped && index.skipped?.length && !reported.has(ctx)) {
        reported.add(ctx);
        options.onSkipped(dataset.meta.name, index.skipped);
      }
      return index;
    },
    load(sample, ctx, decode) {
      let loader = loaders.get(ctx);
      if (!loader) {
        loader = new ImageLoader(dataset, ctx, options);
        loaders.set(ctx, loader);
      }
      return loader.load(sample, decode);
    },
  };
}
