/**
 * Caltech-101: `101_ObjectCategories/<class>/image_<nnnn>.jpg`. Kornblith et al. (2019) used 102
 * classes (the 101 categories plus BACKGROUND_Google: 3,060 = 102 x 30 training images), so the
 * background folder is a class by default; `background: false` drops it, as torchvision does. The
 * distribution has no split: `trainPerClass` (30) images per class are drawn with the seeded
 * stream ("caltech101-train", <class>) of `splitSeed`, the rest are the test set. The draw depends
 * on the files alone, never on a run's seed, so every run sees the same split.
 */
import { z } from "zod";
import type { Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { SeedTree } from "../../../core/rng.ts";
import { defineDataset } from "../common/index.ts";
import { findDatasetDir, under } from "../common/text-lists.ts";

export const CALTECH101_BACKGROUND = "BACKGROUND_Google";
const FOLDER = "101_ObjectCategories";

export const caltech101 = defineDataset({
  name: "caltech101",
  description: "Caltech-101: 101 object categories plus background, 30 training images per class, the rest for test",
  orientation: "stored",
  options: {
    /** Keep BACKGROUND_Google as a class (Kornblith et al.'s 102 classes); false: the 101 categories. */
    background: z.boolean().default(true),
    trainPerClass: z.number().int().min(1).default(30),
    /** Seed of the per-class training draw. */
    splitSeed: z.number().int().min(0).default(0),
  },
  build(options) {
    return {
      meta: {
        task: "multiclass",
        classNames: [],
        nativeFormat: `${FOLDER}/<class>/image_<nnnn>.jpg, incl. ${CALTECH101_BACKGROUND} (101_ObjectCategories.tar.gz, or caltech101/${FOLDER})`,
        selectionMetric: "mean-per-class-accuracy",
      },
      async index(ctx) {
        const { io } = ctx;
        const base = await findDatasetDir(io, [".", "caltech101"], FOLDER, `the folder ${FOLDER} with one folder per category`);
        const dir = under(base, FOLDER);
        const folders: string[] = [];
        for (const name of await io.list(dir)) if (await io.isDirectory(`${dir}/${name}`)) folders.push(name);
        if (options.background && !folders.includes(CALTECH101_BACKGROUND)) {
          throw new InputError(dir, `no ${CALTECH101_BACKGROUND} folder; expected it as the 102nd class (set background: false for the 101 categories alone)`);
        }
        const classNames = options.background ? folders : folders.filter((name) => name !== CALTECH101_BACKGROUND);
        if (classNames.length === 0) throw new InputError(dir, "no category folders; expected one folder per category");
        const seeds = new SeedTree(options.splitSeed);
        const samples: Sample[] = [];
        const train: string[] = [];
        const test: string[] = [];
        for (const [label, name] of classNames.entries()) {
          const images = (await io.list(`${dir}/${name}`)).filter((file) => file.toLowerCase().endsWith(".jpg"));
          if (images.length <= options.trainPerClass) {
            throw new InputError(`${dir}/${name}`, `${images.length} .jpg images; expected more than trainPerClass (${options.trainPerClass}), the rest being the test set`);
          }
          const chosen = new Set(seeds.stream("caltech101-train", name).shuffle(images).slice(0, options.trainPerClass));
          for (const file of images) {
            const id = `${name}/${file}`;
            samples.push({ id, files: [`${dir}/${id}`], label });
            (chosen.has(file) ? train : test).push(id);
          }
        }
        return { samples, predefinedSplits: { train, test }, classNames, skipped: [] };
      },
    };
  },
});
