import { describe, expect, it } from "vitest";
import { definePlugin, PluginRegistry, UnknownNameError, parseOptions } from "../../core/index.ts";
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
