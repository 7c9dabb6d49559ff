/** The .mat reader on files scipy.io.savemat wrote (fixtures/generators/matlab-fixtures.py), and on broken copies. */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InputError } from "../../core/index.ts";
import { type MatValue, matIntegerVector, matString, matStructElements, matVariable, readMat } from "../../plugins/datasets/common/matlab.ts";

const DIR = resolve(import.meta.dirname, "../../fixtures/parity/matlab");
const contents = JSON.parse(await readFile(join(DIR, "contents.json"), "utf8")) as Record<string, Record<string, unknown>>;

/** The reader's value in contents.json's shape (what scipy.io.loadmat read back). */
function plain(value: MatValue): unknown {
  switch (value.kind) {
    case "numeric": return { kind: "numeric", class: value.class, dims: value.dims, data: Array.from(value.data) };
    case "char": return { kind: "char", dims: value.dims, rows: value.rows };
    case "cell": return { kind: "cell", dims: value.dims, cells: value.cells.map(plain) };
    case "struct": return { kind: "struct", dims: value.dims, fields: value.fields, elements: value.elements.map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, plain(v)]))) };
  }
}

async function mat(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(DIR, name)));
}

async function error(bytes: Uint8Array): Promise<InputError> {
  const e = await readMat(bytes, "broken.mat").then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

describe("readMat", () => {
  for (const name of Object.keys(contents)) {
    it(`reads ${name} as scipy.io.loadmat does`, async () => {
      const variables = await readMat(await mat(name), name);
      const expected = structuredClone(contents[name]) as Record<string, { class?: string }>;
      // scipy reads a logical array back as uint8; the reader keeps MATLAB's class.
      if (name === "numeric-classes.mat") expected.flag.class = "logical";
      expect(Object.fromEntries([...variables].map(([k, v]) => [k, plain(v)]))).toEqual(expected);
    });
  }

  it("reads the Stanford Cars annotations and Flowers splits through the helpers", async () => {
    const annos = await readMat(await mat("cars_train_annos.mat"), "cars_train_annos.mat");
    const elements = matStructElements(matVariable(annos, "annotations", "a"), "a", ["class", "fname"]);
    expect(elements.map((e) => matString(e.fname, "f"))).toEqual(["00001.jpg", "00002.jpg", "00003.jpg", "00004.jpg", "00005.jpg", "00006.jpg"]);
    const setid = await readMat(await mat("setid.mat"), "setid.mat");
    expect(matIntegerVector(matVariable(setid, "valid", "setid.mat"), "valid", 1, 9)).toEqual([6, 5, 4]);
    expect(() => matIntegerVector(matVariable(setid, "valid", "setid.mat"), "setid.mat valid", 1, 5)).toThrow("setid.mat valid(1): 6; expected an integer from 1 to 5");
    expect(() => matVariable(setid, "trainid", "setid.mat")).toThrow('setid.mat: no variable "trainid"; expected it among the file\'s variables (found trnid, valid, tstid)');
    expect(() => matString(matVariable(setid, "trnid", "setid.mat"), "setid.mat trnid")).toThrow("setid.mat trnid: a 1x3 double array; expected a char array (text)");
  });

  it("reads what MATLAB itself writes: doubles stored as uint8, big-endian files", async () => {
    for (const little of [true, false]) {
      const variables = await readMat(handMade(little), "imagelabels.mat");
      expect(plain(matVariable(variables, "labels", "imagelabels.mat"))).toEqual({ kind: "numeric", class: "double", dims: [1, 3], data: [77, 1, 102] });
    }
  });

  it("refuses truncated files, oversized claims and foreign data, naming the file and element", async () => {
    const annos = await mat("cars_train_annos.mat");
    expect((await error(annos.subarray(0, 100))).message).toContain("broken.mat: 100 bytes; expected a MAT-file");
    expect((await error(annos.subarray(0, annos.length - 40))).message).toMatch(/^broken\.mat element at byte 128: miMATRIX declares \d+ bytes at byte 128; only \d+ remain/);
    // An element claiming 2^32-1 bytes is refused before anything is allocated.
    const huge = annos.slice();
    new DataView(huge.buffer).setUint32(132, 0xffffffff, true);
    expect((await error(huge)).message).toContain("declares 4294967295 bytes");
    // A struct whose dimensions claim more elements than the bytes could hold.
    const many = annos.slice();
    const dims = findDims(many, [1, 6]);
    new DataView(many.buffer).setInt32(dims + 12, 1e9, true);
    expect((await error(many)).message).toContain('broken.mat variable "annotations": 1x1000000000 struct array of 6 fields needs more bytes than the element holds');
    const v73 = annos.slice();
    new DataView(v73.buffer).setUint16(124, 0x0200, true);
    expect((await error(v73)).message).toContain("MAT v7.3 is HDF5");
  });

  it("refuses cells nested past 32 levels instead of overflowing the stack", async () => {
    // 40 cells, each holding the next: miMATRIX(flags, dims 1x1, name "", [next]).
    let inner = new Uint8Array(0);
    for (let level = 0; level < 40; level++) {
      const body = new Uint8Array(8 + 8 + 8 + 8 + 8 + inner.length);
      const view = new DataView(body.buffer);
      view.setUint32(0, 6, true); view.setUint32(4, 8, true); view.setUint32(8, 1, true); // array flags: mxCELL_CLASS
      view.setUint32(16, 5, true); view.setUint32(20, 8, true); view.setInt32(24, 1, true); view.setInt32(28, 1, true);
      view.setUint32(32, 1, true); view.setUint32(36, 0, true); // empty name
      body.set(inner, 40);
      inner = new Uint8Array(8 + body.length);
      new DataView(inner.buffer).setUint32(0, 14, true);
      new DataView(inner.buffer).setUint32(4, body.length, true);
      inner.set(body, 8);
    }
    const file = new Uint8Array(128 + inner.length);
    file.set((await mat("setid.mat")).subarray(0, 128));
    file.set(inner, 128);
    expect((await error(file)).message).toMatch(/^broken\.mat (\{1\}){33}: cells and structs nested 33 deep; expected at most 32$/);
  });

  it("refuses a sparse array and a zlib bomb", async () => {
    const sparse = (await mat("numeric-classes.mat")).slice();
    // The first variable's array flags: its class byte becomes mxSPARSE_CLASS (5).
    sparse[128 + 16] = 5;
    expect((await error(sparse)).message).toMatch(/^broken\.mat variable "\w+": sparse array; expected a numeric, logical, char, cell or struct array$/);
    // A compressed element whose inner tag declares 16 bytes but inflates to 1 MB.
    const inner = new Uint8Array(1 << 20);
    new DataView(inner.buffer).setUint32(0, 14, true);
    new DataView(inner.buffer).setUint32(4, 16, true);
    const packed = deflateSync(inner);
    const file = new Uint8Array(128 + 8 + packed.length);
    file.set((await mat("setid.mat")).subarray(0, 128));
    new DataView(file.buffer).setUint32(128, 15, true);
    new DataView(file.buffer).setUint32(132, packed.length, true);
    file.set(packed, 136);
    expect((await error(file)).message).toBe("broken.mat element at byte 128: miCOMPRESSED inflates past the 24 bytes its element declares; expected one data element");
  });
});

/**
 * A MAT v5 file as MATLAB writes one: a 1x3 double variable `labels` whose values are stored as
 * miUINT8 (MATLAB stores numbers in the smallest type that holds them), in either byte order.
 */
function handMade(little: boolean): Uint8Array {
  const bytes = new Uint8Array(128 + 8 + 64);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode("MATLAB 5.0 MAT-file, written by hand for xfer's tests".padEnd(116)));
  view.setUint16(124, 0x0100, little);
  bytes.set(new TextEncoder().encode(little ? "IM" : "MI"), 126);
  const tag = (at: number, type: number, n: number) => {
    view.setUint32(at, type, little);
    view.setUint32(at + 4, n, little);
  };
  tag(128, 14, 64);
  tag(136, 6, 8);
  view.setUint32(144, 6, little); // mxDOUBLE_CLASS, no flags
  tag(152, 5, 8);
  view.setInt32(160, 1, little);
  view.setInt32(164, 3, little);
  tag(168, 1, 6);
  bytes.set(new TextEncoder().encode("labels"), 176);
  tag(184, 2, 3);
  bytes.set([77, 1, 102], 192);
  return bytes;
}

/** Byte offset of an miINT32 dimensions element with these sizes (the first one). */
function findDims(bytes: Uint8Array, dims: number[]): number {
  const view = new DataView(bytes.buffer);
  for (let at = 128; at + 8 + 4 * dims.length <= bytes.length; at += 8) {
    if (view.getUint32(at, true) === 5 && view.getUint32(at + 4, true) === 4 * dims.length && dims.every((d, i) => view.getInt32(at + 8 + 4 * i, true) === d)) return at;
  }
  throw new Error(`no dimensions ${dims.join("x")}`);
}
