/**
 * Birdsnap v1.1 (Berg et al. 2014) from its published image list: `species.txt` (id, common,
 * scientific, dir), `images.txt` (url, md5, path, species_id, boxes, parts; tab-separated with a
 * header), `test_images.txt` (a "path" header, then the 2,443 test images), and the images that the
 * distribution's `get_birdsnap.py` downloaded from Flickr into `download/images/<path>` (its
 * default output folder; the `imageDir` option names another). Flickr has lost part of the list,
 * so an image that is not on disk is left out and listed in `DatasetIndex.skipped` (the run lists
 * the count and the first of them) unless `skipMissing` is false. Label = the species' position in
 * species.txt's id order; predefined splits train (every listed image not in test_images.txt) and
 * test.
 */
import { z } from "zod";
import type { Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, checkClassName, defineDataset, FileCheck, IdSet, parseInteger } from "../common/index.ts";
import { readTsv } from "../common/class-lists.ts";
import { readLines } from "../common/text-lists.ts";

const SPECIES = "species.txt";
const IMAGES = "images.txt";
const TEST = "test_images.txt";
const MD5 = /^[0-9a-f]{32}$/i;

export const birdsnap = defineDataset({
  name: "birdsnap",
  description: "Birdsnap: 500 North American bird species, images fetched from Flickr by the dataset's script",
  orientation: "stored",
  options: {
    /** Where get_birdsnap.py put the images (its `--output_dir` + `/images`). */
    imageDir: z.string().default("download/images"),
    /** Images Flickr no longer serves are expected: leave them out and list them (false: an error). */
    skipMissing: z.boolean().default(true),
  },
  build(options) {
    const imageDir = options.imageDir.replace(/\/+$/, "");
    return {
      meta: {
        task: "multiclass",
        // Read from species.txt; see DatasetIndex.classNames.
        classNames: [],
        nativeFormat: `${SPECIES}, ${IMAGES}, ${TEST} (birdsnap.tgz v1.1) + ${imageDir}/<path> (downloaded by get_birdsnap.py)`,
        selectionMetric: "accuracy",
      },
      async index(ctx) {
        const species = await readTsv(ctx.io, SPECIES, ["id", "common"], "Birdsnap's species list (tab-separated: id, common, scientific, dir)");
        const classNames: string[] = [];
        for (const [k, row] of species.entries()) {
          const where = `${SPECIES} line ${row.line}`;
          const id = parseInteger(row.values.id, `${where} field "id"`, `species id ${k + 1} (ids run from 1 in order)`);
          if (id !== k + 1) throw new InputError(`${where} field "id"`, `species id ${id}; expected ${k + 1} (ids run from 1 in order)`);
          checkClassName(row.values.common, `${where} field "common"`);
          classNames.push(row.values.common);
        }

        const rows = await readTsv(ctx.io, IMAGES, ["url", "md5", "path", "species_id"], "Birdsnap's image list (tab-separated: url, md5, path, species_id, ...)");
        const lineOf = new Map<string, number>();
        const ids = new IdSet();
        for (const row of rows) {
          const where = `${IMAGES} line ${row.line}`;
          const path = row.values.path;
          if (!/^[^/\\]+\/[^/\\]+$/.test(path)) throw new InputError(`${where} field "path"`, `"${path}"; expected <species dir>/<file>`);
          if (!MD5.test(row.values.md5)) throw new InputError(`${where} field "md5"`, `"${row.values.md5}"; expected 32 hexadecimal digits`);
          ids.add(path, where);
          lineOf.set(path, row.line);
        }
        const test = new Set<string>();
        const [header, ...testRows] = await readLines(ctx.io, TEST, `a "path" header, then one image path of ${IMAGES} per line`);
        if (header?.text !== "path") throw new InputError(`${TEST} line ${header?.line ?? 1}`, `header "${header?.text ?? ""}"; expected "path"`);
        for (const { line, text } of testRows) {
          if (!lineOf.has(text)) throw new InputError(`${TEST} line ${line}`, `image "${text}" is not in ${IMAGES}; expected a path listed there`);
          test.add(text);
        }

        if (!(await ctx.io.isDirectory(imageDir))) {
          throw new InputError(imageDir, `not a directory; expected the images get_birdsnap.py downloaded (python get_birdsnap.py in the dataset root writes download/images; set imageDir for another folder)`);
        }
        const check = new FileCheck(ctx.io, options.skipMissing);
        const samples: Sample[] = [];
        const predefinedSplits: Record<string, string[]> = { train: [], test: [] };
        for (const row of rows) {
          const where = `${IMAGES} line ${row.line}`;
          const speciesId = parseInteger(row.values.species_id, `${where} field "species_id"`, `a species id from 1 to ${classNames.length}`);
          if (speciesId < 1 || speciesId > classNames.length) {
            throw new InputError(`${where} field "species_id"`, `species ${speciesId}; expected a species id from 1 to ${classNames.length} (${SPECIES})`);
          }
          const id = row.values.path;
          if (!(await check.present(id, [`${imageDir}/${id}`], where))) continue;
          samples.push({ id, files: [`${imageDir}/${id}`], label: speciesId - 1 });
          predefinedSplits[test.has(id) ? "test" : "train"].push(id);
        }
        checkClasses(samples, classNames, `${IMAGES} (images on disk under ${imageDir})`, options.allowEmptyClasses);
        return { samples, predefinedSplits, classNames, skipped: check.skipped };
      },
    };
  },
});
