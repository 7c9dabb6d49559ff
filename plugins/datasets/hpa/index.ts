/**
 * Human Protein Atlas Image Classification (Kaggle 2018): 28 protein locations, multilabel.
 * Two layouts: "kaggle" (`train.csv` Id,Target + `train/<Id>_{red,green,blue,yellow}.png`, one
 * grayscale PNG per stain) and "rgby" (`rgby/train/<Id>.png`, one 4-channel PNG per sample, the
 * layout the reference code read). Predefined splits come from the user's split file
 * (`split.stratified.small.0.csv`: Id,Target,Split) when it exists.
 */
import { z } from "zod";
import type { DataIO, Image, Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, defineDataset, FileCheck, IdSet, loadSingleFile, readCsv, rowWhere } from "../common/index.ts";

export const HPA_CLASSES = [
  "Nucleoplasm", "Nuclear membrane", "Nucleoli", "Nucleoli fibrillar center", "Nuclear speckles",
  "Nuclear bodies", "Endoplasmic reticulum", "Golgi apparatus", "Peroxisomes", "Endosomes",
  "Lysosomes", "Intermediate filaments", "Actin filaments", "Focal adhesion sites", "Microtubules",
  "Microtubule ends", "Cytokinetic bridge", "Mitotic spindle", "Microtubule organizing center",
  "Centrosome", "Lipid droplets", "Plasma membrane", "Cell junctions", "Mitochondria",
  "Aggresome", "Cytosol", "Cytoplasmic bodies", "Rods & rings",
] as const;
export const HPA_STAINS = ["red", "green", "blue", "yellow"] as const;
export const HPA_SPLIT_FILE = "split.stratified.small.0.csv";

/** "0 19" -> [0, 19]: sorted, distinct class indices in [0, 28). */
export function parseHpaTarget(value: string, where: string): number[] {
  const parts = value.trim().split(/\s+/);
  const labels = parts.map((part) => {
    const k = /^\d+$/.test(part) ? Number(part) : Number.NaN;
    if (!(k >= 0 && k < HPA_CLASSES.length)) {
      throw new InputError(where, `target ${JSON.stringify(value)}: "${part}" is not a class index; expected space-separated integers from 0 to ${HPA_CLASSES.length - 1}`);
    }
    return k;
  });
  return [...new Set(labels)].sort((a, b) => a - b);
}

export interface HpaSplitFile {
  readonly rows: readonly { id: string; target: number[]; split: string; where: string }[];
}

/** Reads `Id,Target,Split` rows, checking ids and targets. */
export async function readHpaSplitFile(io: DataIO, path: string): Promise<HpaSplitFile> {
  const { rows } = await readCsv(io, path, ["Id", "Target", "Split"]);
  const ids = new IdSet();
  return {
    rows: rows.map((row) => {
      ids.add(row.values.Id, rowWhere(path, row));
      const split = row.values.Split;
      if (split === "") throw new InputError(rowWhere(path, row, "Split"), "empty; expected a split name such as train, val, test_val");
      return { id: row.values.Id, target: parseHpaTarget(row.values.Target, rowWhere(path, row, "Target")), split, where: rowWhere(path, row) };
    }),
  };
}

export const hpa = defineDataset({
  name: "hpa",
  description: "Human Protein Atlas: fluorescence microscopy, 28 protein locations, multilabel",
  orientation: "exif",
  options: {
    layout: z.enum(["auto", "kaggle", "rgby"]).default("auto"),
    /** Split file (Id,Target,Split), relative to the root, or absolute inside it or in config allowedDataDirs; used when it exists. */
    splitFile: z.string().default(HPA_SPLIT_FILE),
  },
  build(options) {
    return {
      meta: {
        task: "multilabel",
        classNames: HPA_CLASSES,
        nativeFormat: "train.csv (Id,Target) + train/<Id>_{red,green,blue,yellow}.png (Kaggle), or rgby/train/<Id>.png; split file Id,Target,Split",
        selectionMetric: "macro-f1",
      },
      async index(ctx) {
        const { io } = ctx;
        const layout = options.layout === "auto" ? ((await io.isDirectory("rgby/train")) ? "rgby" : "kaggle") : options.layout;
        const hasCsv = await io.exists("train.csv");
        const split = (await io.exists(options.splitFile)) ? await readHpaSplitFile(io, options.splitFile) : undefined;
        if (!hasCsv && !split) {
          throw new InputError(io.join("train.csv"), `not found, and no split file ${options.splitFile}; expected labels in one of them (Id,Target)`);
        }
        // Rows in file order: train.csv when present, otherwise the split file.
        let rows: { id: string; target: number[]; where: string }[] = [];
        if (hasCsv) {
          const { rows: csvRows } = await readCsv(io, "train.csv", ["Id", "Target"]);
          const ids = new IdSet();
          for (const row of csvRows) {
            ids.add(row.values.Id, rowWhere("train.csv", row));
            rows.push({ id: row.values.Id, target: parseHpaTarget(row.values.Target, rowWhere("train.csv", row, "Target")), where: rowWhere("train.csv", row) });
          }
        } else {
          rows = [...split!.rows];
        }
        const check = new FileCheck(io, options.skipMissing);
        const samples: Sample[] = [];
        for (const row of rows) {
          const files = layout === "rgby" ? [`rgby/train/${row.id}.png`] : HPA_STAINS.map((stain) => `train/${row.id}_${stain}.png`);
          if (await check.present(row.id, files, row.where)) samples.push({ id: row.id, files, label: row.target });
        }
        checkClasses(samples, HPA_CLASSES, hasCsv ? "train.csv" : options.splitFile, options.allowEmptyClasses);
        if (!split) return { samples, skipped: check.skipped };

        const byId = new Map(rows.map((row) => [row.id, row]));
        const skippedIds = new Set(check.skipped.map((s) => s.id));
        const predefinedSplits: Record<string, string[]> = {};
        for (const entry of split.rows) {
          const row = byId.get(entry.id);
          if (!row) throw new InputError(entry.where, `Id "${entry.id}" is not in train.csv; expected the split file to list samples of this dataset`);
          if (row.target.join(" ") !== entry.target.join(" ")) {
            throw new InputError(entry.where, `Target "${entry.target.join(" ")}" differs from ${row.where} ("${row.target.join(" ")}"); expected the same labels`);
          }
          if (skippedIds.has(entry.id)) continue;
          (predefinedSplits[entry.split] ??= []).push(entry.id);
        }
        return { samples, predefinedSplits, skipped: check.skipped };
      },
      async load(sample, ctx, decode): Promise<Image> {
        if (sample.files.length === 1) return await loadSingleFile(sample, ctx, decode);
        // Kaggle layout: stack the four stains as R, G, B, Y, then let the decoder pick channels,
        // resize and order exactly as it does for a 4-channel RGBY PNG.
        const planes = await Promise.all(
          sample.files.map(async (file) =>
            ctx.decoder.decode(await ctx.io.readBytes(file), { channels: 1, orientation: decode.orientation }, file)),
        );
        const { width, height } = planes[0];
        planes.forEach((plane, c) => {
          if (plane.width !== width || plane.height !== height) {
            throw new InputError(sample.files[c], `${plane.width}x${plane.height}; expected ${width}x${height} like ${sample.files[0]}`);
          }
        });
        const data = new Uint8Array(width * height * 4);
        for (let c = 0; c < 4; c++) {
          const plane = planes[c].data;
          for (let p = 0; p < width * height; p++) data[4 * p + c] = plane[p];
        }
        return await ctx.decoder.convert({ width, height, channels: 4, data }, decode, sample.files[0]);
      },
    };
  },
});
