// Schema test over the backbone catalog: typed metadata, and parameter counts recomputed from the
// layer shapes (full-size models, nothing allocated) or from the built variables (minis).
import { describe, expect, it } from "vitest";
import { TABLE16, TABLE4, TABLE8_CLIP } from "../../fixtures/paper/fang2023.ts";
import { Scope } from "../../plugins/backbones/nn/layers.ts";
import { ParamStore } from "../../plugins/backbones/nn/store.ts";
import { BACKBONE_CATALOG, BACKBONE_PLUGINS, backboneIds, countParameters, createBackbone } from "../../plugins/backbones/index.ts";

const ENTRIES = [...BACKBONE_CATALOG.values()];

describe("backbone catalog", () => {
  it.each(ENTRIES.map((e) => [e.meta.id, e] as const))("%s: metadata and parameter count", (id, entry) => {
    const m = entry.meta;
    expect(id).toMatch(/^[a-z0-9_]+\.[a-z0-9_]+$/);
    // tinycnn defaults to one channel (Fashion-MNIST); every other family is RGB.
    expect(m.channels).toBe(id === "tinycnn.random" ? 1 : 3);
    expect(m.mean).toHaveLength(m.channels);
    expect(m.std).toHaveLength(m.channels);
    expect(m.resizeSize ?? 0).toBeGreaterThanOrEqual(m.inputSize);
    expect(["torchvision", "timm", "openai", "pytorch-fid", "random-init"]).toContain(m.source);
    if (id !== "tinycnn.random") expect(m.upstreamName).toBeTruthy();
    if (m.source === "random-init") expect(id).toMatch(/(_mini|^tinycnn)\.random$/);
    // pytorch-fid's Inception ships the 1008-way classifier of the 2015 TensorFlow graph.
    else expect(entry.headClasses).toBe(m.source === "pytorch-fid" ? 1008 : 1000);
    // A local head (CLIP's towers) is xfer's own: the published count is the tower's.
    const probe = entry.build(new Scope(new ParamStore(null, true)), { numClasses: entry.headClasses, pooling: "avg" });
    const localHead = probe.headLocal ? entry.headClasses * (probe.headIn + 1) : 0;
    expect(countParameters(id, entry.headClasses) - localHead).toBe(m.params);
  });

  it("the dry count equals the allocated variables of a built model (random-init ids)", async () => {
    for (const id of backboneIds().filter((i) => i.endsWith(".random"))) {
      const entry = BACKBONE_CATALOG.get(id)!;
      const bb = await createBackbone(id, { numClasses: entry.headClasses });
      const n = bb.namedParameters().filter(([name]) => !(bb.net.headLocal && bb.isHead(name))).reduce((s, [, v]) => s + v.size, 0);
      bb.dispose();
      expect(n, id).toBe(entry.meta.params);
    }
  });

  it("GeM pooling adds exactly one parameter (p)", () => {
    expect(countParameters("resnet18.tv_in1k", 1000, { pooling: "gem" })).toBe(countParameters("resnet18.tv_in1k", 1000) + 1);
  });

  it("ImageNet top-1 equals the paper's Tables 4, 16 and 8 for every listed model, and every model of those tables is in the catalog", () => {
    const printed = [...TABLE4, ...TABLE16, ...TABLE8_CLIP];
    const byName = new Map(printed.map((r) => [r.model, r.ImageNet]));
    const named = ENTRIES.filter((e) => e.paperName !== undefined);
    for (const e of named) {
      expect(byName.has(e.paperName!), e.meta.id).toBe(true);
      expect(e.meta.imagenetTop1?.toFixed(1), e.meta.id).toBe(byName.get(e.paperName!));
    }
    const covered = new Set(named.map((e) => e.paperName));
    expect(printed.map((r) => r.model).filter((m) => !covered.has(m))).toEqual([]);
    for (const e of ENTRIES.filter((x) => x.paperName === undefined)) expect(e.meta.imagenetTop1, e.meta.id).toBeUndefined();
  });

  it("every catalog id is a backbone plugin of that name", () => {
    expect(BACKBONE_PLUGINS.map((p) => p.meta.name).sort()).toEqual(backboneIds());
  });
});
