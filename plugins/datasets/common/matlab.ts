/**
 * A small, strict reader of MATLAB .mat files for the subset dataset distributions use (Oxford
 * Flowers' imagelabels/setid, Stanford Cars' devkit, ImageNet's meta.mat): MAT v5 (little- or
 * big-endian) with numeric, logical, char, cell and struct arrays, miCOMPRESSED elements (zlib), and
 * MAT v4 numeric and text matrices. Everything else (sparse, complex, objects, function handles,
 * v7.3/HDF5) is refused with the file and element named. Every size read from the file is checked
 * against the bytes that are there before anything is allocated; inflated data is capped by the size
 * its own tag declares. Runtime-free: zlib via the web-standard DecompressionStream.
 */
import type { DataIO } from "../../../core/contracts.ts";
import { InputError } from "../../../core/errors.ts";

/** A numeric or logical array: values in column-major order (MATLAB's), as doubles. */
export interface MatNumeric {
  readonly kind: "numeric";
  /** MATLAB class: "double", "single", "int8", ..., "uint64", or "logical". */
  readonly class: string;
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

/** A char array: one string per row (a 1xN array is one string). */
export interface MatChar {
  readonly kind: "char";
  readonly dims: readonly number[];
  readonly rows: readonly string[];
}

export interface MatCell {
  readonly kind: "cell";
  readonly dims: readonly number[];
  /** Column-major. */
  readonly cells: readonly MatValue[];
}

export interface MatStruct {
  readonly kind: "struct";
  readonly dims: readonly number[];
  readonly fields: readonly string[];
  /** Column-major; each element maps every field name to its value. */
  readonly elements: readonly Readonly<Record<string, MatValue>>[];
}

export type MatValue = MatNumeric | MatChar | MatCell | MatStruct;

/** Variables of a .mat file, by name, in file order. */
export type MatFile = ReadonlyMap<string, MatValue>;

const HEADER_BYTES = 128;
const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 } as const;
const MI_NAMES: Record<number, string> = Object.fromEntries(Object.entries(MI).map(([name, code]) => [code, `mi${name}`]));
/** Bytes per element of the numeric data types. */
const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8 };
/** mxCLASS codes of the numeric classes. */
const NUMERIC_CLASSES: Record<number, string> = { 6: "double", 7: "single", 8: "int8", 9: "uint8", 10: "int16", 11: "uint16", 12: "int32", 13: "uint32", 14: "int64", 15: "uint64" };
const UNSUPPORTED_CLASSES: Record<number, string> = { 3: "object", 5: "sparse", 16: "function handle", 17: "opaque (MATLAB object)" };
/** Nesting of cells and structs read (the files read here nest two deep); deeper is refused, not a stack overflow. */
const MAX_DEPTH = 32;
const MAX_FIELDLESS = 65536;
const MX_CELL = 1;
const MX_STRUCT = 2;
const MX_CHAR = 4;
const FLAG_COMPLEX = 0x0800;
const FLAG_LOGICAL = 0x0200;

/**
 * Reads a .mat file's variables. `file` names it in errors; each error also names the element
 * (`variable "annotations"`, `annotations(3).fname`) and what was expected.
 */
export async function readMat(bytes: Uint8Array, file: string): Promise<MatFile> {
  if (isMatV4(bytes)) return readMatV4(bytes, file);
  if (bytes.length < HEADER_BYTES) throw new InputError(file, `${bytes.length} bytes; expected a MAT-file (a 128-byte MAT v5 header, or a MAT v4 matrix)`);
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, 116));
  const endian = String.fromCharCode(bytes[126], bytes[127]);
  if (endian !== "IM" && endian !== "MI") throw new InputError(file, `endian indicator ${JSON.stringify(endian)} at byte 126; expected "IM" or "MI" (a MAT v5 header)`);
  const little = endian === "IM";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(124, little);
  if (version !== 0x0100) {
    const hdf5 = version === 0x0200 ? " (MAT v7.3 is HDF5; save it with -v7 or scipy.io.savemat)" : "";
    throw new InputError(file, `MAT version 0x${version.toString(16).padStart(4, "0")}${hdf5}; expected 0x0100 (MAT v5/v7): header ${JSON.stringify(text.trim().slice(0, 60))}`);
  }
  const variables = new Map<string, MatValue>();
  let offset = HEADER_BYTES;
  while (offset < bytes.length) {
    const where = `${file} element at byte ${offset}`;
    const tag = readTag(view, offset, little, where);
    let element: { view: DataView; offset: number; where: string };
    if (tag.type === MI.COMPRESSED) {
      const inflated = await inflateElement(bytes.subarray(tag.dataOffset, tag.dataOffset + tag.bytes), little, where);
      element = { view: new DataView(inflated.buffer, inflated.byteOffset, inflated.byteLength), offset: 0, where: `${where} (miCOMPRESSED)` };
      offset = tag.dataOffset + tag.bytes;
    } else {
      element = { view, offset, where };
      offset = tag.dataOffset + padded(tag.bytes);
    }
    const inner = readTag(element.view, element.offset, little, element.where);
    if (inner.type !== MI.MATRIX) throw new InputError(element.where, `${typeName(inner.type)}; expected a variable (miMATRIX or miCOMPRESSED)`);
    const { name, value } = readMatrix(element.view, inner, little, file, element.where);
    if (variables.has(name)) throw new InputError(where, `variable "${name}" appears twice; expected each variable once`);
    variables.set(name, value);
  }
  return variables;
}

/** A dataset's .mat file through its DataIO; `expected` says what it should hold when it is missing. */
export async function readMatFile(io: DataIO, path: string, expected: string): Promise<MatFile> {
  if (!(await io.exists(path))) throw new InputError(path, `file not found; expected a MATLAB file with ${expected}`);
  return await readMat(await io.readBytes(path), path);
}

/** The variable `name`; an error naming the file and the variables present when it is missing. */
export function matVariable(mat: MatFile, name: string, file: string): MatValue {
  const value = mat.get(name);
  if (!value) throw new InputError(file, `no variable "${name}"; expected it among the file's variables (found ${[...mat.keys()].join(", ") || "none"})`);
  return value;
}

/** A numeric array's values (any shape, column-major). */
export function matNumbers(value: MatValue, where: string): Float64Array {
  if (value.kind !== "numeric") throw new InputError(where, `${describe(value)}; expected a numeric array`);
  return value.data;
}

/** A numeric vector (1xN, Nx1 or empty) of integers, each checked against [min, max]. */
export function matIntegerVector(value: MatValue, where: string, min: number, max: number): number[] {
  const data = matNumbers(value, where);
  if (value.dims.filter((d) => d !== 1).length > 1) throw new InputError(where, `a ${value.dims.join("x")} array; expected a vector`);
  return Array.from(data, (v, i) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`${where}(${i + 1})`, `${v}; expected an integer from ${min} to ${max}`);
    return v;
  });
}

/** A char array holding one string (1xN, or empty); a scalar struct field or a cell's content. */
export function matString(value: MatValue, where: string): string {
  if (value.kind !== "char") throw new InputError(where, `${describe(value)}; expected a char array (text)`);
  if (value.rows.length > 1) throw new InputError(where, `a ${value.dims.join("x")} char array; expected one line of text`);
  return value.rows[0] ?? "";
}

/** The single number of a 1x1 numeric array. */
export function matScalar(value: MatValue, where: string): number {
  const data = matNumbers(value, where);
  if (data.length !== 1) throw new InputError(where, `a ${value.dims.join("x")} array; expected one number`);
  return data[0];
}

/** A struct array's elements, each checked to carry `fields`. */
export function matStructElements(value: MatValue, where: string, fields: readonly string[]): readonly Readonly<Record<string, MatValue>>[] {
  if (value.kind !== "struct") throw new InputError(where, `${describe(value)}; expected a struct array with fields ${fields.join(", ")}`);
  const missing = fields.filter((f) => !value.fields.includes(f));
  if (missing.length > 0) throw new InputError(where, `struct without field ${missing.join(", ")}; expected fields ${fields.join(", ")} (found ${value.fields.join(", ")})`);
  return value.elements;
}

/** A cell array's contents (column-major). */
export function matCells(value: MatValue, where: string): readonly MatValue[] {
  if (value.kind !== "cell") throw new InputError(where, `${describe(value)}; expected a cell array`);
  return value.cells;
}

function describe(value: MatValue): string {
  return value.kind === "numeric" ? `a ${value.dims.join("x")} ${value.class} array` : `a ${value.dims.join("x")} ${value.kind} array`;
}

function padded(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function typeName(type: number): string {
  return MI_NAMES[type] ?? `data type ${type}`;
}

interface Tag {
  readonly type: number;
  readonly bytes: number;
  readonly dataOffset: number;
  /** Offset just past the element, padding included. */
  readonly end: number;
}

/** A data element's tag (normal or small-element form), its size checked against the bytes there. */
function readTag(view: DataView, offset: number, little: boolean, where: string): Tag {
  if (offset + 8 > view.byteLength) throw new InputError(where, `truncated: a tag needs 8 bytes at byte ${offset}, the data has ${view.byteLength}`);
  const first = view.getUint32(offset, little);
  const small = first >>> 16;
  if (small !== 0) {
    // Small data element: type and size in one word, up to 4 bytes of data in the next.
    if (small > 4) throw new InputError(where, `small data element of ${small} bytes; expected at most 4`);
    return { type: first & 0xffff, bytes: small, dataOffset: offset + 4, end: offset + 8 };
  }
  const bytes = view.getUint32(offset + 4, little);
  const dataOffset = offset + 8;
  if (bytes > view.byteLength - dataOffset) {
    throw new InputError(where, `${typeName(first)} declares ${bytes} bytes at byte ${offset}; only ${view.byteLength - dataOffset} remain (truncated or corrupt file)`);
  }
  // Compressed elements are not padded; the last element of a file may omit its padding too.
  const end = first === MI.COMPRESSED ? dataOffset + bytes : Math.min(dataOffset + padded(bytes), view.byteLength);
  return { type: first, bytes, dataOffset, end };
}

/** Inflates one miCOMPRESSED element, stopping once it exceeds the size its inner tag declares. */
async function inflateElement(compressed: Uint8Array, little: boolean, where: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let limit = Number.POSITIVE_INFINITY;
  try {
    const reader = new Blob([compressed as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      if (limit === Number.POSITIVE_INFINITY && total >= 8) {
        const head = new DataView(concat(chunks, 8).buffer);
        const small = head.getUint32(0, little) >>> 16 !== 0;
        limit = small ? 8 : padded(8 + head.getUint32(4, little));
      }
      if (total > limit) {
        await reader.cancel();
        throw new InputError(where, `miCOMPRESSED inflates past the ${limit} bytes its element declares; expected one data element`);
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(where, `miCOMPRESSED element is not valid zlib data (${error instanceof Error ? error.message : String(error)})`);
  }
  return concat(chunks, total);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk.subarray(0, Math.min(chunk.length, total - at)), at);
    at += chunk.length;
    if (at >= total) break;
  }
  return out;
}

/** The sub-elements of an miMATRIX, read one after another. */
class Cursor {
  offset: number;
  constructor(readonly view: DataView, readonly little: boolean, start: number, readonly end: number, readonly where: string) {
    this.offset = start;
  }
  next(what: string): Tag {
    if (this.offset >= this.end) throw new InputError(this.where, `ends before its ${what}; expected the ${what} sub-element`);
    const tag = readTag(this.view, this.offset, this.little, `${this.where} ${what}`);
    if (tag.dataOffset + tag.bytes > this.end) throw new InputError(`${this.where} ${what}`, `${tag.bytes} bytes run past the end of the array element`);
    this.offset = tag.end;
    return tag;
  }
}

/**
 * One miMATRIX. A variable (`path` undefined) is named `<file> variable "<name>"` once its name is
 * read (`<file> element at byte N` before); cell and struct contents extend their parent's path.
 */
function readMatrix(view: DataView, tag: Tag, little: boolean, fileWhere: string, pathOrElement: string, depth = 0): { name: string; value: MatValue } {
  const nested = depth > 0;
  if (depth > MAX_DEPTH) throw new InputError(`${fileWhere} ${pathOrElement}`, `cells and structs nested ${depth} deep; expected at most ${MAX_DEPTH}`);
  const empty: MatNumeric = { kind: "numeric", class: "double", dims: [0, 0], data: new Float64Array(0) };
  if (tag.bytes === 0) return { name: "", value: empty };
  const path = nested ? pathOrElement : undefined;
  const early = new Cursor(view, little, tag.dataOffset, tag.dataOffset + tag.bytes, nested ? `${fileWhere} ${pathOrElement}` : pathOrElement);
  const flagsTag = early.next("array flags");
  if (flagsTag.type !== MI.UINT32 || flagsTag.bytes !== 8) throw new InputError(`${early.where} array flags`, `${typeName(flagsTag.type)} of ${flagsTag.bytes} bytes; expected miUINT32 of 8 bytes`);
  const flags = view.getUint32(flagsTag.dataOffset, little);
  const mxClass = flags & 0xff;
  const dimsTag = early.next("dimensions");
  if (dimsTag.type !== MI.INT32 || dimsTag.bytes % 4 !== 0 || dimsTag.bytes < 8) throw new InputError(`${early.where} dimensions`, `${typeName(dimsTag.type)} of ${dimsTag.bytes} bytes; expected miINT32 with at least two dimensions`);
  const dims = Array.from({ length: dimsTag.bytes / 4 }, (_, i) => view.getInt32(dimsTag.dataOffset + 4 * i, little));
  if (dims.some((d) => d < 0)) throw new InputError(`${early.where} dimensions`, `${dims.join("x")}; expected non-negative sizes`);
  const nameTag = early.next("array name");
  if (nameTag.type !== MI.INT8 && nameTag.type !== MI.UINT8) throw new InputError(`${early.where} array name`, `${typeName(nameTag.type)}; expected miINT8 text`);
  const name = new TextDecoder("latin1").decode(new Uint8Array(view.buffer, view.byteOffset + nameTag.dataOffset, nameTag.bytes));
  const where = path === undefined ? `${fileWhere} variable "${name}"` : `${fileWhere} ${path}`;
  const label = path ?? name;
  const cursor = new Cursor(view, little, early.offset, early.end, where);
  const count = dims.reduce((a, b) => a * b, 1);

  const unsupported = UNSUPPORTED_CLASSES[mxClass];
  if (unsupported) throw new InputError(where, `${unsupported} array; expected a numeric, logical, char, cell or struct array`);
  if (flags & FLAG_COMPLEX) throw new InputError(where, "complex array; expected real values");

  if (mxClass === MX_CELL) {
    // Each cell is at least an 8-byte tag: a count beyond that cannot be in the file.
    if (count > (cursor.end - cursor.offset) / 8) throw new InputError(where, `${dims.join("x")} cell array needs more bytes than the element holds`);
    const cells: MatValue[] = [];
    for (let i = 0; i < count; i++) {
      const cellPath = `${label}{${i + 1}}`;
      const cellTag = cursor.next(`cell ${i + 1}`);
      if (cellTag.type !== MI.MATRIX) throw new InputError(`${fileWhere} ${cellPath}`, `${typeName(cellTag.type)}; expected miMATRIX`);
      cells.push(readMatrix(view, cellTag, little, fileWhere, cellPath, depth + 1).value);
    }
    return { name, value: { kind: "cell", dims, cells } };
  }

  if (mxClass === MX_STRUCT) {
    const lengthTag = cursor.next("field name length");
    if (lengthTag.type !== MI.INT32 || lengthTag.bytes !== 4) throw new InputError(`${where} field name length`, `${typeName(lengthTag.type)} of ${lengthTag.bytes} bytes; expected one miINT32`);
    const fieldLength = view.getInt32(lengthTag.dataOffset, little);
    const namesTag = cursor.next("field names");
    if (namesTag.type !== MI.INT8 || fieldLength <= 0 || namesTag.bytes % fieldLength !== 0) {
      throw new InputError(`${where} field names`, `${typeName(namesTag.type)} of ${namesTag.bytes} bytes for names of ${fieldLength}; expected miINT8, a whole number of names`);
    }
    const raw = new Uint8Array(view.buffer, view.byteOffset + namesTag.dataOffset, namesTag.bytes);
    const fields = Array.from({ length: namesTag.bytes / fieldLength }, (_, f) => {
      const slot = raw.subarray(f * fieldLength, (f + 1) * fieldLength);
      const nul = slot.indexOf(0);
      return new TextDecoder("latin1").decode(nul < 0 ? slot : slot.subarray(0, nul));
    });
    if (new Set(fields).size !== fields.length) throw new InputError(`${where} field names`, `${fields.join(", ")}; expected distinct names`);
    // Fieldless elements take no bytes, so only a cap bounds them.
    if (fields.length === 0 && count > MAX_FIELDLESS) throw new InputError(where, `${dims.join("x")} struct array without fields; expected at most ${MAX_FIELDLESS} elements`);
    if (count * fields.length > (cursor.end - cursor.offset) / 8) throw new InputError(where, `${dims.join("x")} struct array of ${fields.length} fields needs more bytes than the element holds`);
    const elements: Record<string, MatValue>[] = [];
    for (let i = 0; i < count; i++) {
      const element: Record<string, MatValue> = {};
      for (const field of fields) {
        const fieldPath = `${label}(${i + 1}).${field}`;
        const fieldTag = cursor.next(`element ${i + 1} field ${field}`);
        if (fieldTag.type !== MI.MATRIX) throw new InputError(`${fileWhere} ${fieldPath}`, `${typeName(fieldTag.type)}; expected miMATRIX`);
        element[field] = readMatrix(view, fieldTag, little, fileWhere, fieldPath, depth + 1).value;
      }
      elements.push(element);
    }
    return { name, value: { kind: "struct", dims, fields, elements } };
  }

  if (mxClass === MX_CHAR) {
    const dataTag = count === 0 && cursor.offset >= cursor.end ? undefined : cursor.next("characters");
    const units = dataTag ? charUnits(view, dataTag, little, where) : [];
    if (units.length !== count) throw new InputError(where, `${units.length} characters for a ${dims.join("x")} char array; expected ${count}`);
    if (dims.length !== 2) throw new InputError(where, `a ${dims.join("x")} char array; expected two dimensions`);
    const [rowsCount, columns] = dims;
    const rows = Array.from({ length: rowsCount }, (_, r) => fromCodeUnits(Array.from({ length: columns }, (_, c) => units[r + rowsCount * c])));
    return { name, value: { kind: "char", dims, rows } };
  }

  const className = NUMERIC_CLASSES[mxClass];
  if (!className) throw new InputError(where, `array class ${mxClass}; expected a numeric, logical, char, cell or struct array`);
  const dataTag = cursor.next("real part");
  return { name, value: { kind: "numeric", class: flags & FLAG_LOGICAL ? "logical" : className, dims, data: numericData(view, dataTag, little, count, dims, where) } };
}

/** Numeric data stored in any numeric type (MATLAB stores doubles as the smallest type that holds them). */
function numericData(view: DataView, tag: Tag, little: boolean, count: number, dims: readonly number[], where: string): Float64Array {
  const size = MI_SIZE[tag.type];
  if (!size) throw new InputError(`${where} real part`, `${typeName(tag.type)}; expected a numeric data type`);
  if (tag.bytes !== count * size) throw new InputError(`${where} real part`, `${tag.bytes} bytes; expected ${count * size} (${dims.join("x")} values of ${typeName(tag.type)})`);
  const out = new Float64Array(count);
  const at = tag.dataOffset;
  for (let i = 0; i < count; i++) out[i] = readNumber(view, tag.type, at + i * size, little, where, i);
  return out;
}

function readNumber(view: DataView, type: number, at: number, little: boolean, where: string, i: number): number {
  switch (type) {
    case MI.INT8: return view.getInt8(at);
    case MI.UINT8: return view.getUint8(at);
    case MI.INT16: return view.getInt16(at, little);
    case MI.UINT16: return view.getUint16(at, little);
    case MI.INT32: return view.getInt32(at, little);
    case MI.UINT32: return view.getUint32(at, little);
    case MI.SINGLE: return view.getFloat32(at, little);
    case MI.DOUBLE: return view.getFloat64(at, little);
    default: {
      const big = type === MI.INT64 ? view.getBigInt64(at, little) : view.getBigUint64(at, little);
      const number = Number(big);
      if (!Number.isSafeInteger(number)) throw new InputError(`${where}(${i + 1})`, `${big}; expected an integer within ±2^53`);
      return number;
    }
  }
}

/** The UTF-16 code units of char data (MATLAB writes miUINT16; scipy miUTF8 or miUINT16). */
function charUnits(view: DataView, tag: Tag, little: boolean, where: string): number[] {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + tag.dataOffset, tag.bytes);
  switch (tag.type) {
    case MI.UINT8:
    case MI.INT8:
      return Array.from(bytes);
    case MI.UTF8: {
      const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      return Array.from(text, (ch) => ch.charCodeAt(0));
    }
    case MI.UINT16:
    case MI.UTF16:
      return Array.from({ length: tag.bytes >> 1 }, (_, i) => view.getUint16(tag.dataOffset + 2 * i, little));
    default:
      throw new InputError(`${where} characters`, `${typeName(tag.type)}; expected miUINT16, miUTF8, miUTF16 or miUINT8 text`);
  }
}

/** A string from UTF-16 code units, in slices (a spread of a long row would overflow the stack). */
function fromCodeUnits(units: readonly number[]): string {
  let text = "";
  for (let i = 0; i < units.length; i += 4096) text += String.fromCharCode(...units.slice(i, i + 4096));
  return text;
}

/** MAT v4 has no text header: scipy tells them apart by a zero among the first four bytes. */
function isMatV4(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes.subarray(0, 4).includes(0);
}

const V4_TYPES: Record<number, { size: number; read: (view: DataView, at: number, little: boolean) => number }> = {
  0: { size: 8, read: (v, at, l) => v.getFloat64(at, l) },
  1: { size: 4, read: (v, at, l) => v.getFloat32(at, l) },
  2: { size: 4, read: (v, at, l) => v.getInt32(at, l) },
  3: { size: 2, read: (v, at, l) => v.getInt16(at, l) },
  4: { size: 2, read: (v, at, l) => v.getUint16(at, l) },
  5: { size: 1, read: (v, at) => v.getUint8(at) },
};

/** MAT v4: a sequence of [type, rows, columns, imagf, namelen] headers, names and column-major data. */
function readMatV4(bytes: Uint8Array, file: string): MatFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const variables = new Map<string, MatValue>();
  let offset = 0;
  while (offset < bytes.length) {
    const where = `${file} MAT v4 matrix at byte ${offset}`;
    if (offset + 20 > bytes.length) throw new InputError(where, `truncated: a header needs 20 bytes, ${bytes.length - offset} remain`);
    // The type word reads small in the file's own byte order: M (0 little, 1 big endian) is its thousands digit.
    const little = view.getInt32(offset, true) >= 0 && view.getInt32(offset, true) < 5000;
    const [type, rows, columns, imagf, nameLength] = Array.from({ length: 5 }, (_, i) => view.getInt32(offset + 4 * i, little));
    const machine = Math.floor(type / 1000);
    const precision = Math.floor((type % 100) / 10);
    const matrixType = type % 10;
    if (machine !== (little ? 0 : 1) || Math.floor((type % 1000) / 100) !== 0) throw new InputError(where, `type ${type}; expected MOPT with M 0 or 1 and O 0`);
    if (matrixType === 2) throw new InputError(where, "sparse matrix; expected a full numeric or text matrix");
    if (matrixType > 1) throw new InputError(where, `matrix type ${matrixType}; expected 0 (numeric) or 1 (text)`);
    if (imagf !== 0) throw new InputError(where, "complex matrix; expected real values");
    const format = V4_TYPES[precision];
    if (!format) throw new InputError(where, `precision ${precision}; expected 0-5 (double, single, int32, int16, uint16, uint8)`);
    if (rows < 0 || columns < 0 || nameLength < 1) throw new InputError(where, `${rows}x${columns}, name of ${nameLength} bytes; expected non-negative sizes and a name`);
    const nameAt = offset + 20;
    const dataAt = nameAt + nameLength;
    const count = rows * columns;
    if (dataAt > bytes.length || count * format.size > bytes.length - dataAt) throw new InputError(where, `a ${rows}x${columns} matrix needs ${count * format.size} bytes after its name; the file has ${Math.max(0, bytes.length - dataAt)}`);
    const nameBytes = bytes.subarray(nameAt, dataAt);
    const nul = nameBytes.indexOf(0);
    const name = new TextDecoder("latin1").decode(nul < 0 ? nameBytes : nameBytes.subarray(0, nul));
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = format.read(view, dataAt + i * format.size, little);
    const value: MatValue = matrixType === 1
      ? { kind: "char", dims: [rows, columns], rows: Array.from({ length: rows }, (_, r) => fromCodeUnits(Array.from({ length: columns }, (_, c) => data[r + rows * c]))) }
      : { kind: "numeric", class: "double", dims: [rows, columns], data };
    if (variables.has(name)) throw new InputError(where, `variable "${name}" appears twice; expected each variable once`);
    variables.set(name, value);
    offset = dataAt + count * format.size;
  }
  return variables;
}
