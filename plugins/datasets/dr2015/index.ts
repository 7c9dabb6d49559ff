/**
 * Kaggle's 2015 Diabetic Retinopathy Detection data as distributed: `trainLabels.csv` (image,level)
 * with `train/<image>.jpeg`, and, once the competition's solution file is beside it,
 * `retinopathy_solution.csv` (image,level,Usage) with `test/<image>.jpeg`. Same five grades as
 * APTOS 2019, so the two train together (the APTOS interventions, Appendix F of Fang et al.).
 * Predefined splits: "train", and with the solution "test", "test-public", "test-private" (Usage).
 */
import { z } from "zod";
import type { Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { APTOS_CLASSES } from "../common/retinopathy.ts";
import { checkClasses, defineDataset, FileCheck, IdSet, parseClassIndex, readCsv, rowWhere } from "../common/index.ts";

const TRAIN_CSV = "trainLabels.csv";
const SOLUTION_CSV = "retinopathy_solution.csv";
const USAGES = { Public: "test-public", Private: "test-private" } as const;

export const dr2015 = defineDataset({
  name: "dr2015",
  description: "Kaggle Diabetic Retinopathy Detection (2015): retina photographs, DR grade 0-4 (ordinal), APTOS 2019's classes",
  orientation: "exif",
  options: {
    /**
     * The labelled test images (`retinopathy_solution.csv`): "auto" reads them when the file is
     * there, "required" fails without it, "none" reads the training images alone.
     */
    testImages: z.enum(["auto", "required", "none"]).default("auto"),
  },
  build: (options) => ({
    meta: {
      task: "ordinal",
      classNames: APTOS_CLASSES,
      nativeFormat: `${TRAIN_CSV} (image,level) + train/<image>.jpeg; optionally ${SOLUTION_CSV} (image,level,Usage) + test/<image>.jpeg (Kaggle diabetic-retinopathy-detection)`,
      selectionMetric: "qwk",
    },
    async index(ctx) {
      const ids = new IdSet();
      const check = new FileCheck(ctx.io, options.skipMissing);
      const samples: Sample[] = [];
      const splits: Record<string, string[]> = { train: [] };
      const read = async (csv: string, dir: string, columns: readonly string[], splitsOf: (row: Readonly<Record<string, string>>, where: string) => string[]) => {
        const { rows } = await readCsv(ctx.io, csv, columns);
        for (const row of rows) {
          const id = row.values.image;
          if (id === "") throw new InputError(rowWhere(csv, row, "image"), "empty image name; expected a name such as 10_left");
          if (id.includes("/")) throw new InputError(rowWhere(csv, row, "image"), `image name "${id}" holds a "/"; expected a file name without extension`);
          ids.add(id, rowWhere(csv, row));
          const label = parseClassIndex(row.values.level, APTOS_CLASSES.length, rowWhere(csv, row, "level"));
          const names = splitsOf(row.values, rowWhere(csv, row, "Usage"));
          const files = [`${dir}/${id}.jpeg`];
          if (!(await check.present(id, files, rowWhere(csv, row)))) continue;
          samples.push({ id, files, label });
          for (const name of names) (splits[name] ??= []).push(id);
        }
      };
      await read(TRAIN_CSV, "train", ["image", "level"], () => ["train"]);
      const withTest = options.testImages === "required" || (options.testImages === "auto" && (await ctx.io.exists(SOLUTION_CSV)));
      if (withTest) {
        await read(SOLUTION_CSV, "test", ["image", "level", "Usage"], (values, where) => {
          const usage = values.Usage as keyof typeof USAGES;
          if (!Object.hasOwn(USAGES, usage)) throw new InputError(where, `Usage ${JSON.stringify(values.Usage)}; expected Public or Private`);
          return ["test", USAGES[usage]];
        });
      }
      checkClasses(samples, APTOS_CLASSES, TRAIN_CSV, options.allowEmptyClasses);
      return { samples, skipped: check.skipped, predefinedSplits: splits };
    },
  }),
});
