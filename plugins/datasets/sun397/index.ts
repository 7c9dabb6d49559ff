/**
 * SUN397 (Xiao et al. 2010) as distributed: `SUN397/<letter>/<class>/.../sun_<id>.jpg` with
 * `SUN397/ClassName.txt` (`/a/abbey`, one class per line; torchvision's SUN397 reads the same
 * files), and the ten train/test partitions of `Partitions.zip` (`Training_01.txt`,
 * `Testing_01.txt`, ...: `/a/abbey/sun_<id>.jpg` per line, 50 images per class each). Kornblith et
 * al. (2019) used the first partition, the default here (`partition` picks another). Only the
 * partition's images are samples; label = the class's line in ClassName.txt; predefined splits
 * train and test.
 */
import { z } from "zod";
import type { DataIO } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset } from "../common/index.ts";
import { indexSplitLists, readClassList } from "../common/class-lists.ts";

const IMAGES = "SUN397";
/** Where the unzipped Partitions.zip may lie, in the order looked at. */
const PARTITION_DIRS = ["Partitions", "."] as const;

async function partitionDir(io: DataIO, first: string): Promise<string> {
  for (const dir of PARTITION_DIRS) {
    const prefix = dir === "." ? "" : `${dir}/`;
    if (await io.exists(`${prefix}${first}`)) return prefix;
  }
  throw new InputError(first, `not found in ${PARTITION_DIRS.map((d) => (d === "." ? "the dataset root" : `${d}/`)).join(" or ")}; expected the partition files of SUN397's Partitions.zip`);
}

export const sun397 = defineDataset({
  name: "sun397",
  description: "SUN397: 397 scene categories, one of the ten published train/test partitions",
  orientation: "stored",
  options: {
    /** Which of the ten published partitions (Kornblith et al. used the first). */
    partition: z.number().int().min(1).max(10).default(1),
  },
  build(options) {
    const number = String(options.partition).padStart(2, "0");
    const files = { train: `Training_${number}.txt`, test: `Testing_${number}.txt` } as const;
    return {
      meta: {
        task: "multiclass",
        // Read from ClassName.txt; see DatasetIndex.classNames.
        classNames: [],
        nativeFormat: `${IMAGES}/<letter>/<class>/.../sun_<id>.jpg + ${IMAGES}/ClassName.txt (SUN397.tar.gz) and Partitions/${files.train}, ${files.test} (Partitions.zip)`,
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        const partitions = await partitionDir(ctx.io, files.train);
        // ClassName.txt ships in both archives; the image archive's copy is torchvision's.
        const classFile = (await ctx.io.exists(`${IMAGES}/ClassName.txt`)) ? `${IMAGES}/ClassName.txt` : `${partitions}ClassName.txt`;
        const entries = await readClassList(ctx.io, classFile, "one class per line as /<letter>/<class> (SUN397's ClassName.txt)");
        const labelOf = new Map<string, number>();
        const classNames: string[] = [];
        for (const [k, entry] of entries.entries()) {
          if (!/^\/[a-z]\/[^/\\]+(\/[^/\\]+)*$/.test(entry)) throw new InputError(classFile, `class "${entry}" (line ${k + 1}); expected /<letter>/<class>`);
          labelOf.set(entry, k);
          classNames.push(entry.slice(3));
        }
        const lists = { train: `${partitions}${files.train}`, test: `${partitions}${files.test}` };
        const { samples, predefinedSplits, skipped } = await indexSplitLists(ctx.io, lists, "one image as /<letter>/<class>/<file>.jpg per line (a SUN397 partition)", (text, where) => {
          const slash = text.lastIndexOf("/");
          const label = labelOf.get(text.slice(0, slash));
          if (label === undefined || !/^[^\\]+\.jpg$/i.test(text.slice(slash + 1)) || text.includes("/../")) {
            throw new InputError(where, `"${text}"; expected /<letter>/<class>/<file>.jpg with a class of ${classFile}`);
          }
          return { id: text.slice(1), file: `${IMAGES}${text}`, label };
        }, options.skipMissing);
        checkClasses(samples, classNames, `${partitions}{${files.train},${files.test}}`, options.allowEmptyClasses);
        return { samples, predefinedSplits, classNames, skipped };
      },
    };
  },
});
