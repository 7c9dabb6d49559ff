/**
 * Content hashes of plain JSON: SHA-256 of canonical JSON, so equal specs hash equally whatever
 * their key order, on Node and Deno alike. For JSON values, keys sorted by UTF-16 code units plus
 * JSON.stringify's ECMAScript number format is exactly RFC 8785 (JCS).
 */
import { sha256 } from "@noble/hashes/sha256";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils";
import type { JsonValue } from "./contracts.ts";

export function canonicalJson(value: JsonValue): string {
  assertJson(value, "$");
  return JSON.stringify(sortKeys(value));
}

/** Rejects what JSON.stringify would silently drop or rewrite (undefined, NaN, functions...). */
function assertJson(value: unknown, path: string): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is ${value}, which JSON cannot hold`);
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => assertJson(v, `${path}[${i}]`));
  const proto = typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) assertJson(v, `${path}.${k}`);
    return;
  }
  throw new TypeError(`canonicalJson: ${path} is not a JSON value (${typeof value})`);
}

export function sha256Hex(data: string | Uint8Array): string {
  return bytesToHex(sha256(typeof data === "string" ? utf8ToBytes(data) : data));
}

export function contentHash(value: JsonValue): string {
  return sha256Hex(canonicalJson(value));
}

/** Returns the value with object keys sorted recursively (for stable files on disk). */
export function sortKeys<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => sortKeys(v)) as T;
  if (value !== null && typeof value === "object") {
    const out: { [k: string]: JsonValue } = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as { [k: string]: JsonValue })[key]);
    return out as T;
  }
  return value;
}
