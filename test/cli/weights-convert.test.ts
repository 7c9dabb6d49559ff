// `xfer weights convert` as a user runs it: a process, on a checkpoint of a catalog mini backbone
// written with the project's own exporter; the written directory loads back to the same tensors.
import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeedTree } from "../../core/rng.ts";
import type { TensorMap } from "../../core/formats/tensor-map.ts";
import { createBackbone } from "../../plugins/backbones/index.ts";
import { exportStore, writeSafetensors } from "../../plugins/backbones/weights/index.ts";

const XFER = "plugins/platform/node/cli/xfer.mjs";
const ID = "resnet18_mini.random";

function xfer(...args: string[]) {
  const r = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stderr.split("\n").filter((l) => l.trim() !== "") };
}

/** A randomly initialised `ID` (seeded) exported to a .safetensors file; returns its tensors. */
async function writeCheckpoint(path: string, seed: number): Promise<TensorMap> {
  const model = await createBackbone(ID, { numClasses: 10, seeds: new SeedTree(seed) });
  try {
    const tensors = exportStore(model.store);
    await writeFile(path, writeSafetensors(tensors));
    return tensors;
  } finally {
    model.dispose();
  }
}

async function expectLoadsAs(dir: string, source: TensorMap): Promise<void> {
  const model = await createBackbone(ID, { numClasses: 10, weights: dir });
  try {
    const back = exportStore(model.store);
    expect([...back.keys()]).toEqual([...source.keys()]);
    for (const [name, t] of source) {
      expect(back.get(name)!.shape, name).toEqual(t.shape);
      expect(Buffer.from(back.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), `${name} is bit-identical`).toBe(true);
    }
  } finally {
    model.dispose();
  }
}

let dir: string;
let source: TensorMap;
let checkpoint: string;

beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = await mkdtemp(join(tmpdir(), "xfer-convert-"));
  checkpoint = join(dir, "resnet18_mini.safetensors");
  source = await writeCheckpoint(checkpoint, 7);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("xfer weights convert", () => {
  it("converts on the default backend; createBackbone loads the directory to the source tensors", async () => {
    const out = join(dir, "default");
    const r = xfer("weights", "convert", ID, checkpoint, out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^resnet18_mini\.random: 62 tensors \(78,962 parameters\) from .* written to /);
    expect((await readdir(out)).sort()).toEqual(["model.json", expect.stringMatching(/^weights-[0-9a-f]{16}\.bin$/)]);
    await expectLoadsAs(out, source);
  }, 120_000);

  it("converts OpenAI's CLIP archive (TorchScript) of a tower; the directory loads with PyTorch's logits", async () => {
    const out = join(dir, "clip");
    const r = xfer("weights", "convert", "clip_vit_mini.random", "fixtures/parity/backbones/clip_vit_mini.jit.pt", out);
    expect(r.status, r.stderr).toBe(0);
    // The tower's tensors only: xfer's own head is never part of a checkpoint.
    expect(r.stdout).toMatch(/^clip_vit_mini\.random: \d+ tensors \(.* parameters\) from .*clip_vit_mini\.jit\.pt written to /);
    const manifest = JSON.parse(await readFile(join(out, "model.json"), "utf8")) as { weightsManifest: { weights: { name: string }[] }[] };
    expect(manifest.weightsManifest[0].weights.map((w) => w.name).filter((n) => n.startsWith("head."))).toEqual([]);
    const { checkParity } = await import("../backbones/parity-check.ts");
    const parity = await checkParity("fixtures/parity/backbones", "clip_vit_mini", relative("fixtures/parity/backbones", out));
    expect(parity.maxAbsDiff).toBeLessThanOrEqual(parity.tolerance);
  }, 120_000);

  it("respects --backend and writes the same bytes on cpu", async () => {
    const out = join(dir, "cpu");
    const r = xfer("weights", "convert", ID, checkpoint, out, "--backend", "cpu");
    expect(r.status, r.stderr).toBe(0);
    const files = (await readdir(out)).sort();
    expect(files).toEqual((await readdir(join(dir, "default"))).sort());
    for (const f of files) expect((await readFile(join(out, f))).equals(await readFile(join(dir, "default", f))), f).toBe(true);
  }, 120_000);

  it("bad input: one readable line naming what is wrong, exit 1, nothing written", async () => {
    const truncated = join(dir, "truncated.safetensors");
    const whole = await readFile(checkpoint);
    await writeFile(truncated, whole.subarray(0, whole.length - 1000));
    await writeFile(join(dir, "notes.txt"), "not a checkpoint\n");
    const cases: [string[], RegExp][] = [
      [["nope.random", checkpoint], /^xfer: unknown backbone "nope\.random"; valid backbone names: .*resnet18_mini\.random/],
      [[ID, join(dir, "missing.pth")], /^xfer: .*missing\.pth: no such checkpoint file or directory$/],
      [["densenet_mini.random", checkpoint], /^xfer: .*resnet18_mini\.safetensors: checkpoint has no classifier tensor "classifier\.weight" for backbone "densenet_mini\.random"/],
      [[ID, truncated], /^xfer: .*truncated\.safetensors: tensor ".*": data_offsets \[\d+, \d+\] do not fit/],
      [[ID, join(dir, "notes.txt")], /^xfer: .*notes\.txt: unsupported checkpoint type; expected a \.safetensors file/],
    ];
    for (const [args, expected] of cases) {
      const out = join(dir, "bad-out");
      const r = xfer("weights", "convert", ...args, out);
      expect(r.status, r.stderr).toBe(1);
      expect(r.lines, r.stderr).toHaveLength(1);
      expect(r.lines[0]).toMatch(expected);
      await expect(readdir(out)).rejects.toThrow(/ENOENT/);
    }
  }, 240_000);

  it("never overwrites or deletes a user's files; replaces only an earlier conversion", async () => {
    // a directory holding a user's file is refused, the file untouched
    const mine = join(dir, "mine");
    await mkdir(mine);
    await writeFile(join(mine, "notes.txt"), "my notes\n");
    let r = xfer("weights", "convert", ID, checkpoint, mine);
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([expect.stringMatching(/^xfer: .*mine: output directory is not empty and holds "notes\.txt", not an earlier `xfer weights convert` output; nothing was written/)]);
    expect(await readdir(mine)).toEqual(["notes.txt"]);

    // converting other weights into an earlier conversion replaces it, old shard removed
    const out = join(dir, "again");
    expect(xfer("weights", "convert", ID, checkpoint, out).status).toBe(0);
    const [oldShard] = (await readdir(out)).filter((f) => f.endsWith(".bin"));
    const other = join(dir, "other.safetensors");
    const otherSource = await writeCheckpoint(other, 8);
    r = xfer("weights", "convert", ID, other, out);
    expect(r.status, r.stderr).toBe(0);
    const files = await readdir(out);
    expect(files).toHaveLength(2);
    expect(files).not.toContain(oldShard);
    await expectLoadsAs(out, otherSource);

    // a user's file beside an earlier conversion: refused, nothing changed
    await writeFile(join(out, "README"), "mine\n");
    const before = await readFile(join(out, "model.json"));
    r = xfer("weights", "convert", ID, checkpoint, out);
    expect(r.status).toBe(1);
    expect(r.lines[0]).toMatch(/output directory is not empty and holds files an earlier conversion did not write: "README"/);
    expect((await readFile(join(out, "model.json"))).equals(before)).toBe(true);
    expect((await readdir(out)).sort()).toEqual([...files, "README"].sort());
  }, 240_000);
});
