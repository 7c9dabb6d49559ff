/**
 * safetensors reader (https://github.com/huggingface/safetensors): 8-byte little-endian header
 * length, a JSON header `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__ }`,
 * then the raw little-endian tensor bytes. No code runs; every field is checked.
 */
import { InputError } from "../errors.ts";
import type { TensorMap } from "./tensor-map.ts";

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4 };

function readHeader(bytes: Uint8Array, where: string): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) throw new InputError(where, "too short for a safetensors file (no 8-byte header length)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.length - 8) throw new InputError(where, `safetensors header length ${headerLen} exceeds the file size ${bytes.length}`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new InputError(where, `safetensors header is not JSON: ${(e as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new InputError(where, "safetensors header is not a JSON object");
  return { header: header as Record<string, unknown>, dataStart: 8 + headerLen };
}

/** The free-form string metadata (`__metadata__`) of a safetensors file. */
export function readSafetensorsMetadata(bytes: Uint8Array, where: string): Record<string, string> {
  return (readHeader(bytes, where).header.__metadata__ ?? {}) as Record<string, string>;
}

export function readSafetensors(bytes: Uint8Array, where: string): TensorMap {
  const { header, dataStart } = readHeader(bytes, where);
  const out: TensorMap = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) {
      throw new InputError(where, `tensor "${name}": unsupported dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(DTYPE_BYTES).join(", ")}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new InputError(where, `tensor "${name}": bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2) throw new InputError(where, `tensor "${name}": bad data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * DTYPE_BYTES[dtype] || begin < 0 || dataStart + end > bytes.length) {
      throw new InputError(where, `tensor "${name}": data_offsets [${begin}, ${end}] do not fit dtype ${dtype} shape [${shape.join(", ")}] in a file of ${bytes.length} bytes`);
    }
    out.set(name, { shape: shape as number[], data: decode(bytes.subarray(dataStart + begin, dataStart + end), dtype, count) });
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

/** Writes float32 tensors as safetensors (used by `xfer weights convert` and tests). */
export function writeSafetensors(tensors: TensorMap): Uint8Array {
  const header: Record<string, unknown> = {};
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
