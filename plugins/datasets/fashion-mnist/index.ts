/**
 * Fashion-MNIST in its IDX files (`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
 * `t10k-*`; gzipped or not). Default root is where Debian's `dataset-fashion-mnist` package puts
 * them (the config's dataRoots names another). Sample ids are `train/<n>` and `t10k/<n>` (n = record number);
 * predefined splits train, test. Option `classes` keeps a subset of the classes (indices or names),
 * relabelled 0..n-1 in the order given; ids stay those of the full set, so an image has the same id
 * in every task built from it.
 */
import { z } from "zod";
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

const CLASS_COUNT = FASHION_MNIST_CLASSES.length;

/** A class named by index (0-9) or by its published name. */
const classRef = z.union([z.number().int(), z.string()]);

/** Index of a class reference, or a message saying why it is none. */
function classIndex(ref: number | string): number | string {
  if (typeof ref === "number") return ref >= 0 && ref < CLASS_COUNT ? ref : `class index ${ref} is out of range; expected 0 to ${CLASS_COUNT - 1}`;
  const index = (FASHION_MNIST_CLASSES as readonly string[]).indexOf(ref);
  return index >= 0 ? index : `class ${JSON.stringify(ref)} is not a Fashion-MNIST class; expected an index 0 to ${CLASS_COUNT - 1} or one of ${FASHION_MNIST_CLASSES.map((name) => JSON.stringify(name)).join(", ")}`;
}

const fashionMnistOptions = {
  /**
   * Classes to keep, by index or name, in their new label order (label k = the k-th entry); all
   * ten when absent. Two at least: one class is no classification task.
   */
  classes: z.array(classRef).min(2).optional().superRefine((refs, ctx) => {
    if (!refs) return;
    const seen = new Map<number, number>();
    refs.forEach((ref, position) => {
      const index = classIndex(ref);
      if (typeof index === "string") {
        ctx.addIssue({ code: "custom", path: [position], message: index });
        return;
      }
      const first = seen.get(index);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: [position], message: `names class ${index} (${FASHION_MNIST_CLASSES[index]}) again (first at position ${first}); expected each class once` });
      }
      seen.set(index, position);
    });
  }),
};

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
  options: fashionMnistOptions,
  build(options) {
    // Original label -> new label (-1: left out).
    const kept = options.classes?.map((ref) => classIndex(ref) as number) ?? FASHION_MNIST_CLASSES.map((_, k) => k);
    const relabel = new Array<number>(CLASS_COUNT).fill(-1);
    kept.forEach((original, label) => (relabel[original] = label));
    const classNames = kept.map((original) => FASHION_MNIST_CLASSES[original]);
    // Decompressed image files, read once per root.
    const imagesOf = memoizeRead((io, prefix) => readIdx(io, `${prefix}-images-idx3-ubyte`, 3));
    return {
      meta: {
        task: "multiclass",
        classNames,
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
            if (label >= CLASS_COUNT) {
              throw new InputError(`${labels.file} item ${n}`, `label ${label}; expected 0 to ${CLASS_COUNT - 1}`);
            }
            if (relabel[label] < 0) continue;
            const id = `${prefix}/${n}`;
            samples.push({ id, files: [imageIdx.file], label: relabel[label] });
            ids.push(id);
          }
          predefinedSplits[split] = ids;
        }
        checkClasses(samples, classNames, "train + t10k labels", options.allowEmptyClasses);
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
