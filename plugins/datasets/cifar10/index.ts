/**
 * CIFAR-10, binary version (`cifar-10-batches-bin/data_batch_{1..5}.bin`, `test_batch.bin`,
 * `batches.meta.txt`): records of 1 label byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B, rows
 * of 32). Sample ids are `<batch>/<record>`; predefined splits train (batches 1-5) and test.
 */
import type { DataIO, Image, Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset, memoizeRead } from "../common/index.ts";

export const CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"] as const;
const SIDE = 32;
const RECORD = 1 + 3 * SIDE * SIDE;
const BATCHES = [
  ...[1, 2, 3, 4, 5].map((k) => ({ name: `data_batch_${k}`, split: "train" })),
  { name: "test_batch", split: "test" },
];

/** `cifar-10-batches-bin/` when the root holds it, else the root itself. */
async function batchDir(io: DataIO): Promise<string> {
  return (await io.isDirectory("cifar-10-batches-bin")) ? "cifar-10-batches-bin/" : "";
}

export const cifar10 = defineDataset({
  name: "cifar10",
  description: "CIFAR-10 binary batches: 32x32 colour images, 10 classes",
  orientation: "stored",
  options: {},
  build(options) {
    const readBatch = memoizeRead(async (io, file) => {
      const data = await io.readBytes(file);
      if (data.byteLength % RECORD !== 0) {
        throw new InputError(file, `${data.byteLength} bytes; expected a multiple of ${RECORD} (1 label byte + 3072 pixel bytes per record)`);
      }
      return data;
    });
    return {
      meta: {
        task: "multiclass",
        classNames: CIFAR10_CLASSES,
        nativeFormat: "cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin (CIFAR-10 binary version)",
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        const dir = await batchDir(ctx.io);
        const metaFile = `${dir}batches.meta.txt`;
        if (await ctx.io.exists(metaFile)) {
          const names = (await ctx.io.readText(metaFile)).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
          if (names.join() !== CIFAR10_CLASSES.join()) {
            throw new InputError(metaFile, `class names ${names.join(", ")}; expected ${CIFAR10_CLASSES.join(", ")}`);
          }
        }
        const samples: Sample[] = [];
        const predefinedSplits: Record<string, string[]> = { train: [], test: [] };
        for (const { name, split } of BATCHES) {
          const file = `${dir}${name}.bin`;
          if (!(await ctx.io.exists(file))) throw new InputError(file, "not found; expected a CIFAR-10 binary batch");
          const data = await readBatch(ctx.io, file);
          for (let r = 0; r < data.byteLength / RECORD; r++) {
            const label = data[r * RECORD];
            if (label >= CIFAR10_CLASSES.length) throw new InputError(`${file} record ${r}`, `label ${label}; expected 0 to 9`);
            const id = `${name}/${r}`;
            samples.push({ id, files: [file], label });
            predefinedSplits[split].push(id);
          }
        }
        checkClasses(samples, CIFAR10_CLASSES, `${dir}*.bin`, options.allowEmptyClasses);
        return { samples, predefinedSplits, skipped: [] };
      },
      async load(sample, ctx, decode): Promise<Image> {
        const file = sample.files[0];
        const data = await readBatch(ctx.io, file);
        const r = Number(sample.id.slice(sample.id.lastIndexOf("/") + 1));
        if (!Number.isInteger(r) || r < 0 || (r + 1) * RECORD > data.byteLength) {
          throw new InputError(file, `sample id "${sample.id}"; expected <batch>/<record number in this file>`);
        }
        const plane = SIDE * SIDE;
        const base = r * RECORD + 1;
        const hwc = new Uint8Array(3 * plane);
        for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) hwc[3 * p + c] = data[base + c * plane + p];
        return await ctx.decoder.convert({ width: SIDE, height: SIDE, channels: 3, data: hwc }, decode, `${file} record ${r}`);
      },
    };
  },
});
