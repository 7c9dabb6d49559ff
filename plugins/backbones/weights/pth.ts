/**
 * torch.save checkpoints (`.pth`: zip since PyTorch 1.6, and the legacy stream) without Python and without running code:
 * a small zip reader plus an interpreter for the subset of pickle a state_dict uses. Only these
 * globals are honoured: collections.OrderedDict, torch._utils._rebuild_tensor(_v2) /
 * _rebuild_parameter and the typed storage classes; any other global, opcode or object shape is
 * rejected with an error naming it. The legacy (pre-1.6) stream format of torchvision's older
 * published weights is read the same way. torchscript.ts reuses the zip reader, the unpickler
 * (with its own dialect) and the tensor checks for TorchScript archives.
 */
import { inflateRawSync } from "node:zlib";
import { InputError } from "../../../core/errors.ts";
import { halfToFloat } from "../../../core/formats/safetensors.ts";
import type { TensorMap } from "../../../core/formats/tensor-map.ts";

// ---------------------------------------------------------------------------------------------
// zip

/** Deflate cannot expand by more than about 1032:1; a larger declared size is a lie or a bomb. */
const MAX_DEFLATE_RATIO = 1032;
/** Largest zip entry inflated or read (VGG-16's 411 MB classifier weight is the largest in the catalog). */
export const MAX_ZIP_ENTRY_BYTES = 2 ** 31 - 1;
/** A central directory record is at least this long, so a count above what fits is corrupt. */
const CENTRAL_RECORD_BYTES = 46;

interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly start: number;
  readonly compressedSize: number;
  /** The uncompressed size the archive declares; inflation stops there. */
  readonly size: number;
}

/** A torch zip's entries (torch.save or torch.jit.save), every declared offset and size checked against the file; nothing is inflated yet. */
export class Zip {
  readonly entries = new Map<string, ZipEntry>();
  readonly #bytes: Uint8Array;
  readonly #where: string;

  constructor(bytes: Uint8Array, where: string) {
    this.#bytes = bytes;
    this.#where = where;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fail = (msg: string): never => {
      throw new InputError(where, `corrupt zip: ${msg}`);
    };
    const within = (at: number, length: number, what: string) => {
      if (!Number.isSafeInteger(at) || at < 0 || at + length > bytes.length) fail(`${what} at byte ${at} (+${length}) lies outside the ${bytes.length}-byte file`);
    };
    const u64 = (at: number, what: string): number => {
      within(at, 8, what);
      const v = view.getBigUint64(at, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${v} is out of range`);
      return Number(v);
    };
    let eocd = -1;
    for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
      if (view.getUint32(i, true) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new InputError(where, "not a torch checkpoint (neither a zip nor a legacy torch.save stream)");
    let count = view.getUint16(eocd + 10, true);
    let cdOffset = view.getUint32(eocd + 16, true);
    if (count === 0xffff || cdOffset === 0xffffffff) {
      // zip64 end-of-central-directory locator sits right before the classic record
      const locator = eocd - 20;
      if (locator < 0 || view.getUint32(locator, true) !== 0x07064b50) fail("zip64 checkpoint without a zip64 locator");
      const record = u64(locator + 8, "zip64 end-of-central-directory offset");
      within(record, 56, "zip64 end-of-central-directory record");
      count = u64(record + 32, "zip64 entry count");
      cdOffset = u64(record + 48, "zip64 central directory offset");
    }
    within(cdOffset, 0, "central directory");
    if (count > (bytes.length - cdOffset) / CENTRAL_RECORD_BYTES) fail(`declares ${count} entries, more than its central directory can hold`);
    let p = cdOffset;
    for (let n = 0; n < count; n++) {
      within(p, CENTRAL_RECORD_BYTES, "central directory record");
      if (view.getUint32(p, true) !== 0x02014b50) fail(`bad central directory record at byte ${p}`);
      const method = view.getUint16(p + 10, true);
      let compressedSize = view.getUint32(p + 20, true);
      let size = view.getUint32(p + 24, true);
      const nameLen = view.getUint16(p + 28, true);
      const extraLen = view.getUint16(p + 30, true);
      const commentLen = view.getUint16(p + 32, true);
      let local = view.getUint32(p + 42, true);
      within(p + CENTRAL_RECORD_BYTES, nameLen + extraLen + commentLen, "central directory record");
      const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
      // zip64 extra field: the 64-bit values appear in order for each 32-bit field set to 0xffffffff
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = view.getUint16(e, true);
        const len = view.getUint16(e + 2, true);
        if (e + 4 + len > extraEnd) fail(`extra field of "${name}" overruns its record`);
        if (id === 0x0001) {
          let q = e + 4;
          const next = (what: string) => {
            if (q + 8 > e + 4 + len) fail(`zip64 field of "${name}" is too short for its ${what}`);
            const v = u64(q, `"${name}" ${what}`);
            q += 8;
            return v;
          };
          if (size === 0xffffffff) size = next("size");
          if (compressedSize === 0xffffffff) compressedSize = next("compressed size");
          if (local === 0xffffffff) local = next("local header offset");
        }
        e += 4 + len;
      }
      within(local, 30, `local header of "${name}"`);
      if (view.getUint32(local, true) !== 0x04034b50) fail(`bad local header for "${name}"`);
      const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
      within(start, compressedSize, `data of "${name}"`);
      if (method !== 0 && method !== 8) throw new InputError(where, `zip entry "${name}" uses unsupported compression method ${method}`);
      if (method === 0 && size !== compressedSize) fail(`stored entry "${name}" declares ${size} bytes but holds ${compressedSize}`);
      if (method === 8 && size > compressedSize * MAX_DEFLATE_RATIO + 1024) {
        fail(`entry "${name}" declares ${size} bytes uncompressed from ${compressedSize} compressed, more than deflate can produce`);
      }
      if (size > MAX_ZIP_ENTRY_BYTES) fail(`entry "${name}" declares ${size} bytes, above the ${MAX_ZIP_ENTRY_BYTES}-byte limit`);
      if (this.entries.has(name)) fail(`entry "${name}" appears twice`);
      this.entries.set(name, { name, method, start, compressedSize, size });
      p = extraEnd + commentLen;
    }
  }

  /** An entry's bytes; inflation stops at the declared size, so a bomb fails after that many bytes, not after gigabytes. */
  read(entry: ZipEntry): Uint8Array {
    const raw = this.#bytes.subarray(entry.start, entry.start + entry.compressedSize);
    if (entry.method === 0) return raw;
    let out: Buffer;
    try {
      // maxOutputLength must be positive; an entry declared empty that inflates to 1 byte still fails below
      out = inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) });
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ERR_BUFFER_TOO_LARGE") throw new InputError(this.#where, `zip entry "${entry.name}" inflates to more than the ${entry.size} bytes it declares`);
      throw new InputError(this.#where, `zip entry "${entry.name}" does not inflate: ${(e as Error).message}`);
    }
    if (out.length !== entry.size) throw new InputError(this.#where, `zip entry "${entry.name}" inflates to ${out.length} bytes, not the ${entry.size} it declares`);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
}

// ---------------------------------------------------------------------------------------------
// pickle subset

const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: "F32", HalfStorage: "F16", BFloat16Storage: "BF16", DoubleStorage: "F64", LongStorage: "I64", IntStorage: "I32",
};

export class Global {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}
class StorageRef {
  constructor(readonly dtype: string, readonly key: string, readonly numel: number) {}
}
export class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly size: number[], readonly stride: number[]) {}
}
class OrderedDictObj {
  readonly map = new Map<unknown, unknown>();
}
const MARK = Symbol("mark");

type Fail = (msg: string) => never;

/**
 * What a pickle may contain beyond the tensors every torch pickle shares (storages,
 * `_rebuild_tensor(_v2)`, `_rebuild_parameter`, `collections.OrderedDict`): the state_dict
 * dialect adds nothing but OrderedDict's BUILD; torchscript.ts adds TorchScript's attribute records.
 */
export interface PickleDialect {
  /** The content a refusal names: "is not allowed in <subject>". */
  readonly subject: string;
  /** Further globals this dialect may name. */
  allows(g: Global): boolean;
  /** REDUCE of one of this dialect's globals. */
  reduce(g: Global, args: unknown[], fail: Fail): unknown;
  /** NEWOBJ: `cls.__new__(cls, *args)` as an inert record. */
  newObj(cls: Global, args: unknown[], fail: Fail): unknown;
  /** BUILD of `state` into `obj`, the object below it on the stack. */
  build(obj: unknown, state: unknown, fail: Fail): void;
}

const STATE_DICT: PickleDialect = {
  subject: "a state_dict",
  allows: () => false,
  reduce: (g, _args, fail) => fail(`call of "${g.qualified}"`),
  newObj: (cls, _args, fail) => fail(`NEWOBJ of "${cls.qualified}"`),
  build(obj, _state, fail) {
    // only OrderedDict state (torch's state_dict `_metadata`) is accepted, and dropped
    if (!(obj instanceof OrderedDictObj)) fail("BUILD on an object other than OrderedDict");
  },
};

const ALLOWED_GLOBALS = new Set([
  "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter",
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
]);

/**
 * Unpickles one object starting at byte `start`; returns it and the byte after its STOP.
 * `entry` (the zip entry) prefixes refusals when the file holds more than one pickle that matters.
 */
export function unpickle(data: Uint8Array, where: string, start = 0, dialect: PickleDialect = STATE_DICT, entry?: string): { value: unknown; end: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const td = new TextDecoder();
  let p = start;
  const fail = (msg: string): never => {
    throw new InputError(where, `${entry ? `zip entry "${entry}": ` : ""}unsafe or unsupported pickle content: ${msg}`);
  };
  const allowed = (g: Global): Global => {
    if (!ALLOWED_GLOBALS.has(g.qualified) && !dialect.allows(g)) fail(`global "${g.qualified}" is not allowed in ${dialect.subject}`);
    return g;
  };
  const recall = (key: number): unknown => (memo.has(key) ? memo.get(key) : fail(`memo ${key} read before it was stored`));
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail("MARK expected");
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const need = (n: number) => {
    if (p + n > data.length) fail(`truncated at byte ${p}`);
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, p);
    if (end < 0) fail(`truncated at byte ${p}`);
    const s = td.decode(data.subarray(p, end));
    p = end + 1;
    return s;
  };
  const list = (): unknown[] => {
    const top = stack[stack.length - 1];
    return Array.isArray(top) ? top : fail("APPEND to a non-list");
  };
  const setItem = (obj: unknown, k: unknown, v: unknown) => {
    if (obj instanceof OrderedDictObj) obj.map.set(k, v);
    else if (obj instanceof Map) obj.set(k, v);
    else fail("SETITEM on a non-dict");
  };
  for (;;) {
    if (p >= data.length) fail("no STOP opcode");
    const op = data[p++];
    switch (op) {
      case 0x80: need(1); p += 1; break; // PROTO
      case 0x95: need(8); p += 8; break; // FRAME
      case 0x2e: return { value: stack.pop(), end: p }; // STOP
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x28: stack.push(MARK); break; // MARK
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([stack.pop()]); break; // TUPLE1
      case 0x86: { const b = stack.pop(); const a = stack.pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = stack.pop(); const b = stack.pop(); const a = stack.pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: need(1); stack.push(data[p]); p += 1; break; // BININT1
      case 0x4d: need(2); stack.push(view.getUint16(p, true)); p += 2; break; // BININT2
      case 0x4a: need(4); stack.push(view.getInt32(p, true)); p += 4; break; // BININT
      case 0x8a: { // LONG1
        need(1);
        const n = data[p++];
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[p + i]);
        if (n > 0 && data[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: need(8); stack.push(view.getFloat64(p, false)); p += 8; break; // BINFLOAT
      case 0x58: { need(4); const n = view.getUint32(p, true); p += 4; need(n); stack.push(td.decode(data.subarray(p, p + n))); p += n; break; } // BINUNICODE
      case 0x8c: { need(1); const n = data[p++]; need(n); stack.push(td.decode(data.subarray(p, p + n))); p += n; break; } // SHORT_BINUNICODE
      case 0x54: { need(4); const n = view.getInt32(p, true); p += 4; if (n < 0) fail(`negative string length at byte ${p - 4}`); need(n); stack.push(td.decode(data.subarray(p, p + n))); p += n; break; } // BINSTRING
      case 0x55: { need(1); const n = data[p++]; need(n); stack.push(td.decode(data.subarray(p, p + n))); p += n; break; } // SHORT_BINSTRING
      case 0x71: need(1); memo.set(data[p++], stack[stack.length - 1]); break; // BINPUT
      case 0x72: need(4); memo.set(view.getUint32(p, true), stack[stack.length - 1]); p += 4; break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, stack[stack.length - 1]); break; // MEMOIZE
      case 0x68: need(1); stack.push(recall(data[p++])); break; // BINGET
      case 0x6a: need(4); stack.push(recall(view.getUint32(p, true))); p += 4; break; // LONG_BINGET
      case 0x63: stack.push(allowed(new Global(line(), line()))); break; // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = stack.pop();
        const module = stack.pop();
        if (typeof name !== "string" || typeof module !== "string") fail("STACK_GLOBAL of non-strings");
        stack.push(allowed(new Global(module as string, name as string)));
        break;
      }
      case 0x51: { // BINPERSID: ('storage', storage_type, key, location, numel[, view_metadata])
        const pid = stack.pop();
        if (!Array.isArray(pid) || pid[0] !== "storage" || !(pid[1] instanceof Global)) fail("unexpected persistent id");
        const [, type, key, , numel, viewMetadata] = pid as [string, Global, string, string, number, unknown];
        if (viewMetadata !== undefined && viewMetadata !== null) fail(`storage views (legacy view_metadata) are not supported`);
        const dtype = STORAGE_DTYPES[type.name];
        if (type.module !== "torch" || !dtype) fail(`storage type "${type.qualified}"`);
        stack.push(new StorageRef(dtype, String(key), numel));
        break;
      }
      case 0x52: { // REDUCE
        const args = stack.pop() as unknown[];
        const fn = stack.pop();
        if (!(fn instanceof Global)) fail("REDUCE of a non-global");
        if (!Array.isArray(args)) fail("REDUCE without an argument tuple");
        const g = fn as Global;
        if (g.qualified === "collections.OrderedDict") {
          if (args.length !== 0) fail("OrderedDict with constructor arguments");
          stack.push(new OrderedDictObj());
        } else if (g.qualified === "torch._utils._rebuild_tensor_v2" || g.qualified === "torch._utils._rebuild_tensor") {
          // _rebuild_tensor (PyTorch 0.3 files) takes the same first four arguments
          const [storage, offset, size, stride] = args as [StorageRef, number, number[], number[]];
          if (!(storage instanceof StorageRef)) fail("tensor without storage");
          stack.push(new TensorRef(storage, offset, size, stride));
        } else if (g.qualified === "torch._utils._rebuild_parameter") {
          if (!(args[0] instanceof TensorRef)) fail("parameter without tensor");
          stack.push(args[0]);
        } else stack.push(dialect.reduce(g, args, fail));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = stack.pop();
        const cls = stack.pop();
        if (!(cls instanceof Global)) fail("NEWOBJ of a non-global");
        if (!Array.isArray(args)) fail("NEWOBJ without an argument tuple");
        stack.push(dialect.newObj(cls as Global, args as unknown[], fail));
        break;
      }
      case 0x62: { // BUILD
        const state = stack.pop();
        dialect.build(stack[stack.length - 1], state, fail);
        break;
      }
      case 0x73: { const v = stack.pop(); const k = stack.pop(); setItem(stack[stack.length - 1], k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        for (let i = 0; i < items.length; i += 2) setItem(stack[stack.length - 1], items[i], items[i + 1]);
        break;
      }
      case 0x61: { const v = stack.pop(); list().push(v); break; } // APPEND
      case 0x65: { const items = popMark(); const target = list(); for (const item of items) target.push(item); break; } // APPENDS
      default:
        fail(`opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };

function element(view: DataView, dtype: string, i: number): number {
  switch (dtype) {
    case "F32": return view.getFloat32(4 * i, true);
    case "F16": return halfToFloat(view.getUint16(2 * i, true));
    case "BF16": return new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0];
    case "F64": return view.getFloat64(8 * i, true);
    case "I64": return Number(view.getBigInt64(8 * i, true));
    default: return view.getInt32(4 * i, true);
  }
}

/** torch.save's legacy format magic number (torch/serialization.py MAGIC_NUMBER). */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/** A storage's bytes: the declared size is known (and checked) before `read` allocates anything. */
export interface StorageSource {
  readonly byteLength: number;
  read(): Uint8Array;
}

/**
 * The legacy (pre-1.6) torch.save stream: pickles of the magic number, protocol version 1001,
 * sys_info and the object, then the sorted storage keys, then per key an int64 element count and
 * the raw little-endian data.
 */
function readLegacy(bytes: Uint8Array, where: string): { obj: unknown; storages: Map<string, StorageSource> } {
  const magic = unpickle(bytes, where, 0);
  if (magic.value !== LEGACY_MAGIC) throw new InputError(where, "neither a torch zip checkpoint nor a legacy torch.save file (bad magic number)");
  const version = unpickle(bytes, where, magic.end);
  if (version.value !== 1001) throw new InputError(where, `legacy torch.save protocol ${String(version.value)} unsupported (expected 1001)`);
  const sysInfo = unpickle(bytes, where, version.end);
  const info = sysInfo.value instanceof Map ? sysInfo.value : null;
  if (!info || info.get("little_endian") !== true) throw new InputError(where, "legacy checkpoint is not little-endian");
  const obj = unpickle(bytes, where, sysInfo.end);
  const keys = unpickle(bytes, where, obj.end);
  if (!Array.isArray(keys.value)) throw new InputError(where, "legacy checkpoint has no storage key list");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sizes = new Map<string, number>();
  collectStorages(obj.value, sizes);
  const storages = new Map<string, StorageSource>();
  let p = keys.end;
  for (const key of keys.value as unknown[]) {
    const k = String(key);
    const elementBytes = sizes.get(k);
    if (elementBytes === undefined) throw new InputError(where, `legacy storage "${k}" is not used by any tensor`);
    if (p + 8 > bytes.length) throw new InputError(where, `legacy storage "${k}" is truncated`);
    const numel = view.getBigInt64(p, true);
    p += 8;
    if (numel < 0n || numel * BigInt(elementBytes) > BigInt(bytes.length - p)) {
      throw new InputError(where, `legacy storage "${k}" is truncated: it declares ${numel} elements, the file has ${bytes.length - p} bytes left`);
    }
    const data = bytes.subarray(p, p + Number(numel) * elementBytes);
    storages.set(k, { byteLength: data.length, read: () => data });
    p += data.length;
  }
  return { obj: obj.value, storages };
}

function collectStorages(obj: unknown, sizes: Map<string, number>): void {
  const entries = obj instanceof OrderedDictObj ? obj.map : obj instanceof Map ? obj : null;
  for (const t of entries?.values() ?? []) if (t instanceof TensorRef) sizes.set(t.storage.key, BYTES[t.storage.dtype]);
}

const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
/** A pickled value for an error message: shallow and short, whatever the file nests. */
export const show = (v: unknown, depth = 0): string => {
  if (typeof v === "bigint") return `${v}`;
  if (Array.isArray(v)) return depth > 1 ? "[...]" : `[${v.slice(0, 8).map((x) => show(x, depth + 1)).join(", ")}${v.length > 8 ? ", ..." : ""}]`;
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);
  return typeof v === "number" || typeof v === "boolean" || v === null ? String(v) : typeof v;
};

/**
 * A tensor's view checked against its storage before anything is allocated: non-negative integer
 * offset, sizes and strides; no more elements than the storage holds (a state_dict tensor is a
 * view of its storage, never a broadcast of it); its last element inside the storage. Returns the
 * element count.
 */
function checkView(t: TensorRef, name: string, where: string): number {
  const fail = (msg: string): never => {
    throw new InputError(where, `tensor "${name}": ${msg}`);
  };
  const { offset, size, stride, storage } = t;
  if (!isIndex(storage.numel)) fail(`storage ${storage.key} declares ${show(storage.numel)} elements; expected a non-negative integer`);
  if (!isIndex(offset)) fail(`storage offset ${show(offset)} is not a non-negative integer`);
  if (!Array.isArray(size) || !size.every(isIndex)) fail(`size ${show(size)} is not a list of non-negative integers`);
  if (!Array.isArray(stride) || !stride.every(isIndex)) fail(`stride ${show(stride)} is not a list of non-negative integers`);
  if (stride.length !== size.length) fail(`stride ${show(stride)} and size ${show(size)} differ in length`);
  let count = size.includes(0) ? 0 : 1;
  for (const d of size) {
    count *= d;
    if (count > storage.numel) fail(`size ${show(size)} has more elements than its storage ${storage.key} (${storage.numel})`);
  }
  if (count === 0) return 0;
  const last = size.reduce((at, d, i) => at + (d - 1) * stride[i], offset);
  if (last >= storage.numel) fail(`view (offset ${offset}, size ${show(size)}, stride ${show(stride)}) reaches element ${last}, past the ${storage.numel} elements of storage ${storage.key}`);
  return count;
}

/**
 * Decoded tensors may hold at most this many times the elements of the storages they view: room
 * for a tied weight, none for a file that points a thousand names at one storage.
 */
const MAX_ELEMENTS_PER_STORAGE_ELEMENT = 2;

/** The storages of a torch zip archive: `<root>data/<key>` entries, inflated only when read. */
export function zipStorages(zip: Zip, root: string): (key: string) => StorageSource | undefined {
  return (key) => {
    const entry = zip.entries.get(`${root}data/${key}`);
    return entry && { byteLength: entry.size, read: () => zip.read(entry) };
  };
}

/** The folder of a torch zip archive's data.pkl (`archive/`, or the saved module's name); null without one. */
export function archiveRoot(zip: Zip): string | null {
  const pkl = [...zip.entries.keys()].find((name) => name.endsWith("/data.pkl") || name === "data.pkl");
  return pkl === undefined ? null : pkl.slice(0, pkl.length - "data.pkl".length);
}

export function readPth(bytes: Uint8Array, where: string): TensorMap {
  let obj: unknown;
  let storage: (key: string) => StorageSource | undefined;
  if (bytes[0] === 0x80) {
    const legacy = readLegacy(bytes, where);
    obj = legacy.obj;
    storage = (key) => legacy.storages.get(key);
  } else {
    const zip = new Zip(bytes, where);
    const root = archiveRoot(zip);
    if (root === null) throw new InputError(where, "zip has no data.pkl: not a torch.save checkpoint");
    obj = unpickle(zip.read(zip.entries.get(`${root}data.pkl`)!), where).value;
    storage = zipStorages(zip, root);
  }
  const entries = stateDictOf(obj);
  if (!entries) throw new InputError(where, `checkpoint is not a state_dict (expected a dict of tensors at the top level, or under "${WRAPPER_KEYS.join('" or "')}")`);
  return decodeTensors(entries, storage, where);
}

/** Keys under which training checkpoints keep their weights (open_clip: state_dict; Microsoft's Swin: model). */
const WRAPPER_KEYS = ["state_dict", "model"] as const;

/**
 * The dict of tensors a checkpoint holds: the top level, or a training checkpoint's `state_dict` /
 * `model` entry (its epoch, optimizer state and the like are left unread).
 */
function stateDictOf(obj: unknown): Map<unknown, unknown> | null {
  const dict = (o: unknown) => (o instanceof OrderedDictObj ? o.map : o instanceof Map ? o : null);
  const top = dict(obj);
  if (!top) return null;
  if ([...top.values()].every((v) => v instanceof TensorRef)) return top;
  for (const key of WRAPPER_KEYS) {
    const inner = dict(top.get(key));
    if (inner && [...inner.values()].every((v) => v instanceof TensorRef)) return inner;
  }
  return top;
}

/**
 * Named tensors checked, then decoded to float32: every view is checked against its storage and
 * every storage's size against the archive before any storage is read or any output allocated.
 */
export function decodeTensors(named: Iterable<[unknown, unknown]>, storage: (key: string) => StorageSource | undefined, where: string): TensorMap {
  const checked: { name: string; t: TensorRef; count: number; source: StorageSource }[] = [];
  const seen = new Set<string>();
  const storageElements = new Map<string, number>();
  for (const [name, t] of named) {
    if (typeof name !== "string" || !(t instanceof TensorRef)) throw new InputError(where, `state_dict entry ${show(name)} is not a tensor`);
    if (seen.has(name)) throw new InputError(where, `tensor name "${name}" appears twice`);
    seen.add(name);
    const count = checkView(t, name, where);
    const source = storage(t.storage.key);
    if (!source) throw new InputError(where, `tensor "${name}": storage ${t.storage.key} missing from the checkpoint`);
    const declared = t.storage.numel * BYTES[t.storage.dtype];
    if (source.byteLength !== declared) {
      throw new InputError(where, `tensor "${name}": storage ${t.storage.key} holds ${source.byteLength} bytes, but the pickle declares ${t.storage.numel} ${t.storage.dtype} elements (${declared} bytes)`);
    }
    storageElements.set(t.storage.key, t.storage.numel);
    checked.push({ name, t, count, source });
  }
  const total = checked.reduce((n, c) => n + c.count, 0);
  const backing = [...storageElements.values()].reduce((n, c) => n + c, 0);
  if (total > MAX_ELEMENTS_PER_STORAGE_ELEMENT * backing) {
    throw new InputError(where, `its tensors view ${total} elements of storages holding ${backing}; at most ${MAX_ELEMENTS_PER_STORAGE_ELEMENT}x is accepted`);
  }
  const read = new Map<string, DataView>();
  const out: TensorMap = new Map();
  for (const { name, t, count, source } of checked) {
    let view = read.get(t.storage.key);
    if (!view) {
      const raw = source.read();
      view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      read.set(t.storage.key, view);
    }
    const data = new Float32Array(count);
    const idx = new Array<number>(t.size.length).fill(0);
    for (let o = 0; o < count; o++) {
      let src = t.offset;
      for (let d = 0; d < idx.length; d++) src += idx[d] * t.stride[d];
      data[o] = element(view, t.storage.dtype, src);
      for (let d = idx.length - 1; d >= 0; d--) {
        if (++idx[d] < t.size[d]) break;
        idx[d] = 0;
      }
    }
    out.set(name, { shape: t.size, data });
  }
  return out;
}
