// Untrusted weight files (issue 14, items 4 and 9): every crafted file fails with one InputError
// naming the file (and tensor or entry) and what was expected, before allocating for its lies.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../core/errors.ts";
import { SeedTree } from "../../core/rng.ts";
import { CRAFTED, torchZipCheckpoint, writeCraftedWeights } from "../../fixtures/generators/crafted-weights.ts";
import { readPth, readSafetensors } from "../../plugins/backbones/weights/index.ts";

/** A read may grow the process's peak memory by at most this much (the files lie about gigabytes). */
const MEMORY_BOUND = 200 * 2 ** 20;

type Case = keyof typeof CRAFTED;
/** What each crafted file must be refused with (after "<file>: "). */
const EXPECTED: Record<Case, RegExp> = {
  pthBroadcast: /tensor "w": size \[536870912\] has more elements than its storage 0 \(1\)/,
  pthViewPastStorage: /tensor "w": view \(offset 3, size \[4\], stride \[1\]\) reaches element 6, past the 4 elements of storage 0/,
  pthBigintOffset: /tensor "w": storage offset 1180591620717411303424 is not a non-negative integer/,
  pthNegativeStride: /tensor "w": stride \[-1\] is not a list of non-negative integers/,
  pthStorageSizeLie: /tensor "w": storage 0 holds 16 bytes, but the pickle declares 1099511627776 F32 elements/,
  pthZipBomb: /zip entry "archive\/data\/0" inflates to more than the 4 bytes it declares/,
  pthPickleBomb: /zip entry "archive\/data\.pkl" inflates to more than the 100 bytes it declares/,
  pthDeflateRatioLie: /corrupt zip: entry "archive\/data\/0" declares 2147483648 bytes uncompressed from \d+ compressed, more than deflate can produce/,
  pthEntryCountLie: /corrupt zip: declares 65000 entries, more than its central directory can hold/,
  pthDirectoryOutside: /corrupt zip: central directory at byte 2147483648 .* lies outside the \d+-byte file/,
  pthLegacyNumelLie: /legacy storage "0" is truncated: it declares 4611686018427387904 elements, the file has 16 bytes left/,
  pthTiedBomb: /its tensors view 536870912 elements of storages holding 1048576; at most 2x is accepted/,
  pthPickleLoop: /unsafe or unsupported pickle content: negative string length at byte 3/,
  stHeader100MB: /safetensors header length 100000001 exceeds the 100000000-byte limit/,
  stManyEntries: /safetensors header lists more than 1024 tensors/,
  stDuplicate: /safetensors header names tensor "a" twice/,
  stOverlap: /tensors "a" \[0, 8\] and "b" \[4, 12\] overlap in the data section/,
  stOutside: /tensor "a": data_offsets \[16, 32\] do not fit dtype F32 shape \[4\] in a data section of 16 bytes/,
  stShapeOverflow: /tensor "a": data_offsets \[0, 4\] do not fit dtype F32 shape \[1099511627776, 1099511627776, 0, 1099511627776\]/,
  tfjsParent: /field "weightsManifest\.0\.paths\.0": must be a relative path inside the weights directory/,
  tfjsAbsolute: /field "weightsManifest\.0\.paths\.0": must be a relative path inside the weights directory/,
  tfjsSymlink: /weights file "weights\.bin" resolves to .*secret\.bin, outside the weights directory/,
  tfjsShardSize: /weights files "weights\.bin" hold 8 bytes; the manifest's tensors need 16/,
  tfjsHugeShape: /weights files "weights\.bin" hold 16 bytes; the manifest's tensors need 4294967296/,
};

interface ChildReport {
  path: string;
  ok?: boolean;
  error?: string;
  name?: string;
  rssBefore: number;
  maxRssAfter: number;
}

let dir: string;
let paths: Record<Case, string>;
const reports = new Map<string, ChildReport>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "xfer-crafted-"));
  paths = await writeCraftedWeights(dir);
  // One fresh process reads them all, the files that are big on disk last, so no earlier peak hides a later one.
  const order = (Object.keys(CRAFTED) as Case[]).sort((a, b) => Number(a.startsWith("st") && /100MB|Many/.test(a)) - Number(b.startsWith("st") && /100MB|Many/.test(b)));
  const child = spawnSync(
    process.execPath,
    ["--max-old-space-size=256", "--expose-gc", "--import", "tsx", "test/backbones/read-checkpoint-child.ts", ...order.map((k) => paths[k])],
    { encoding: "utf8", timeout: 120_000 },
  );
  expect(child.status, child.stderr).toBe(0);
  for (const line of child.stdout.trim().split("\n")) {
    const report = JSON.parse(line) as ChildReport;
    reports.set(report.path, report);
  }
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("crafted weight files fail clearly, within a memory bound", () => {
  it.each(Object.keys(EXPECTED) as Case[])("%s", (key) => {
    const report = reports.get(paths[key])!;
    const where = key.startsWith("tfjs") ? join(paths[key], "model.json") : paths[key];
    expect(report.name, JSON.stringify(report)).toBe("InputError");
    expect(report.error!.startsWith(`${where}: `), report.error).toBe(true);
    expect(report.error).toMatch(EXPECTED[key]);
    expect(report.maxRssAfter - report.rssBefore, `peak memory growth reading ${key}`).toBeLessThan(MEMORY_BOUND);
  });

  it("the tfjs manifests never read the secret two levels up", async () => {
    // every tfjs case above failed before reading; the secret is still only what the generator wrote
    expect((await readFile(join(dir, "secret.bin"))).length).toBe(16);
  });
});

describe("the limits leave real checkpoints alone", () => {
  it("a tied weight and a transposed view of one storage decode to the right values", () => {
    const storage = Float32Array.from({ length: 6 }, (_, i) => i);
    const bytes = torchZipCheckpoint(
      {
        "embed.weight": { storageKey: "0", numel: 6, offset: 0, size: [2, 3], stride: [3, 1] },
        "head.weight": { storageKey: "0", numel: 6, offset: 0, size: [3, 2], stride: [1, 3] },
      },
      { 0: new Uint8Array(storage.buffer) },
    );
    const m = readPth(bytes, "tied.pth");
    expect(Array.from(m.get("embed.weight")!.data)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(m.get("head.weight")!.data)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(m.get("head.weight")!.shape).toEqual([3, 2]);
  });
});

describe("seeded corruptions of real checkpoints never escape as raw errors", () => {
  const FIXTURES = "fixtures/parity/backbones";
  const cases = ["resnet18_mini.pth", "shufflenet_v2_mini.legacy.pth", "squeezenet_mini.torch03.pth", "resnet18_mini.safetensors"];

  it.each(cases)("%s: 150 mutations each load or give an InputError naming the file", async (name) => {
    const original = new Uint8Array(await readFile(join(FIXTURES, name)));
    const rng = new SeedTree(14).stream("weights-fuzz", name);
    let refused = 0;
    for (let i = 0; i < 150; i++) {
      const bytes = original.slice(0, rng.uniform() < 0.2 ? rng.int(original.length) : original.length);
      // flip a few bytes, biased to the start (headers, pickle, sizes) where the lies matter
      for (let k = 0, n = 1 + rng.int(4); k < n && bytes.length > 0; k++) {
        const at = rng.uniform() < 0.7 ? rng.int(Math.min(bytes.length, 2048)) : rng.int(bytes.length);
        bytes[at] = rng.int(256);
      }
      const where = `${name}#${i}`;
      try {
        if (name.endsWith(".safetensors")) readSafetensors(bytes, where);
        else readPth(bytes, where);
      } catch (e) {
        expect(e, `${where}: ${(e as Error).stack}`).toBeInstanceOf(InputError);
        expect((e as Error).message.startsWith(`${where}: `)).toBe(true);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });
});
