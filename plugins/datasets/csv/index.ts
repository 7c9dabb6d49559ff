/**
 * Generic CSV-indexed image dataset: one row per sample with an id, a label and either a path
 * column or a file-name template. Labels are class names or integer indices; multilabel cells hold
 * several separated by `labelSeparator`. Optional group and split columns feed group-aware
 * splitters and predefined splits. A user's own dataset in this shape needs no code.
 */
import { z } from "zod";
import type { Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { checkClasses, type CsvRow, defineDataset, FileCheck, IdSet, parseClassIndex, readCsv, rowWhere } from "../common/index.ts";

const csvOptions = {
  csv: z.string().default("train.csv"),
  idColumn: z.string().default("id"),
  labelColumn: z.string().default("label"),
  /** Column with the image path relative to `imageDir`; otherwise `fileTemplate` is used. */
  pathColumn: z.string().optional(),
  /** Image file name made from the id, e.g. "{id}.png". */
  fileTemplate: z.string().includes("{id}").default("{id}"),
  imageDir: z.string().default("."),
  /** Class names in label order; labels may then be names or indices. Found from the data otherwise. */
  classes: z.array(z.string().min(1)).min(1).optional(),
  task: z.enum(["multiclass", "binary", "ordinal", "multilabel"]).default("multiclass"),
  labelSeparator: z.string().min(1).default(" "),
  groupColumn: z.string().optional(),
  splitColumn: z.string().optional(),
  selectionMetric: z.string().default("accuracy"),
};

export const csvDataset = defineDataset({
  name: "csv",
  description: "Any image dataset listed in a CSV (id, label, optional path/group/split columns)",
  orientation: "exif",
  options: csvOptions,
  build(options) {
    const multilabel = options.task === "multilabel";
    return {
      meta: {
        task: options.task,
        classNames: options.classes ?? [],
        nativeFormat: `${options.csv} (${options.idColumn},${options.labelColumn},...) + image files`,
        selectionMetric: options.selectionMetric,
      },
      async index(ctx) {
        const { csv } = options;
        const required = [options.idColumn, options.labelColumn, options.pathColumn, options.groupColumn, options.splitColumn]
          .filter((c): c is string => c !== undefined);
        const { rows } = await readCsv(ctx.io, csv, required);
        const cells = (row: CsvRow) => (multilabel ? row.values[options.labelColumn].split(options.labelSeparator).filter((t) => t !== "") : [row.values[options.labelColumn]]);
        const classNames = options.classes ?? discoverClasses(rows.flatMap(cells));
        const labelOf = (cell: string, where: string) => {
          const named = classNames.indexOf(cell);
          return named >= 0 ? named : parseClassIndex(cell, classNames.length, where);
        };
        const prefix = options.imageDir === "." ? "" : `${options.imageDir.replace(/\/+$/, "")}/`;
        const ids = new IdSet();
        const check = new FileCheck(ctx.io, options.skipMissing);
        const samples: Sample[] = [];
        const predefinedSplits: Record<string, string[]> = {};
        for (const row of rows) {
          const id = row.values[options.idColumn];
          if (id === "") throw new InputError(rowWhere(csv, row, options.idColumn), "empty id; expected a sample id");
          ids.add(id, rowWhere(csv, row));
          const where = rowWhere(csv, row, options.labelColumn);
          const labels = cells(row).map((cell) => labelOf(cell, where));
          if (labels.length === 0) throw new InputError(where, "no label; expected at least one class");
          if (!multilabel && options.task === "binary" && classNames.length !== 2) {
            throw new InputError(csv, `${classNames.length} classes; expected 2 for task "binary"`);
          }
          const file = `${prefix}${options.pathColumn ? row.values[options.pathColumn] : options.fileTemplate.replaceAll("{id}", id)}`;
          if (!(await check.present(id, [file], rowWhere(csv, row)))) continue;
          const label = multilabel ? [...new Set(labels)].sort((a, b) => a - b) : labels[0];
          const group = options.groupColumn ? row.values[options.groupColumn] : undefined;
          samples.push(group === undefined ? { id, files: [file], label } : { id, files: [file], label, group });
          if (options.splitColumn) (predefinedSplits[row.values[options.splitColumn]] ??= []).push(id);
        }
        checkClasses(samples, classNames, csv, options.allowEmptyClasses);
        return {
          samples,
          classNames,
          skipped: check.skipped,
          ...(options.splitColumn ? { predefinedSplits } : {}),
        };
      },
    };
  },
});

/** Integer labels 0..max when every cell is an integer, else the sorted distinct names. */
function discoverClasses(cells: readonly string[]): string[] {
  if (cells.every((cell) => /^\d+$/.test(cell))) {
    const max = cells.reduce((m, cell) => Math.max(m, Number(cell)), -1);
    return Array.from({ length: max + 1 }, (_, k) => String(k));
  }
  return [...new Set(cells)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
