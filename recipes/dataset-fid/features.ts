/**
 * FID's Inception features of a dataset subset, streamed in batches and cached in the recipe's
 * folder, and their Gaussian statistics.
 *
 * Images are decoded at their own size to [0, 1], each resized to the FID Inception's square input
 * (bilinear, half-pixel centres, no antialiasing: what the `fid` output does, which then finds the
 * batch at its size already, an identity), so images of any size share a batch; only one batch of
 * images is in memory at a time. A cache file holds the features of one (model id + weights
 * content hash, dataset reference and data root, subset ids) key; it is used only when its key, shape and values
 * check out, otherwise it is recomputed and the user told why.
 */
import * as tf from "@tensorflow/tfjs";
import type { Backbone, Dataset, DatasetContext, Image, JsonObject, Sample } from "../../core/contracts.ts";
import { InputError } from "../../core/errors.ts";
import { canonicalJson, contentHash, sha256Hex } from "../../core/hash.ts";
import type { MeasureFiles } from "../../core/measure.ts";
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from "../../core/formats/safetensors.ts";
import { tensorsSha256 } from "../../core/run-identity.ts";
import type { GaussianStats } from "../../core/stats/frechet.ts";
import { centredGram } from "../../core/stats/linalg.ts";
import { checkpointName } from "../../core/train/trainer.ts";

/**
 * Images decoded and run through the Inception at once: the forward keeps its intermediates until
 * it ends, about 150 MB per 299x299 image (1.24 GB peak for 8 on wasm), and wasm's heap is 4 GB.
 */
export const FEATURE_BATCH = 8;
/** What the `xfer` metadata field of a feature cache file says. */
const CACHE_FORMAT = "xfer dataset-fid features v1";

/** Rows of a feature matrix: `count` samples of `dim` float32 features, row-major. */
export interface FeatureMatrix {
  readonly data: Float32Array;
  readonly count: number;
  readonly dim: number;
}

/** The FID model and what identifies it in a cache key: its id and the SHA-256 of every tensor it holds (buffers too). */
export interface FidModel {
  readonly backbone: Backbone;
  readonly id: string;
  readonly weightsSha256: string;
}

/** The FID Inception built by its plugin; it must have the `fid` feature output. */
export function fidModel(backbone: Backbone): FidModel {
  if (backbone.forwardTap === undefined) throw new InputError(`backbone "${backbone.meta.id}"`, "has no FID feature output (forwardTap \"fid\"); FID is computed with inception_v3.pytorch_fid");
  const tensors = backbone.stateVariables().map((v) => [checkpointName(v.name), { shape: v.shape, data: v.dataSync() as Float32Array }] as const);
  return { backbone, id: backbone.meta.id, weightsSha256: tensorsSha256(tensors) };
}

export interface FeatureSource {
  /** Plugin name and options: the dataset reference of the cache key. */
  readonly reference: { readonly name: string; readonly options: JsonObject };
  readonly dataset: Dataset;
  readonly ctx: DatasetContext;
  /** The subset, in the order features are stored. */
  readonly samples: readonly Sample[];
}

export interface CachedFeatures extends FeatureMatrix {
  /** The cache file (relative to the recipe's folder). */
  readonly file: string;
  /** "cache": read back from the file; "computed": extracted now (and written). */
  readonly from: "cache" | "computed";
}

function cacheKey(model: FidModel, source: FeatureSource): JsonObject {
  return {
    model: model.id,
    weights: model.weightsSha256,
    // The root too: other images under the same ids (another copy, resized) must not reuse features.
    dataset: { name: source.reference.name, options: source.reference.options, root: source.ctx.io.root ?? null },
    ids: sha256Hex(source.samples.map((s) => s.id).join("\n")),
    count: source.samples.length,
  };
}

/** The features of `source` under `model`: from its cache file when that checks out, else extracted and cached. */
export async function cachedFeatures(model: FidModel, source: FeatureSource, files: MeasureFiles, log: (line: string) => void): Promise<CachedFeatures> {
  const key = cacheKey(model, source);
  const file = `features/${source.reference.name}.${contentHash(key).slice(0, 16)}.safetensors`;
  const bytes = await files.read(file);
  if (bytes !== undefined) {
    const cached = readCache(bytes, key, files.where(file));
    if (typeof cached !== "string") return { ...cached, file, from: "cache" };
    log(`dataset-fid: ${files.where(file)}: ${cached}; recomputing these features (the file is replaced)`);
  }
  const features = await extractFeatures(model.backbone, source);
  await files.write(file, writeSafetensors(new Map([["features", { shape: [features.count, features.dim], data: features.data }]]), { xfer: CACHE_FORMAT, key: canonicalJson(key) }));
  return { ...features, file, from: "computed" };
}

/** The features a cache file holds when its format, key, shape and values check out; else why not. */
function readCache(bytes: Uint8Array, key: JsonObject, where: string): FeatureMatrix | string {
  try {
    const metadata = readSafetensorsMetadata(bytes, where);
    if (metadata.xfer !== CACHE_FORMAT) return `not a dataset-fid feature file (metadata "xfer" is ${JSON.stringify(metadata.xfer)})`;
    if (metadata.key !== canonicalJson(key)) return `holds the features of another model, dataset or subset (key ${metadata.key}, expected ${canonicalJson(key)})`;
    const features = readSafetensors(bytes, where).get("features");
    if (features === undefined) return `has no "features" tensor`;
    const [count, dim] = features.shape;
    if (features.shape.length !== 2 || count !== key.count || !(dim > 0)) return `"features" has shape [${features.shape.join(", ")}], expected [${String(key.count)}, d]`;
    const bad = features.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return `feature ${bad % dim} of row ${Math.floor(bad / dim)} is ${features.data[bad]}`;
    return { data: features.data, count, dim };
  } catch (error) {
    return `damaged (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** [0, 1] float pixels of a decoded image (8-bit images are divided by 255). */
function unitPixels(image: Image, where: string): Float32Array {
  if (image.channels !== 3) throw new InputError(where, `decoded to ${image.channels} channels; FID reads RGB images (3 channels)`);
  return image.data instanceof Uint8Array ? Float32Array.from(image.data, (v) => v / 255) : image.data;
}

async function extractFeatures(backbone: Backbone, source: FeatureSource): Promise<FeatureMatrix> {
  const size = backbone.meta.inputSize;
  let out: Float32Array | undefined;
  let dim = 0;
  for (let start = 0; start < source.samples.length; start += FEATURE_BATCH) {
    const batch = source.samples.slice(start, start + FEATURE_BATCH);
    const images = await Promise.all(batch.map((sample) => source.dataset.load(sample, source.ctx, { channels: 3 })));
    const x = tf.tidy(() => tf.stack(images.map((image, i) => {
      const pixels = tf.tensor3d(unitPixels(image, `${source.reference.name} sample "${batch[i].id}"`), [image.height, image.width, 3]);
      return tf.image.resizeBilinear(pixels, [size, size], false, true);
    })) as tf.Tensor4D);
    const features = backbone.forwardTap!("fid", x);
    x.dispose();
    const values = await features.data() as Float32Array;
    dim = features.shape[1];
    features.dispose();
    out ??= new Float32Array(source.samples.length * dim);
    out.set(values, start * dim);
  }
  if (out === undefined) throw new InputError(source.reference.name, "no samples to extract features from");
  return { data: out, count: source.samples.length, dim };
}

/** Rows turned to float64 at once for the covariance: bounds memory for 50,000 x 2048 features. */
const STATS_CHUNK = 1024;

/**
 * Mean and covariance (ddof = 1) of the rows, as core/stats' `gaussianStats` computes them: the
 * centred Gram matrix is a sum over rows, so it is accumulated chunk by chunk in float64.
 */
export function featureStats(features: FeatureMatrix, where: string): GaussianStats {
  const { data, count: n, dim: d } = features;
  if (n < 2) throw new InputError(where, `FID needs at least 2 images for a covariance, got ${n}`);
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += data[r * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  for (let r0 = 0; r0 < n; r0 += STATS_CHUNK) {
    const rows = Math.min(STATS_CHUNK, n - r0);
    const part = centredGram(Float64Array.from(data.subarray(r0 * d, (r0 + rows) * d)), rows, d, mean, 1 / (n - 1));
    for (let i = 0; i < cov.length; i++) cov[i] += part[i];
  }
  return { mean, cov, dim: d };
}
