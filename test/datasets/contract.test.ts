/** Contract checks over every native-format dataset plugin in the manifest. */
import { describe, expect, it } from "vitest";
import { SeedTree } from "../../core/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";

const registry = builtinRegistry();
const SELECTION: Record<string, string> = {
  aptos2019: "qwk", hpa: "macro-f1", melanoma: "roc-auc", cassava: "accuracy", cct20: "accuracy",
  eurosat: "accuracy", cifar10: "accuracy", "fashion-mnist": "accuracy", "image-folder": "accuracy", csv: "accuracy",
};

describe.each(Object.keys(SELECTION))("dataset plugin %s", (name) => {
  it("is registered, names itself, selects by a registered metric and rejects unknown options", async () => {
    const plugin = registry.get("dataset", name);
    const dataset = await plugin.create({}, { seeds: new SeedTree(0) });
    expect(dataset.meta.name).toBe(name);
    expect(dataset.meta.selectionMetric).toBe(SELECTION[name]);
    expect(registry.has("metric", dataset.meta.selectionMetric)).toBe(true);
    expect(dataset.meta.nativeFormat.length).toBeGreaterThan(10);
    await expect(Promise.resolve().then(() => plugin.create({ nope: 1 }, { seeds: new SeedTree(0) }))).rejects.toThrow(`dataset plugin "${name}"`);
    await expect(Promise.resolve().then(() => plugin.create({ channelOrder: "grb" }, { seeds: new SeedTree(0) }))).rejects.toThrow(/option "channelOrder"/);
  });
});
