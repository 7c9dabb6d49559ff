/**
 * safetensors reader (https://github.com/huggingface/safetensors): 8-byte little-endian header
 * length, a JSON header `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__ }`,
 * then the raw little-endian tensor bytes. No code runs; every field is checked against the file
 * before anything is allocated for it.
 */
import { InputError } from "../errors.ts";
import type { TensorMap } from "./tensor-map.ts";

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };

/** The reference implementation's header cap (safetensors' MAX_HEADER_SIZE). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;
/**
 * Most tensors one file may hold: far above any image backbone (a few thousand at most), far
 * below what makes parsing the header take seconds and gigabytes.
 */
export const MAX_SAFETENSORS_TENSORS = 100_000;

/**
 * The top-level keys of a JSON object, in order, scanned from its bytes without building it: so
 * the tensor count is capped before JSON.parse, and duplicate names (which JSON.parse silently
 * resolves to the last one) are seen at all. Malformed JSON is left for JSON.parse to report.
 */
function topLevelKeys(text: Uint8Array, maxTensors: number, where: string): string[] {
  const keys: string[] = [];
  const seen = new Set<string>();
  const decoder = new TextDecoder();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === 0x22 /* " */) {
      const start = i + 1;
      for (i = start; i < text.length && text[i] !== 0x22; i++) if (text[i] === 0x5c /* \ */) i++;
      if (depth !== 1) continue;
      let j = i + 1;
      while (j < text.length && (text[j] === 0x20 || text[j] === 0x09 || text[j] === 0x0a || text[j] === 0x0d)) j++;
      if (text[j] !== 0x3a /* : */) continue;
      // JSON.parse decodes escapes the same way, so "a" and "\u0061" are one name
      let key: string;
      try {
        key = JSON.parse(decoder.decode(text.subarray(start - 1, i + 1))) as string;
      } catch {
        return keys;
      }
      if (seen.has(key)) throw new InputError(where, `safetensors header names tensor ${JSON.stringify(key)} twice`);
      seen.add(key);
      keys.push(key);
      if (keys.length - (seen.has("__metadata__") ? 1 : 0) > maxTensors) {
        throw new InputError(where, `safetensors header lists more than ${maxTensors} tensors (at most ${MAX_SAFETENSORS_TENSORS}, and beyond the first 1024 no more than one per byte of tensor data)`);
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) depth++;
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return keys;
}

function readHeader(bytes: Uint8Array, where: string): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) throw new InputError(where, "too short for a safetensors file (no 8-byte header length)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    throw new InputError(where, `safetensors header length ${declared} exceeds the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit`);
  }
  const headerLen = Number(declared);
  if (headerLen > bytes.length - 8) throw new InputError(where, `safetensors header length ${headerLen} exceeds the file size ${bytes.length}`);
  const headerBytes = bytes.subarray(8, 8 + headerLen);
  const dataBytes = bytes.length - 8 - headerLen;
  topLevelKeys(headerBytes, Math.min(MAX_SAFETENSORS_TENSORS, 1024 + dataBytes), where);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new InputError(where, `safetensors header is not UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new InputError(where, "safetensors header is not a JSON object");
  const metadata = (header as Record<string, unknown>).__metadata__;
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata) || !Object.values(metadata).every((v) => typeof v === "string"))) {
    throw new InputError(where, "safetensors __metadata__ must be an object of strings");
  }
  return { header: header as Record<string, unknown>, dataStart: 8 + headerLen };
}

/** The free-form string metadata (`__metadata__`) of a safetensors file. */
export function readSafetensorsMetadata(bytes: Uint8Array, where: string): Record<string, string> {
  return (readHeader(bytes, where).header.__metadata__ ?? {}) as Record<string, string>;
}

interface Entry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly count: number;
  readonly begin: number;
  readonly end: number;
}

const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Every entry checked (dtype, shape, offsets inside the data section, no overlaps) before any is decoded. */
function checkEntries(header: Record<string, unknown>, dataBytes: number, where: string): Entry[] {
  const entries: Entry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: offsets } = (typeof entry === "object" && entry !== null ? entry : {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, dtype)) {
      throw new InputError(where, `tensor "${name}": unsupported dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(DTYPE_BYTES).join(", ")}`);
    }
    if (!Array.isArray(shape) || !shape.every(isIndex)) throw new InputError(where, `tensor "${name}": bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) throw new InputError(where, `tensor "${name}": bad data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    // the product is checked step by step so a huge shape cannot overflow into a small count
    let count = (shape as number[]).includes(0) ? 0 : 1;
    for (const d of shape as number[]) {
      if (count * DTYPE_BYTES[dtype] > dataBytes) break;
      count *= d;
    }
    if (end < begin || end > dataBytes || end - begin !== count * DTYPE_BYTES[dtype]) {
      throw new InputError(where, `tensor "${name}": data_offsets [${begin}, ${end}] do not fit dtype ${dtype} shape [${shape.join(", ")}] in a data section of ${dataBytes} bytes`);
    }
    entries.push({ name, dtype, shape: shape as number[], count, begin, end });
  }
  const byStart = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < byStart.length; i++) {
    const [a, b] = [byStart[i - 1], byStart[i]];
    if (b.begin < a.end) throw new InputError(where, `tensors "${a.name}" [${a.begin}, ${a.end}] and "${b.name}" [${b.begin}, ${b.end}] overlap in the data section`);
  }
  return entries;
}

export function readSafetensors(bytes: Uint8Array, where: string): TensorMap {
  const { header, dataStart } = readHeader(bytes, where);
  const out: TensorMap = new Map();
  for (const { name, dtype, shape, count, begin, end } of checkEntries(header, bytes.length - dataStart, where)) {
    out.set(name, { shape, data: decode(bytes.subarray(dataStart + begin, dataStart + end), dtype, count) });
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function decode(raw: Uint8Array, dtype: string, count: number): Float32Array {
  // fast path: float32 data on a little-endian host is already the array we want
  if (dtype === "F32" && LITTLE_ENDIAN) return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(count);
  switch (dtype) {
    case "F32": for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true); break;
    case "F64": for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true); break;
    case "F16": for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true)); break;
    case "BF16": {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
    case "I64": for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(8 * i, true)); break;
    case "I32": for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true); break;
  }
  return out;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Writes float32 tensors as safetensors (used by `xfer weights convert`, resume states and tests), with optional string `__metadata__`. */
export function writeSafetensors(tensors: TensorMap, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  const raw = new TextEncoder().encode(JSON.stringify(header));
  // The format pads the header with spaces so tensor data starts 8-byte aligned.
  const headerBytes = new Uint8Array(raw.length + ((8 - (raw.length % 8)) % 8)).fill(0x20);
  headerBytes.set(raw);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + 4 * i, t.data[i], true);
    pos += 4 * t.data.length;
  }
  return out;
}
