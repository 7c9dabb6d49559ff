/**
 * Shared parts of the dataset plugins: `defineDataset`, common options, CSV reading with row
 * numbers, label and id checks, file-presence checks that honour `skipMissing`, single-file image
 * loading and the ImageFolder walk. Everything goes through `DataIO` / `ImageDecoder`, so the plugins themselves are runtime-free.
 */
import { parse } from "csv-parse/sync";
import { z } from "zod";
import type { DataIO, Dataset, DatasetContext, DatasetIndex, DatasetMeta, DecodeOptions, Image, Sample } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";
import { definePlugin, parseOptions, type Plugin } from "../../../core/plugin.ts";

/** Options every dataset plugin accepts. */
export const baseOptionsShape = {
  /** "bgr" reproduces the reference code's OpenCV reads (APTOS, CCT-20, Melanoma, HPA). */
  channelOrder: z.enum(["rgb", "bgr"]).default("rgb"),
  /** Leave out samples whose files are missing and report them in `DatasetIndex.skipped`. */
  skipMissing: z.boolean().default(false),
  /**
   * Decode every sample while indexing and leave out (and report in `DatasetIndex.skipped`) those
   * that fail; the sample set then never depends on when training meets a bad file. Off: a corrupt
   * file is an error when it is decoded.
   */
  skipUndecodable: z.boolean().default(false),
  /** Output channels of `load` (3 for ImageNet backbones; grayscale is replicated). */
  channels: z.union([z.literal(1), z.literal(3), z.literal(4)]).default(3),
  /** Accept a class with no samples (a deliberate subset); an error otherwise. */
  allowEmptyClasses: z.boolean().default(false),
};

export interface BaseOptions {
  readonly skipMissing: boolean;
  readonly skipUndecodable: boolean;
  readonly allowEmptyClasses: boolean;
}

/** Options schema with per-dataset defaults for orientation (the reference reader's behaviour). */
export function datasetOptions<S extends z.ZodRawShape>(orientation: "exif" | "stored", extra: S) {
  return z.strictObject({ ...baseOptionsShape, orientation: z.enum(["exif", "stored"]).default(orientation), ...extra });
}

export interface CsvRow {
  /** 1-based line number in the file (the header is line 1). */
  readonly line: number;
  readonly values: Readonly<Record<string, string>>;
}

/** Reads a CSV with a header; names the file and lists the columns found when one is missing. */
export async function readCsv(io: DataIO, path: string, required: readonly string[]): Promise<{ columns: string[]; rows: CsvRow[] }> {
  if (!(await io.exists(path))) throw new InputError(path, `file not found; expected a CSV with columns ${required.join(", ")}`);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(await io.readText(path), { info: true, bom: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (error) {
    throw new InputError(path, `not a valid CSV: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (records.length === 0) throw new InputError(path, `empty file; expected a header with columns ${required.join(", ")}`);
  const columns = records[0].record;
  const missing = required.filter((name) => !columns.includes(name));
  if (missing.length > 0) {
    throw new InputError(path, `missing column ${missing.map((m) => `"${m}"`).join(", ")}; expected columns ${required.join(", ")}, found ${columns.join(", ")}`);
  }
  const rows = records.slice(1).map(({ record, info }) => {
    if (record.length !== columns.length) {
      throw new InputError(`${path} line ${info.lines}`, `${record.length} fields; expected ${columns.length} (${columns.join(", ")})`);
    }
    return { line: info.lines, values: Object.fromEntries(columns.map((name, i) => [name, record[i]])) };
  });
  return { columns, rows };
}

export function rowWhere(path: string, row: CsvRow, column?: string): string {
  return `${path} line ${row.line}${column ? ` column "${column}"` : ""}`;
}

/** An integer class index in [0, numClasses), written with digits only; compared, never used to allocate. */
export function parseClassIndex(value: string | number, numClasses: number, where: string): number {
  const label = typeof value === "number" ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
    throw new InputError(where, `label ${JSON.stringify(value)} is not a class index; expected an integer from 0 to ${numClasses - 1}`);
  }
  return label;
}

export function parseInteger(value: string, where: string, expected: string): number {
  const number = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new InputError(where, `${JSON.stringify(value)} is not an integer; expected ${expected}`);
  return number;
}

/** One label cell (or one token of a multilabel cell) and where it was read. */
export interface LabelCell {
  readonly text: string;
  readonly where: string;
}

/** Text that reads as a number (`2.0`, `1e3`, `0x1`, `-1`, `.5`), so never taken as a class name. */
const NUMBER_LIKE = /^[+-]?\.?\d/;
const CLASS_INDEX = /^\d+$/;
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * How a label column is read, decided once from the whole column: class names when `classes` is
 * given and every label is one of them; otherwise class indices when every label reads as a number
 * (each must then be a plain integer below the number of classes); otherwise class names (without
 * `classes`: the sorted distinct labels). A label that does not fit the column's reading is an
 * error naming its row; nothing is allocated by a label's value.
 */
export function readLabelColumn(cells: readonly LabelCell[], classes: readonly string[] | undefined): { classNames: string[]; labelOf: (cell: LabelCell) => number } {
  for (const cell of cells) if (cell.text === "") throw new InputError(cell.where, "empty label; expected a class index or class name");
  const named = classes ? new Map(classes.map((name, k) => [name, k])) : undefined;
  if (named && cells.every((cell) => named.has(cell.text))) return { classNames: [...classes!], labelOf: (cell) => named.get(cell.text)! };

  if (cells.every((cell) => NUMBER_LIKE.test(cell.text))) {
    for (const cell of cells) {
      if (!CLASS_INDEX.test(cell.text)) {
        throw new InputError(cell.where, `label ${JSON.stringify(cell.text)} is not a class index; expected a non-negative integer written as digits only (every label of this column reads as a number, so they are class indices)`);
      }
    }
    const numClasses = classes?.length ?? cells.length;
    for (const cell of cells) {
      // Compared, never allocated: a label of 99999999999 must not size an array.
      if (Number(cell.text) >= numClasses) {
        throw new InputError(cell.where, classes
          ? `label ${cell.text} is not a class index; expected an integer from 0 to ${numClasses - 1} (${numClasses} classes in "classes")`
          : `label ${cell.text} is not a class index; expected an integer below ${numClasses}, the number of labels in the column (list the class names in "classes" for classes without samples)`);
      }
    }
    const count = classes?.length ?? cells.reduce((max, cell) => Math.max(max, Number(cell.text)), -1) + 1;
    return { classNames: classes ? [...classes] : Array.from({ length: count }, (_, k) => String(k)), labelOf: (cell) => Number(cell.text) };
  }

  if (named) {
    const stray = cells.find((cell) => !named.has(cell.text))!;
    throw new InputError(stray.where, `label ${JSON.stringify(stray.text)} is not one of the classes (${classes!.join(", ")}); expected a class name from "classes", or every label a class index`);
  }
  const firstName = cells.find((cell) => !NUMBER_LIKE.test(cell.text))!;
  for (const cell of cells) {
    if (NUMBER_LIKE.test(cell.text)) {
      throw new InputError(cell.where, `label ${JSON.stringify(cell.text)} reads as a number, but the column holds class names (${JSON.stringify(firstName.text)} at ${firstName.where}); expected a class name (list the classes in "classes" to use numbers as names)`);
    }
    checkClassName(cell.text, cell.where);
  }
  const classNames = [...new Set(cells.map((cell) => cell.text))].sort(byCodeUnits);
  const index = new Map(classNames.map((name, k) => [name, k]));
  return { classNames, labelOf: (cell) => index.get(cell.text)! };
}

/** A class name is printable text: a NUL or control character would make a look-alike class. */
export function checkClassName(name: string, where: string): void {
  const bad = CONTROL_CHARACTER.exec(name);
  if (bad) {
    const code = `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    throw new InputError(where, `class name ${JSON.stringify(name)} contains the control character ${code}; expected printable text`);
  }
}

/** Throws on the first id seen twice, naming both places. */
export class IdSet {
  readonly #seen = new Map<string, string>();
  add(id: string, where: string): void {
    const first = this.#seen.get(id);
    if (first !== undefined) throw new InputError(where, `duplicate id "${id}" (first at ${first}); expected each id once`);
    this.#seen.set(id, where);
  }
}

/** Every class has at least one sample, unless the user allowed empty classes. */
export function checkClasses(samples: readonly Sample[], classNames: readonly string[], where: string, allowEmpty: boolean): void {
  if (allowEmpty) return;
  const counts = new Array<number>(classNames.length).fill(0);
  for (const sample of samples) for (const label of typeof sample.label === "number" ? [sample.label] : sample.label) counts[label]++;
  const empty = counts.flatMap((count, k) => (count === 0 ? [`${k} (${classNames[k]})`] : []));
  if (empty.length > 0) {
    throw new InputError(where, `class ${empty.join(", ")} has no samples; expected every class to occur (set allowEmptyClasses to accept a subset)`);
  }
}

/** File presence by listing each directory once; missing files throw or are collected. */
export class FileCheck {
  readonly #listings = new Map<string, Promise<Set<string> | undefined>>();
  readonly skipped: { id: string; reason: string }[] = [];
  constructor(readonly io: DataIO, readonly skipMissing: boolean) {}

  async #listing(dir: string): Promise<Set<string> | undefined> {
    let listing = this.#listings.get(dir);
    if (!listing) {
      listing = (async () => ((await this.io.isDirectory(dir)) ? new Set(await this.io.list(dir)) : undefined))();
      this.#listings.set(dir, listing);
    }
    return listing;
  }

  /** True when every file exists; otherwise throws, or records the sample as skipped. */
  async present(id: string, files: readonly string[], where: string): Promise<boolean> {
    for (const file of files) {
      const slash = file.lastIndexOf("/");
      const dir = slash < 0 ? "." : file.slice(0, slash);
      let listing: Set<string> | undefined;
      try {
        listing = await this.#listing(dir);
      } catch (error) {
        // A path that leaves the dataset root: name the row that gave it, never skip it quietly.
        if (error instanceof InputError) throw new InputError(where, `image of sample "${id}": ${error.message}`);
        throw error;
      }
      if (listing?.has(file.slice(slash + 1))) continue;
      const reason = listing ? `image file ${file} not found` : `image directory ${dir} not found (for ${file})`;
      if (!this.skipMissing) throw new InputError(where, `${reason}; expected the image of sample "${id}" (set skipMissing to leave such samples out)`);
      this.skipped.push({ id, reason: `${where}: ${reason}` });
      return false;
    }
    return true;
  }
}

/** The image of a one-file sample. */
export async function loadSingleFile(sample: Sample, ctx: DatasetContext, decode: DecodeOptions): Promise<Image> {
  const file = sample.files[0];
  return await ctx.decoder.decode(await ctx.io.readBytes(file), decode, file);
}

/** Reads a JSON file, naming it on a parse error. */
export async function readJson(io: DataIO, path: string, expected: string): Promise<unknown> {
  if (!(await io.exists(path))) throw new InputError(path, `file not found; expected ${expected}`);
  try {
    return JSON.parse(await io.readText(path));
  } catch (error) {
    throw new InputError(path, `not valid JSON (${error instanceof Error ? error.message : String(error)}); expected ${expected}`);
  }
}

/** gunzip with the web-standard DecompressionStream (Node, Deno and browsers). */
export async function gunzip(bytes: Uint8Array, where: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new InputError(where, `not a valid gzip file (${error instanceof Error ? error.message : String(error)})`);
  }
}

export interface CsvImageIndexSpec {
  readonly csv: string;
  readonly idColumn: string;
  readonly labelColumn: string;
  /** Image path (relative to the root) of an id. */
  readonly file: (id: string) => string;
  readonly classNames: readonly string[];
  readonly options: BaseOptions;
}

/** The index of a "one CSV row per image, integer label" dataset (APTOS, Cassava), in file order. */
export async function csvImageIndex(io: DataIO, spec: CsvImageIndexSpec): Promise<DatasetIndex> {
  const { rows } = await readCsv(io, spec.csv, [spec.idColumn, spec.labelColumn]);
  const ids = new IdSet();
  const check = new FileCheck(io, spec.options.skipMissing);
  const samples: Sample[] = [];
  for (const row of rows) {
    const id = row.values[spec.idColumn];
    if (id === "") throw new InputError(rowWhere(spec.csv, row, spec.idColumn), `empty id; expected an image id`);
    ids.add(id, rowWhere(spec.csv, row));
    const label = parseClassIndex(row.values[spec.labelColumn], spec.classNames.length, rowWhere(spec.csv, row, spec.labelColumn));
    const files = [spec.file(id)];
    if (await check.present(id, files, rowWhere(spec.csv, row))) samples.push({ id, files, label });
  }
  checkClasses(samples, spec.classNames, spec.csv, spec.options.allowEmptyClasses);
  return { samples, skipped: check.skipped };
}

export type DatasetOptions<S extends z.ZodRawShape> = z.output<ReturnType<typeof datasetOptions<S>>>;

export interface DatasetSpec<S extends z.ZodRawShape> {
  readonly name: string;
  readonly description: string;
  readonly version?: string;
  /** Default EXIF handling: what the reference code's reader did ("exif" for OpenCV, "stored" for PIL). */
  readonly orientation: "exif" | "stored";
  /** Options beyond the common ones. */
  readonly options: S;
  /** The dataset for parsed options. `load` gets the dataset's decode defaults merged with the caller's. */
  build(options: DatasetOptions<S>): {
    readonly meta: Omit<DatasetMeta, "name">;
    index(ctx: DatasetContext): Promise<DatasetIndex>;
    load?(sample: Sample, ctx: DatasetContext, decode: DecodeOptions): Promise<Image>;
  };
}

/**
 * A dataset that reads no files (synthetic): only its own options, no decoding defaults; it loads
 * its images itself.
 */
export interface GeneratedDatasetSpec<S extends z.ZodRawShape> {
  readonly name: string;
  readonly description: string;
  readonly version?: string;
  readonly options: S;
  build(options: z.output<z.ZodObject<S>>): {
    readonly meta: Omit<DatasetMeta, "name">;
    index(ctx: DatasetContext): Promise<DatasetIndex>;
    load(sample: Sample, ctx: DatasetContext, decode: DecodeOptions): Promise<Image>;
  };
}

/**
 * A dataset plugin: options are validated (errors name the dataset and the option). A dataset
 * on disk (`orientation` given) takes the common options too, and `load` defaults to decoding the
 * sample's one file with the dataset's decode defaults merged with the caller's.
 */
export function defineDataset<S extends z.ZodRawShape>(spec: DatasetSpec<S>): Plugin<"dataset">;
export function defineDataset<S extends z.ZodRawShape>(spec: GeneratedDatasetSpec<S>): Plugin<"dataset">;
export function defineDataset<S extends z.ZodRawShape>(spec: DatasetSpec<S> | GeneratedDatasetSpec<S>): Plugin<"dataset"> {
  const meta = { kind: "dataset" as const, name: spec.name, version: spec.version ?? "1.0.0", description: spec.description };
  if (!("orientation" in spec)) {
    const schema = z.strictObject(spec.options);
    return definePlugin({
      meta,
      create(raw): Dataset {
        const built = spec.build(parseOptions(meta, schema, raw));
        return { meta: { name: spec.name, ...built.meta }, index: (ctx) => built.index(ctx), load: (sample, ctx, decode) => built.load(sample, ctx, decode ?? {}) };
      },
    });
  }
  const schema = datasetOptions(spec.orientation, spec.options);
  return definePlugin({
    meta,
    create(raw): Dataset {
      const options = parseOptions(meta, schema, raw) as DatasetOptions<S>;
      // The common fields are in every schema; TypeScript cannot see through the generic spread.
      const { channels, channelOrder, orientation } = options as unknown as Required<Pick<DecodeOptions, "channels" | "channelOrder" | "orientation">>;
      const defaults: DecodeOptions = { channels, channelOrder, orientation };
      const built = spec.build(options);
      const load = built.load ?? loadSingleFile;
      const { skipUndecodable, allowEmptyClasses } = options as unknown as BaseOptions;
      const datasetMeta = { name: spec.name, ...built.meta };
      return {
        meta: datasetMeta,
        index: async (ctx) => {
          const index = await built.index(ctx);
          return skipUndecodable ? await withoutUndecodable(index, ctx, (sample) => load(sample, ctx, defaults), datasetMeta, allowEmptyClasses) : index;
        },
        load: (sample, ctx, decode) => load(sample, ctx, { ...defaults, ...decode }),
      };
    },
  });
}

/** Decodes in flight at once while checking decodability (bounded memory; order is kept). */
const CHECK_BATCH = 8;
/** Per DataIO: sample files -> why they failed to decode ("" when they decode), so a sweep decodes each once. */
const decodeChecks = new WeakMap<DataIO, Map<string, Promise<string>>>();

/**
 * `index` without the samples that fail to decode, each listed in `skipped` with the file and the
 * decoder's reason. Runs while indexing, so the sample set is a function of the files alone.
 */
async function withoutUndecodable(
  index: DatasetIndex, ctx: DatasetContext, load: (sample: Sample) => Promise<Image>, meta: DatasetMeta, allowEmptyClasses: boolean,
): Promise<DatasetIndex> {
  let checks = decodeChecks.get(ctx.io);
  if (!checks) decodeChecks.set(ctx.io, (checks = new Map()));
  const reasons: string[] = [];
  for (let start = 0; start < index.samples.length; start += CHECK_BATCH) {
    reasons.push(...await Promise.all(index.samples.slice(start, start + CHECK_BATCH).map((sample) => {
      const key = JSON.stringify(sample.files);
      let reason = checks.get(key);
      if (!reason) {
        // Only decoding failures are skipped: a file that cannot be read (missing, or leaving the root) still fails.
        reason = load(sample).then(() => "", (error: unknown) => {
          if (error instanceof InputError && error.message.includes(": cannot decode image: ")) return error.message;
          throw error;
        });
        checks.set(key, reason);
      }
      return reason;
    })));
  }
  const bad = new Set(index.samples.flatMap((sample, i) => (reasons[i] ? [sample.id] : [])));
  if (bad.size === 0) return index;
  const samples = index.samples.filter((sample) => !bad.has(sample.id));
  const skipped = index.samples.flatMap((sample, i) => (reasons[i] ? [{ id: sample.id, reason: `${reasons[i]} (skipUndecodable)` }] : []));
  checkClasses(samples, index.classNames ?? meta.classNames, "skipUndecodable", allowEmptyClasses);
  return {
    ...index,
    samples,
    skipped: [...(index.skipped ?? []), ...skipped],
    ...(index.predefinedSplits
      ? { predefinedSplits: Object.fromEntries(Object.entries(index.predefinedSplits).map(([name, ids]) => [name, ids.filter((id) => !bad.has(id))])) }
      : {}),
  };
}

/**
 * Memoizes an async read per (DataIO, key): datasets stored as a few large files (CIFAR batches,
 * IDX) read each file once per root. A failed read is forgotten, so a retry reads again.
 */
export function memoizeRead<V>(read: (io: DataIO, key: string) => Promise<V>): (io: DataIO, key: string) => Promise<V> {
  const byIo = new WeakMap<DataIO, Map<string, Promise<V>>>();
  return (io, key) => {
    let cache = byIo.get(io);
    if (!cache) byIo.set(io, (cache = new Map()));
    let value = cache.get(key);
    if (!value) {
      value = read(io, key);
      cache.set(key, value);
      value.catch(() => cache.delete(key));
    }
    return value;
  };
}

/** torchvision.datasets.folder.IMG_EXTENSIONS. */
export const IMG_EXTENSIONS = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"] as const;

/** A `<dir>/<class>/.../<image>` tree (image-folder, EuroSAT), read in torchvision ImageFolder order. */
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
