import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { definePlugin, PluginRegistry, SeedTree, UnknownNameError, parseOptions, type DataIO, type ImageDecoder } from "../../core/index.ts";
import { linearDecaySchedule } from "../../docs/examples/linear-decay-schedule.ts";
import { retinaDataset } from "../../docs/examples/retina-dataset.ts";
import { z } from "zod";
import { BUILTIN_PLUGINS, builtinRegistry } from "../../plugins/manifest.ts";

const metric = (name: string) =>
  definePlugin({
    meta: { kind: "metric", name, version: "1.0.0", description: name },
    create: () => ({ name, direction: "max", compute: () => 0 }),
  });

describe("plugin registry", () => {
  it("throws on a duplicate name within a kind", () => {
    expect(() => new PluginRegistry([metric("acc"), metric("acc")])).toThrow(/duplicate metric plugin name "acc"/);
  });

  it("lists the valid names of that kind for an unknown name", () => {
    const registry = new PluginRegistry([metric("b-metric"), metric("a-metric")]);
    expect(() => registry.get("metric", "nope")).toThrow(UnknownNameError);
    expect(() => registry.get("metric", "nope")).toThrow('unknown metric "nope"; valid metric names: a-metric, b-metric');
    expect(() => registry.get("dataset", "nope")).toThrow(/valid dataset names: \(none registered\)/);
  });

  it("builds the built-in manifest without duplicates, every plugin with complete meta", () => {
    const registry = builtinRegistry();
    expect(registry.all()).toHaveLength(BUILTIN_PLUGINS.length);
    for (const plugin of registry.all()) {
      expect(plugin.meta.name).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
      expect(plugin.meta.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(plugin.meta.description.length).toBeGreaterThan(0);
    }
  });

  it("names the plugin and the option in validation errors", () => {
    const meta = { kind: "optimizer", name: "sgd", version: "1.0.0", description: "" } as const;
    expect(() => parseOptions(meta, z.strictObject({ momentum: z.number() }), { momentum: "high" })).toThrow(
      /optimizer plugin "sgd": option "momentum": .*number/,
    );
  });
});

describe("docs/writing-a-plugin.md: one helper per kind, examples as written", () => {
  const doc = readFileSync(resolve(import.meta.dirname, "../../docs/writing-a-plugin.md"), "utf8");

  it("shows each example file verbatim", () => {
    for (const file of ["docs/examples/retina-dataset.ts", "docs/examples/linear-decay-schedule.ts"]) {
      const source = readFileSync(resolve(import.meta.dirname, "../..", file), "utf8");
      expect(doc, file).toContain("```ts\n" + source + "```");
    }
  });

  it("names every helper the package entry exports, one per kind", async () => {
    const xfer = await import("xfer");
    const helpers = ["defineDataset", "defineSplitter", "defineBackbone", "defineAugmentation", "defineBatchAugmentation", "defineOptimizer", "defineSchedule", "defineMetric"];
    for (const name of helpers) {
      expect(typeof (xfer as Record<string, unknown>)[name], name).toBe("function");
      expect(doc, name).toContain(`| \`${name}(`);
    }
  });

  const files: Record<string, string> = { "labels.csv": "file,grade\na.png,0\nb.png,4\n", "bad.csv": "file,grade\na.png,7\n" };
  const io: DataIO = {
    readText: async (path) => files[path] ?? Promise.reject(new Error(`no ${path}`)),
    readBytes: async () => new Uint8Array(),
    exists: async (path) => path in files,
    list: async () => [],
    isDirectory: async () => false,
    join: (...parts) => parts.join("/"),
  };
  const ctx = { io, decoder: {} as ImageDecoder };

  it("the dataset example indexes its CSV and names the bad line and option", async () => {
    const registry = new PluginRegistry([...BUILTIN_PLUGINS, retinaDataset]);
    const dataset = await registry.create("dataset", { name: "retina" }, { seeds: new SeedTree(0) });
    expect(dataset.meta).toMatchObject({ name: "retina", task: "ordinal", selectionMetric: "qwk" });
    expect((await dataset.index(ctx)).samples).toEqual([
      { id: "a.png", files: ["images/a.png"], label: 0 },
      { id: "b.png", files: ["images/b.png"], label: 4 },
    ]);
    const bad = await registry.create("dataset", { name: "retina", options: { csv: "bad.csv" } }, { seeds: new SeedTree(0) });
    await expect(bad.index(ctx)).rejects.toThrow(/bad\.csv line 2.*grade must be an integer 0-4, got "7"/);
    expect(() => retinaDataset.create({ csvFile: "x" }, { seeds: new SeedTree(0) })).toThrow(/dataset plugin "retina".*csvFile/);
  });

  it("the schedule example takes the run's lr and epochs unless the recipe sets them", async () => {
    const registry = new PluginRegistry([...BUILTIN_PLUGINS, linearDecaySchedule]);
    const training = { lr: 0.1, weightDecay: 0, epochs: 10 };
    const schedule = await registry.create("schedule", { name: "linear-decay" }, { seeds: new SeedTree(0), training });
    expect(schedule.lr({ epoch: 5, step: 0, stepsPerEpoch: 4 })).toBeCloseTo(0.05, 12);
    const set = await registry.create("schedule", { name: "linear-decay", options: { endLr: 0.02, epochs: 4 } }, { seeds: new SeedTree(0), training });
    expect(set.lr({ epoch: 2, step: 3, stepsPerEpoch: 4 })).toBeCloseTo(0.06, 12);
    expect(() => linearDecaySchedule.build({ baseLr: 0.1, epochs: 0 })).toThrow(/schedule plugin "linear-decay".*epochs/);
  });
});
