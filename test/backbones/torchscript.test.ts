// TorchScript archives (torch.jit.save zips, the format of OpenAI's released CLIP files) read as
// state_dicts through the safe pickle subset; the failure modes are in untrusted-weights.test.ts.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { memoGet, pickled, scriptObject, tensorValue, torchScriptArchive } from "../../fixtures/generators/crafted-weights.ts";
import { readCheckpoint, readSafetensors, readTorchScript } from "../../plugins/backbones/weights/index.ts";
import { checkParity } from "./parity-check.ts";

/** Written by fixtures/generators/torchscript-parity.py from the committed mini weights. */
const DIR = "fixtures/parity/backbones";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("archives written by torch 1.13's torch.jit.save", () => {
  it.each([
    ["resnet18_mini.trace.jit.pt", "torch.jit.trace, float16 storages", "resnet18_mini", []],
    ["vit_mini.script.jit.pt", "torch.jit.script, float32", "vit_mini", []],
    ["vit_mini.visual.jit.pt", "OpenAI CLIP's layout: the tower as `visual`, traced, float16", "vit_mini", ["logit_scale"]],
  ])("%s gives the state_dict's names, order and values (%s)", async (file, _how, reference, ownParameters) => {
    const got = await readCheckpoint(join(DIR, file));
    const expected = readSafetensors(await readFile(join(DIR, `${reference}.safetensors`)), reference);
    const prefix = file.includes(".visual.") ? "visual." : "";
    // nn.Module.state_dict lists a module's own parameters before its submodules'
    expect([...got.keys()]).toEqual([...ownParameters, ...[...expected.keys()].map((k) => prefix + k)]);
    for (const [name, t] of expected) {
      expect(got.get(prefix + name)!.shape, name).toEqual(t.shape);
      expect(Array.from(got.get(prefix + name)!.data), name).toEqual(Array.from(t.data));
    }
  });

  it("the CLIP-shaped wrapper's own parameter comes through in float16", async () => {
    const got = await readCheckpoint(join(DIR, "vit_mini.visual.jit.pt"));
    expect(got.get("logit_scale")!.shape).toEqual([]);
    expect(got.get("logit_scale")!.data[0]).toBe(Math.fround(4.60546875)); // 4.6052 rounded to float16
  });

  it.each([
    ["resnet18_mini", "resnet18_mini.trace.jit.pt"],
    ["vit_mini", "vit_mini.script.jit.pt"],
  ])("%s loads from %s through createBackbone with PyTorch logits parity", async (name, file) => {
    const r = await checkParity(DIR, name, file);
    expect(r.maxAbsDiff).toBeLessThanOrEqual(r.tolerance);
  });
});

describe("OpenAI-shaped CLIP archives (traced whole CLIP models, float16 storages, by parity_models/clip.py)", () => {
  it.each(["clip_rn_mini", "clip_vit_mini"])("%s.jit.pt gives the full model's state_dict, text tower included", async (name) => {
    const got = await readCheckpoint(join(DIR, `${name}.jit.pt`));
    const expected = readSafetensors(await readFile(join(DIR, `${name}.openai.safetensors`)), name);
    expect([...got.keys()]).toEqual([...expected.keys()]);
    for (const [key, t] of expected) expect(Array.from(got.get(key)!.data), key).toEqual(Array.from(t.data));
  });

  it.each(["clip_rn_mini", "clip_vit_mini"])("%s loads its image tower from the archive with PyTorch logits parity", async (name) => {
    const r = await checkParity(DIR, name, `${name}.jit.pt`);
    expect(r.maxAbsDiff).toBeLessThanOrEqual(r.tolerance);
  });
});

describe("module records", () => {
  const storage = new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer);
  const w = tensorValue({ storageKey: "0", numel: 4, offset: 0, size: [4], stride: [1] });

  it("a submodule held by two attributes is named under both, as state_dict names it", () => {
    const shared = scriptObject("__torch__.torch.nn.modules.linear.Linear", [["weight", w], ["training", false]], { memo: 0 });
    const module = pickled(scriptObject("__torch__.Net", [["a", shared], ["b", memoGet(0)], ["kernel_size", 3], ["mode", "zeros"], ["bias", false]]));
    const m = readTorchScript(torchScriptArchive(module, { 0: storage }), "shared.pt");
    expect([...m.keys()]).toEqual(["a.weight", "b.weight"]);
    expect(Array.from(m.get("b.weight")!.data)).toEqual([1, 2, 3, 4]);
  });

  it("a torch.save checkpoint keeps going to the state_dict reader", async () => {
    const m = await readCheckpoint(join(DIR, "resnet18_mini.pth"));
    expect(m.has("fc.weight")).toBe(true);
  });
});
