/**
 * Content hashes of plain JSON: SHA-256 of RFC 8785 canonical JSON (sorted keys, fixed number
 * format), so equal specs hash equally whatever their key order, on Node and Deno alike.
 */
import canonicalize from "canonicalize";
import { sha256 } from "@noble/hashes/sha256";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils";
import type { JsonValue } from "./contracts.ts";

export function canonicalJson(value: JsonValue): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("canonicalJson: value is not JSON-serialisable");
  return text;
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
