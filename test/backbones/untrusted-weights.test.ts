// Untrusted weight files (issue 14, items 4 and 9): every crafted file fails with one InputError
// naming the file (and tensor or entry) and what was expected, before allocating for its lies.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../core/errors.ts";
import { SeedTree } from "../../core/rng.ts";
import {
  CRAFTED, pickled, scriptObject, tensorValue, torchScriptArchive, torchZipCheckpoint, writeCraftedWeights, zeroDeflate,
} from "../../fixtures/generators/crafted-weights.ts";
import { readPth, readSafetensors, readTorchScript } from "../../plugins/backbones/weights/index.ts";

/** A read may grow the process's peak memory by at most this much (the files lie about gigabytes). */
const MEMORY_BOUND = 200 * 2 ** 20;

type Case = keyof typeof CRAFTED;
/** Refusals from the TorchScript module pickle name its zip entry. */
const TS_PICKLE = String.raw`zip entry "archive/data\.pkl": unsafe or unsupported pickle content: `;
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
  pthMemoUnset: /unsafe or unsupported pickle content: memo 5 read before it was stored/,
  tsEvalGlobal: new RegExp(`${TS_PICKLE}global "builtins\\.eval" is not allowed in a TorchScript module \\(expected __torch__ classes, tensors and the torch\\.jit\\._pickle`),
  tsTensorFromId: new RegExp(`${TS_PICKLE}global "torch\\.jit\\._pickle\\.build_tensor_from_id" is not allowed in a TorchScript module`),
  tsGetState: new RegExp(`${TS_PICKLE}"__torch__\\.Net" carries a Dict\\[str, Tensor\\] from __getstate__, not an attribute dict \\(restoring it would run its TorchScript __setstate__\\)`),
  tsCustomClass: new RegExp(`${TS_PICKLE}object of the custom C\\+\\+ class "__torch__\\.torch\\.classes\\.quantized\\.LinearPackedParamsBase" \\(its state is restored by native code\\)`),
  tsEnumCall: new RegExp(`${TS_PICKLE}call of "__torch__\\.Mode" \\(TorchScript enums and class constructors are not data\\)`),
  tsForeignObject: new RegExp(`${TS_PICKLE}NEWOBJ of "collections\\.OrderedDict" \\(only __torch__ classes are objects in a TorchScript archive\\)`),
  tsNewObjArgs: new RegExp(`${TS_PICKLE}NEWOBJ of "__torch__\\.Net" with arguments \\["x"\\] \\(expected none\\)`),
  tsNoBuild: /zip entry "archive\/data\.pkl": "sub" \(__torch__\.Sub\) was never given its attributes \(no BUILD\)/,
  tsBuildTwice: new RegExp(`${TS_PICKLE}BUILD of "__torch__\\.Net" twice`),
  tsAttributeName: new RegExp(`${TS_PICKLE}"__torch__\\.Net" has attribute name 7; expected a string`),
  tsCycle: /zip entry "archive\/data\.pkl": attribute "self" refers back to an enclosing module \(a cycle\)/,
  tsSharedBlowup: /zip entry "archive\/data\.pkl": the module tree takes more than 250000 steps to walk/,
  tsTopLevelDict: /zip entry "archive\/data\.pkl": holds a dict; expected a __torch__ module object at the top/,
  tsDuplicateName: /tensor name "sub\.w" appears twice/,
  tsLegacyLayout: /TorchScript archive of PyTorch < 1\.4 \(model\.json, attributes\.pkl, tensors\/\): not supported/,
  tsStorageSizeLie: /tensor "w": storage 0 holds 16 bytes, but the pickle declares 1099511627776 F32 elements/,
  tsViewPastStorage: /tensor "sub\.w": view \(offset 3, size \[4\], stride \[1\]\) reaches element 6, past the 4 elements of storage 0/,
  tsZipBomb: /zip entry "archive\/data\/0" inflates to more than the 4 bytes it declares/,
  tsSharedTiedBomb: /its tensors view 536870912 elements of storages holding 1048576; at most 2x is accepted/,
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

  it("a TorchScript archive's code/ and constants.pkl are never opened: hostile ones leave its tensors readable", () => {
    const w = Float32Array.from([1, 2, 3, 4]);
    const module = pickled(scriptObject("__torch__.Net", [["w", tensorValue({ storageKey: "0", numel: 4, offset: 0, size: [4], stride: [1] })], ["training", false]]));
    const bytes = torchScriptArchive(module, { 0: new Uint8Array(w.buffer) }, {
      // 1 GiB of zeros declared as 100 bytes, and a constants pickle that calls os.system
      code: { name: "archive/code/__torch__.py", data: zeroDeflate(1024), deflated: true, declaredSize: 100 },
      constants: new TextEncoder().encode("\x80\x02cposix\nsystem\nX\x04\x00\x00\x00trueR."),
    });
    const m = readTorchScript(bytes, "hostile-code.pt");
    expect([...m.keys()]).toEqual(["w"]);
    expect(Array.from(m.get("w")!.data)).toEqual([1, 2, 3, 4]);
  });
});

describe("seeded corruptions of real checkpoints never escape as raw errors", () => {
  const FIXTURES = "fixtures/parity/backbones";
  const cases = ["resnet18_mini.pth", "shufflenet_v2_mini.legacy.pth", "squeezenet_mini.torch03.pth", "resnet18_mini.safetensors", "vit_mini.visual.jit.pt"];

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
        else if (name.endsWith(".jit.pt")) readTorchScript(bytes, where);
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
