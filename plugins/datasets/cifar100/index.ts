/**
 * CIFAR-100, binary version (`cifar-100-binary/{train,test}.bin`, `fine_label_names.txt`,
 * `coarse_label_names.txt`): records of 1 coarse label byte + 1 fine label byte + 3072 pixel bytes
 * (1024 R, 1024 G, 1024 B, rows of 32). The label is the fine class (100 classes, as Kornblith et
 * al. 2019 used it). Sample ids are `<train|test>/<record>`; predefined splits train and test.
 */
import type { DataIO, Image, Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset, memoizeRead } from "../common/index.ts";
import { readLines } from "../common/text-lists.ts";

/** fine_label_names.txt of the distribution, in label order. */
export const CIFAR100_CLASSES = [
  "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
  "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
  "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
  "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
  "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
  "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
  "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
  "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
  "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
  "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
] as const;
const COARSE_CLASSES = 20;
const SIDE = 32;
const RECORD = 2 + 3 * SIDE * SIDE;
const SPLITS = ["train", "test"] as const;

export const cifar100 = defineDataset({
  name: "cifar100",
  description: "CIFAR-100 binary version: 32x32 colour images, 100 fine classes",
  orientation: "stored",
  options: {},
  build(options) {
    const readFile = memoizeRead(async (io: DataIO, file: string) => {
      const data = await io.readBytes(file);
      if (data.byteLength % RECORD !== 0) {
        throw new InputError(file, `${data.byteLength} bytes; expected a multiple of ${RECORD} (1 coarse label byte + 1 fine label byte + 3072 pixel bytes per record)`);
      }
      return data;
    });
    return {
      meta: {
        task: "multiclass",
        classNames: CIFAR100_CLASSES,
        nativeFormat: "cifar-100-binary/{train,test}.bin + fine_label_names.txt (CIFAR-100 binary version)",
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        const dir = (await ctx.io.isDirectory("cifar-100-binary")) ? "cifar-100-binary/" : "";
        const namesFile = `${dir}fine_label_names.txt`;
        if (await ctx.io.exists(namesFile)) {
          const names = (await readLines(ctx.io, namesFile, "the 100 fine class names")).map((l) => l.text);
          if (names.join() !== CIFAR100_CLASSES.join()) {
            const k = names.findIndex((name, i) => name !== CIFAR100_CLASSES[i]);
            throw new InputError(namesFile, `${names.length} class names, "${names[k] ?? "(end of file)"}" at position ${k}; expected the 100 CIFAR-100 fine classes (${CIFAR100_CLASSES[k] ?? "no more"} there)`);
          }
        }
        const samples: Sample[] = [];
        const predefinedSplits: Record<string, string[]> = {};
        for (const split of SPLITS) {
          const file = `${dir}${split}.bin`;
          if (!(await ctx.io.exists(file))) throw new InputError(file, "not found; expected a CIFAR-100 binary file");
          const data = await readFile(ctx.io, file);
          predefinedSplits[split] = [];
          for (let r = 0; r < data.byteLength / RECORD; r++) {
            const coarse = data[r * RECORD];
            const label = data[r * RECORD + 1];
            if (coarse >= COARSE_CLASSES) throw new InputError(`${file} record ${r}`, `coarse label ${coarse}; expected 0 to ${COARSE_CLASSES - 1}`);
            if (label >= CIFAR100_CLASSES.length) throw new InputError(`${file} record ${r}`, `fine label ${label}; expected 0 to ${CIFAR100_CLASSES.length - 1}`);
            const id = `${split}/${r}`;
            samples.push({ id, files: [file], label });
            predefinedSplits[split].push(id);
          }
        }
        checkClasses(samples, CIFAR100_CLASSES, `${dir}{train,test}.bin`, options.allowEmptyClasses);
        return { samples, predefinedSplits, skipped: [] };
      },
      async load(sample, ctx, decode): Promise<Image> {
        const file = sample.files[0];
        const data = await readFile(ctx.io, file);
        const r = Number(sample.id.slice(sample.id.lastIndexOf("/") + 1));
        if (!Number.isInteger(r) || r < 0 || (r + 1) * RECORD > data.byteLength) {
          throw new InputError(file, `sample id "${sample.id}"; expected <train|test>/<record number in this file>`);
        }
        const plane = SIDE * SIDE;
        const base = r * RECORD + 2;
        const hwc = new Uint8Array(3 * plane);
        for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) hwc[3 * p + c] = data[base + c * plane + p];
        return await ctx.decoder.convert({ width: SIDE, height: SIDE, channels: 3, data: hwc }, decode, `${file} record ${r}`);
      },
    };
  },
});
