/**
 * Fashion-MNIST in its IDX files (`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
 * `t10k-*`; gzipped or not). Default root is where Debian's `dataset-fashion-mnist` package puts
 * them (the config's dataRoots names another). Sample ids are `train/<n>` and `t10k/<n>` (n = record number);
 * predefined splits train, test.
 */
import type { DataIO, Image, Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset, gunzip, memoizeRead } from "../common/index.ts";

export const FASHION_MNIST_CLASSES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
] as const;
export const FASHION_MNIST_DEFAULT_ROOT = "/usr/share/datasets/fashion-mnist";
const PARTS = [
  { prefix: "train", split: "train" },
  { prefix: "t10k", split: "test" },
] as const;

interface Idx { count: number; rows: number; cols: number; data: Uint8Array }

/** Parses an IDX file of unsigned bytes with the expected number of dimensions. */
export function parseIdx(bytes: Uint8Array, dims: 1 | 3, where: string): Idx {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = bytes.byteLength >= 4 ? view.getUint32(0) : -1;
  if (magic !== 0x0800 + dims) {
    throw new InputError(where, `magic number ${magic}; expected ${0x0800 + dims} (IDX, unsigned bytes, ${dims} dimension${dims > 1 ? "s" : ""})`);
  }
  const header = 4 + 4 * dims;
  const count = view.getUint32(4);
  const rows = dims === 3 ? view.getUint32(8) : 1;
  const cols = dims === 3 ? view.getUint32(12) : 1;
  if (bytes.byteLength !== header + count * rows * cols) {
    throw new InputError(where, `${bytes.byteLength} bytes; expected ${header + count * rows * cols} for ${count} items of ${rows}x${cols}`);
  }
  return { count, rows, cols, data: bytes.subarray(header) };
}

async function readIdx(io: DataIO, name: string, dims: 1 | 3): Promise<Idx & { file: string }> {
  for (const file of [`${name}.gz`, name]) {
    if (!(await io.exists(file))) continue;
    const bytes = await io.readBytes(file);
    return { file, ...parseIdx(file.endsWith(".gz") ? await gunzip(bytes, file) : bytes, dims, file) };
  }
  throw new InputError(io.join(`${name}.gz`), `not found (nor ${name}); expected the Fashion-MNIST IDX file`);
}

export const fashionMnist = defineDataset({
  name: "fashion-mnist",
  description: "Fashion-MNIST: 28x28 grayscale clothing images, 10 classes, IDX files",
  orientation: "stored",
  options: {},
  build(options) {
    // Decompressed image files, read once per root.
    const imagesOf = memoizeRead((io, prefix) => readIdx(io, `${prefix}-images-idx3-ubyte`, 3));
    return {
      meta: {
        task: "multiclass",
        classNames: FASHION_MNIST_CLASSES,
        nativeFormat: "{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] (IDX)",
        selectionMetric: "accuracy",
        defaultRoot: FASHION_MNIST_DEFAULT_ROOT,
      },
      async index(ctx) {
        const samples: Sample[] = [];
        const predefinedSplits: Record<string, string[]> = {};
        for (const { prefix, split } of PARTS) {
          const labels = await readIdx(ctx.io, `${prefix}-labels-idx1-ubyte`, 1);
          const imageIdx = await imagesOf(ctx.io, prefix);
          if (imageIdx.count !== labels.count) {
            throw new InputError(imageIdx.file, `${imageIdx.count} images; expected ${labels.count} like ${labels.file}`);
          }
          const ids: string[] = [];
          for (let n = 0; n < labels.count; n++) {
            const label = labels.data[n];
            if (label >= FASHION_MNIST_CLASSES.length) {
              throw new InputError(`${labels.file} item ${n}`, `label ${label}; expected 0 to ${FASHION_MNIST_CLASSES.length - 1}`);
            }
            const id = `${prefix}/${n}`;
            samples.push({ id, files: [imageIdx.file], label });
            ids.push(id);
          }
          predefinedSplits[split] = ids;
        }
        checkClasses(samples, FASHION_MNIST_CLASSES, "train + t10k labels", options.allowEmptyClasses);
        return { samples, predefinedSplits, skipped: [] };
      },
      async load(sample, ctx, decode): Promise<Image> {
        const [prefix, record] = sample.id.split("/");
        const idx = await imagesOf(ctx.io, prefix);
        const n = Number(record);
        if (!Number.isInteger(n) || n < 0 || n >= idx.count) {
          throw new InputError(`${idx.file}`, `sample id "${sample.id}"; expected <train|t10k>/<0..${idx.count - 1}>`);
        }
        const size = idx.rows * idx.cols;
        const image = { width: idx.cols, height: idx.rows, channels: 1, data: idx.data.slice(n * size, (n + 1) * size) };
        return await ctx.decoder.convert(image, decode, `${idx.file} item ${n}`);
      },
    };
  },
});
