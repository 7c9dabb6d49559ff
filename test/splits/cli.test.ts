// `xfer splits make|verify` on a tiny CSV dataset plugin registered on a fresh PluginRegistry.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DataIO, DatasetContext, Sample } from "../../core/contracts.ts";
import { InputError, XferError } from "../../core/errors.ts";
import { definePlugin, PluginRegistry } from "../../core/plugin.ts";
import { idListSha256, type SplitManifest } from "../../core/splits/index.ts";
import { registerSplitsCommand, SplitDriftError } from "../../plugins/platform/node/cli/commands/splits.ts";
import {
  predefinedHoldoutSplitter, predefinedSplitter, referenceHoldoutSplitter, stratifiedHoldoutSplitter,
} from "../../plugins/splitters/index.ts";

const CLASSES = ["cat", "dog", "fox"];

/**
 * `labels.csv` (id,label) under the root; `name` lets a test pose as a paper dataset. The first 20
 * rows and the rest are the predefined partitions `parts`.
 */
const tinyDataset = (name: string, parts: [string, string] = ["official_train", "official_val"]) => definePlugin({
  meta: { kind: "dataset", name, version: "0.0.0", description: "test dataset" },
  create: () => ({
    meta: { name, task: "multiclass", classNames: CLASSES, nativeFormat: "labels.csv", selectionMetric: "accuracy" },
    async index(ctx: DatasetContext) {
      const rows = (await ctx.io.readText("labels.csv")).trim().split("\n").slice(1);
      const samples: Sample[] = rows.map((row) => {
        const [id, label] = row.split(",");
        return { id, files: [`${id}.png`], label: CLASSES.indexOf(label) };
      });
      return { samples, predefinedSplits: { [parts[0]]: samples.slice(0, 20).map((s) => s.id), [parts[1]]: samples.slice(20).map((s) => s.id) } };
    },
    async load(): Promise<never> {
      throw new Error("not needed for splits");
    },
  }),
});

function textIO(root: string): DataIO {
  const unused = () => {
    throw new Error("not needed for splits");
  };
  return { readText: async (path) => readFileSync(join(root, path), "utf8"), readBytes: unused, exists: unused, list: unused, isDirectory: unused, join: (...p) => join(...p) };
}

let dir: string;
let out: string[];
const unusedDecoder = { decode: async (): Promise<never> => { throw new Error("unused"); }, convert: async (): Promise<never> => { throw new Error("unused"); } };
const deps = {
  registry: new PluginRegistry([
    tinyDataset("tiny"), tinyDataset("tiny-train-test", ["train", "test"]), tinyDataset("aptos2019"),
    referenceHoldoutSplitter, stratifiedHoldoutSplitter, predefinedSplitter, predefinedHoldoutSplitter,
  ]),
  makeDatasetContext: (root: string): DatasetContext => ({ io: textIO(root), decoder: unusedDecoder }),
};

function writeLabels(labels: readonly string[]) {
  writeFileSync(join(dir, "labels.csv"), `id,label\n${labels.map((l, i) => `img${String(i).padStart(3, "0")},${l}`).join("\n")}\n`);
}
async function xfer(...args: string[]) {
  const program = new Command("xfer").exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) });
  registerSplitsCommand(program, deps);
  await program.parseAsync(["node", "xfer", ...args]);
}
const readManifest = (file: string): SplitManifest => JSON.parse(readFileSync(file, "utf8"));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "xfer-splits-"));
  out = [];
  writeLabels(Array.from({ length: 30 }, (_, i) => CLASSES[i % 3] === "fox" && i > 20 ? "dog" : CLASSES[i % 3]));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("xfer splits make", () => {
  it("writes counts per class and the SHA-256 of each ordered id list", async () => {
    const file = join(dir, "out", "tiny.split.json");
    await xfer("splits", "make", "tiny", "--root", dir, "--out", file, "--seed", "7", "--splitter-options", '{"valFraction":0.3}');
    const m = readManifest(file);
    expect(m.splitter).toEqual({ name: "stratified-holdout", options: { valFraction: 0.3 } });
    expect(m.seed).toBe(7);
    const labels = readFileSync(join(dir, "labels.csv"), "utf8").trim().split("\n").slice(1).map((r) => r.split(",")[1]);
    const sizes = Object.fromEntries(CLASSES.map((c) => [c, labels.filter((l) => l === c).length]));
    for (const c of CLASSES) {
      expect(m.splits.train.perClass[c] + m.splits.val.perClass[c]).toBe(sizes[c]);
      expect(Math.abs(m.splits.val.perClass[c] - 0.3 * sizes[c])).toBeLessThanOrEqual(1);
    }
    expect(m.splits.val.count + m.splits.train.count).toBe(30);
    expect(m.index.samples).toBe(30);
    expect(out.join("")).toContain("train 21, val 9");
  });

  it("uses the reference split and seed of a paper dataset by default", async () => {
    const file = join(dir, "aptos.json");
    await xfer("splits", "make", "aptos2019", "--root", dir, "--out", file);
    const m = readManifest(file);
    expect([m.splitter.name, m.seed]).toEqual(["reference-holdout", 414]);
  });

  it("keeps a shipped test partition by default, carving val from the train partition", async () => {
    const file = join(dir, "tt.json");
    await xfer("splits", "make", "tiny-train-test", "--root", dir, "--out", file, "--splitter-options", '{"valFraction":0.25}');
    const m = readManifest(file);
    expect(m.splitter).toEqual({ name: "predefined-holdout", options: { train: "train", test: "test", valFraction: 0.25 } });
    const ids = Array.from({ length: 30 }, (_, i) => `img${String(i).padStart(3, "0")}`);
    expect(m.splits.test.sha256).toBe(idListSha256(ids.slice(20)));
    expect(m.splits.train.count + m.splits.val.count).toBe(20);
    expect(out.join("")).toContain("split by predefined-holdout");
  });

  it("maps predefined splits", async () => {
    const file = join(dir, "p.json");
    await xfer("splits", "make", "tiny", "--root", dir, "--out", file, "--splitter", "predefined", "--splitter-options", '{"train":"official_train","val":"official_val"}');
    const m = readManifest(file);
    const ids = Array.from({ length: 30 }, (_, i) => `img${String(i).padStart(3, "0")}`);
    expect(m.splits.train.sha256).toBe(idListSha256(ids.slice(0, 20)));
    expect(m.splits.val.sha256).toBe(idListSha256(ids.slice(20)));
  });

  it("names the flag of a malformed option and the valid names of an unknown splitter", async () => {
    const file = join(dir, "x.json");
    await expect(xfer("splits", "make", "tiny", "--root", dir, "--out", file, "--splitter-options", "{bad")).rejects.toThrow(/--splitter-options/);
    await expect(xfer("splits", "make", "tiny", "--root", dir, "--out", file, "--splitter", "nope")).rejects.toThrow(/valid splitter names: predefined, predefined-holdout, reference-holdout, stratified-holdout/);
    await expect(xfer("splits", "make", "tiny", "--root", dir, "--out", file, "--seed", "-1")).rejects.toThrow(InputError);
  });
});

describe("xfer splits verify", () => {
  let file: string;
  beforeEach(async () => {
    file = join(dir, "tiny.split.json");
    await xfer("splits", "make", "tiny", "--root", dir, "--out", file);
    out = [];
  });

  it("passes on unchanged data", async () => {
    await xfer("splits", "verify", file, "--root", dir);
    expect(out.join("")).toMatch(/ok \(train \d+, val \d+\)/);
  });

  it("fails with a diff of counts when a label changed", async () => {
    const labels = readFileSync(join(dir, "labels.csv"), "utf8").trim().split("\n").slice(1).map((r) => r.split(",")[1]);
    labels[0] = labels[0] === "cat" ? "fox" : "cat";
    writeLabels(labels);
    const error = await xfer("splits", "verify", file, "--root", dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SplitDriftError);
    expect(error).toBeInstanceOf(XferError); // the CLI maps XferError to exit code 1
    expect((error as Error).message).toMatch(/index ids\+labels sha256/);
    expect((error as Error).message).toMatch(/class "(cat|fox)": \d+ -> \d+/);
  });

  it("fails when a sample disappeared, and when the manifest's split was edited", async () => {
    const lines = readFileSync(join(dir, "labels.csv"), "utf8").trim().split("\n");
    writeFileSync(join(dir, "labels.csv"), `${lines.slice(0, -1).join("\n")}\n`);
    await expect(xfer("splits", "verify", file, "--root", dir)).rejects.toThrow(/index samples: 30 -> 29/);
    writeFileSync(join(dir, "labels.csv"), `${lines.join("\n")}\n`);
    const edited = readManifest(file);
    writeFileSync(file, JSON.stringify({ ...edited, seed: edited.seed + 1 }));
    await expect(xfer("splits", "verify", file, "--root", dir)).rejects.toThrow(/id list sha256/);
  });

  it("names the file that is not a manifest", async () => {
    writeFileSync(file, JSON.stringify({ format: "something-else" }));
    await expect(xfer("splits", "verify", file, "--root", dir)).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: not a split manifest`));
  });
});
