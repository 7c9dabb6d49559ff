/**
 * Generic `<dir>/<class>/.../<image>` dataset, indexed exactly as torchvision's ImageFolder does:
 * classes are the sorted sub-directory names; inside a class, directories are walked in sorted
 * path order and files sorted by name (as strings: `x_1, x_10, x_100, x_2`); only files with an
 * image extension count. A user's own dataset in this layout needs no code.
 */
import { z } from "zod";
import type { DataIO, DatasetIndex, Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { defineDataset } from "../common/index.ts";

/** torchvision.datasets.folder.IMG_EXTENSIONS. */
export const IMG_EXTENSIONS = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"] as const;

export interface ImageFolderSpec {
  /** Folder holding the class folders, relative to the root ("." for the root itself). */
  readonly dir: string;
  readonly extensions: readonly string[];
  /** The expected class folders, in label order; when absent, the sorted folders found. */
  readonly classes?: readonly string[];
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function imageFolderIndex(io: DataIO, spec: ImageFolderSpec): Promise<DatasetIndex & { classNames: string[] }> {
  const base = spec.dir === "." ? "" : `${spec.dir.replace(/\/+$/, "")}/`;
  if (!(await io.isDirectory(spec.dir))) throw new InputError(spec.dir, "not a directory; expected a folder with one sub-folder per class");
  const found: string[] = [];
  for (const name of await io.list(spec.dir)) if (await io.isDirectory(`${base}${name}`)) found.push(name);
  if (found.length === 0) throw new InputError(spec.dir, "no class folders; expected one sub-folder per class");
  if (spec.classes && found.join("\u0000") !== [...spec.classes].sort(byCodeUnits).join("\u0000")) {
    throw new InputError(spec.dir, `class folders ${found.join(", ")}; expected exactly ${spec.classes.join(", ")}`);
  }
  const classNames = spec.classes ? [...spec.classes] : found;
  const extensions = spec.extensions.map((e) => e.toLowerCase());
  const samples: Sample[] = [];
  for (const [label, name] of classNames.entries()) {
    const files = await walkSorted(io, `${base}${name}`);
    const images = files.filter((file) => extensions.some((ext) => file.toLowerCase().endsWith(ext)));
    if (images.length === 0) {
      throw new InputError(`${base}${name}`, `class "${name}" has no image files; expected at least one file ending in ${extensions.join(", ")}`);
    }
    for (const file of images) samples.push({ id: base ? file.slice(base.length) : file, files: [file], label });
  }
  return { samples, classNames, skipped: [] };
}

/** Files under `dir` in the order of Python's `for root, _, files in sorted(os.walk(dir)): sorted(files)`. */
async function walkSorted(io: DataIO, dir: string): Promise<string[]> {
  const dirs: string[] = [];
  const filesOf = new Map<string, string[]>();
  const visit = async (path: string): Promise<void> => {
    dirs.push(path);
    const files: string[] = [];
    for (const name of await io.list(path)) {
      const child = `${path}/${name}`;
      if (await io.isDirectory(child)) await visit(child);
      else files.push(child);
    }
    filesOf.set(path, files);
  };
  await visit(dir);
  return dirs.sort(byCodeUnits).flatMap((d) => filesOf.get(d) ?? []);
}

export const imageFolder = defineDataset({
  name: "image-folder",
  description: "Any <dir>/<class>/<image> folder, indexed in torchvision ImageFolder order",
  orientation: "stored",
  options: {
    dir: z.string().default("."),
    extensions: z.array(z.string().startsWith(".")).min(1).default([...IMG_EXTENSIONS]),
    /** Class folders in label order; the sorted folders found when absent. */
    classes: z.array(z.string().min(1)).min(1).optional(),
    task: z.enum(["multiclass", "binary", "ordinal"]).default("multiclass"),
    selectionMetric: z.string().default("accuracy"),
  },
  build(options) {
    return {
      meta: {
        task: options.task,
        // Known only after indexing unless fixed by the `classes` option; see DatasetIndex.classNames.
        classNames: options.classes ?? [],
        nativeFormat: "<dir>/<class>/**/<image> (torchvision ImageFolder)",
        selectionMetric: options.selectionMetric,
      },
      index: (ctx) => imageFolderIndex(ctx.io, options),
    };
  },
});
