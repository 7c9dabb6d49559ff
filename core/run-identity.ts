/**
 * A run's identity, defined once: the name of its folder, what "already done" looks up, what the
 * results table and later references name. It is the spec's hash, extended by what the spec
 * deliberately leaves out but the result depends on:
 * - the weights a backbone starts from when they come from a file (config `weights[id]` or the
 *   backbone's `weights` option): the content hash of their tensors (names, shapes, float32 data),
 *   never the path, so the same weights as .pth or .safetensors, anywhere, give one identity.
 * A run that starts from an upstream run's checkpoint needs nothing here: planning writes that
 * run's identity into the spec (`upstream.run`, core/stages.ts), so the spec hash carries it.
 * A run without external weights keeps its spec hash, so plans, golden hashes and older run folders stay valid.
 * See docs/determinism.md ("Run identity").
 */
import { sha256 } from "@noble/hashes/sha256";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils";
import type { JsonObject, WeightsRecord } from "./contracts.ts";
import { contentHash } from "./hash.ts";
import type { RunSpec } from "./recipe.ts";

export interface RunIdentityParts {
  /** contentHash of the RunSpec (what `xfer plan` prints). */
  readonly specHash: string;
  /** The backbone's external weights, when it starts from a file. */
  readonly weights?: WeightsRecord;
}

export function runIdentity(parts: RunIdentityParts): string {
  if (parts.weights === undefined) return parts.specHash;
  return contentHash({ spec: parts.specHash, weights: { backbone: parts.weights.backbone, tensorsSha256: parts.weights.tensorsSha256 } });
}

/**
 * The weights file a run's backbone loads: its `weights` option, else the config's
 * `weights[backbone name]` (what PluginContext.weightsFor hands the plugin); undefined when none.
 */
export function weightsSource(spec: RunSpec, configWeights: Readonly<Record<string, string>>): string | undefined {
  const option = (spec.backbone.options as JsonObject | undefined)?.weights;
  if (typeof option === "string") return option;
  return configWeights[spec.backbone.name];
}

/**
 * The weights record a run's identity includes: its backbone's weights file (`weightsSource`)
 * hashed by `hashWeights` (tensorsSha256 of the file's tensors), or undefined when it has none.
 */
export async function externalWeights(
  spec: RunSpec, configWeights: Readonly<Record<string, string>>, hashWeights: (path: string) => Promise<string>,
): Promise<WeightsRecord | undefined> {
  const path = weightsSource(spec, configWeights);
  return path === undefined ? undefined : { backbone: spec.backbone.name, tensorsSha256: await hashWeights(path) };
}

/**
 * SHA-256 over the tensors in name order (UTF-16 code units): for each, one line of JSON with its
 * name and shape, then its float32 data, little-endian. The shape fixes the data's length, so the
 * stream parses one way only.
 */
export function tensorsSha256(tensors: Iterable<readonly [string, { readonly shape: readonly number[]; readonly data: Float32Array }]>): string {
  const entries = [...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = sha256.create();
  for (const [name, { shape, data }] of entries) {
    hash.update(utf8ToBytes(JSON.stringify({ name, shape }) + "\n"));
    hash.update(littleEndianBytes(data));
  }
  return bytesToHex(hash.digest());
}

const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

function littleEndianBytes(data: Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const swapped = new Uint8Array(bytes.length);
  const view = new DataView(swapped.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return swapped;
}
