/**
 * Generic CSV-indexed image dataset: one row per sample with an id, a label and either a path
 * column or a file-name template. A label column holds class indices or class names, decided once
 * for the whole column (`readLabelColumn`); multilabel cells hold several separated by
 * `labelSeparator`. Optional group and split columns feed group-aware
 * splitters and predefined splits. A user's own dataset in this shape needs no code.
 */
import { z } from "zod";
import type { Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import {
  checkClasses, checkClassName, type CsvRow, defineDataset, FileCheck, IdSet, type LabelCell, readCsv, readLabelColumn, rowWhere,
} from "../common/index.ts";

const csvOptions = {
  csv: z.string().default("train.csv"),
  idColumn: z.string().default("id"),
  labelColumn: z.string().default("label"),
  /** Column with the image path relative to `imageDir`; otherwise `fileTemplate` is used. */
  pathColumn: z.string().optional(),
  /** Image file name made from the id, e.g. "{id}.png". */
  fileTemplate: z.string().includes("{id}").default("{id}"),
  imageDir: z.string().default("."),
  /** Class names in label order; labels are then these names, or all indices. Found from the data otherwise. */
  classes: z.array(z.string().min(1)).min(1).optional()
    .superRefine((classes, ctx) => {
      if (!classes) return;
      if (new Set(classes).size !== classes.length) ctx.addIssue({ code: "custom", message: "names a class twice; expected distinct class names" });
      for (const name of classes) {
        try {
          checkClassName(name, "classes");
        } catch (error) {
          ctx.addIssue({ code: "custom", message: (error as Error).message.replace(/^classes: /, "") });
        }
      }
    }),
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
        const cells = (row: CsvRow): LabelCell[] => {
          const where = rowWhere(csv, row, options.labelColumn);
          const texts = multilabel ? row.values[options.labelColumn].split(options.labelSeparator).filter((t) => t !== "") : [row.values[options.labelColumn]];
          if (texts.length === 0) throw new InputError(where, "no label; expected at least one class");
          return texts.map((text) => ({ text, where }));
        };
        const cellsOfRow = rows.map(cells);
        const { classNames, labelOf } = readLabelColumn(cellsOfRow.flat(), options.classes);
        if (options.task === "binary" && classNames.length !== 2) {
          throw new InputError(csv, `${classNames.length} classes; expected 2 for task "binary"`);
        }
        const prefix = options.imageDir === "." ? "" : `${options.imageDir.replace(/\/+$/, "")}/`;
        const ids = new IdSet();
        const check = new FileCheck(ctx.io, options.skipMissing);
        const samples: Sample[] = [];
        const predefinedSplits: Record<string, string[]> = {};
        for (const [r, row] of rows.entries()) {
          const id = row.values[options.idColumn];
          if (id === "") throw new InputError(rowWhere(csv, row, options.idColumn), "empty id; expected a sample id");
          ids.add(id, rowWhere(csv, row));
          const labels = cellsOfRow[r].map(labelOf);
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
