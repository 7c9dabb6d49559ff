import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contentHash, defineRecipe, expandGrid, parseFilter, plan, type JsonObject, type JsonValue } from "../../core/index.ts";
import { helloLikeTemplate, GOLDEN } from "../helpers/golden.ts";

const base = helloLikeTemplate;

/** Rebuilds an object with its keys in another order (recursively). */
function reorder(value: JsonValue, flip: boolean): JsonValue {
  if (Array.isArray(value)) return value.map((v) => reorder(v, flip));
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    const out: JsonObject = {};
    for (const k of flip ? keys.reverse() : keys) out[k] = reorder((value as JsonObject)[k], flip);
    return out;
  }
  return value;
}

describe("plan", () => {
  it("hashes equal specs equally whatever their key order", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(contentHash(reorder(value as JsonValue, true))).toBe(contentHash(value as JsonValue));
      }),
      { seed: 20261122, numRuns: 200 },
    );
  });

  it("gives different hashes to different specs", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), fc.string(), (obj, extra) => {
        fc.pre(!(extra in obj));
        expect(contentHash({ ...obj, [extra]: 1 })).not.toBe(contentHash(obj));
      }),
      { seed: 7, numRuns: 100 },
    );
  });

  it("keeps the golden hash of a fixed recipe (the Deno suite checks the same value)", () => {
    const runs = plan(defineRecipe({ name: "golden", description: "fixed", template: base, grid: { "training.lr": [0.1, 0.01] } }));
    expect(runs.map((r) => r.hash)).toEqual(GOLDEN.hashes);
  });

  it("expands a grid into the product of its axis sizes and unions several grids", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }), (sizes) => {
        const grid = Object.fromEntries(sizes.map((n, axis) => [`training.epochs`.replace("epochs", `axis${axis}`), Array.from({ length: n }, (_, i) => i)]));
        expect(expandGrid(grid)).toHaveLength(sizes.reduce((a, b) => a * b, 1));
      }),
      { seed: 3 },
    );
    const recipe = defineRecipe({
      name: "union",
      description: "two optimizer families with their own lr grids",
      template: base,
      grid: [
        { "optimizer.name": ["sgd"], "training.lr": [0.1, 0.01, 0.001, 0.0001], "training.weightDecay": [0, 1e-4] },
        { "optimizer.name": ["adamw"], "training.lr": [1e-2, 1e-3, 1e-4, 1e-5], "training.weightDecay": [0, 1e-4] },
      ],
    });
    const runs = plan(recipe);
    expect(runs).toHaveLength(16);
    expect(new Set(runs.map((r) => r.hash)).size).toBe(16);
    expect(runs.filter((r) => r.spec.optimizer.name === "adamw").every((r) => r.spec.training.lr <= 1e-2)).toBe(true);
  });

  it("plans duplicate grid points once and applies filters and --seed", () => {
    const recipe = defineRecipe({ name: "dup", description: "", template: base, grid: [{ "training.lr": [0.1] }, { "training.lr": [0.1, 0.2] }] });
    expect(plan(recipe)).toHaveLength(2);
    expect(plan(recipe, { filters: [parseFilter("training.lr=0.2")] }).map((r) => r.spec.training.lr)).toEqual([0.2]);
    const seeded = plan(recipe, { seed: 5 });
    expect(seeded.every((r) => r.spec.seed === 5)).toBe(true);
    expect(seeded[0].hash).not.toBe(plan(recipe)[0].hash);
  });

  it("filters compare by type: numbers in any notation, booleans, null, objects; strings as text", () => {
    const recipe = defineRecipe({
      name: "typed", description: "", template: base,
      grid: { "training.lr": [0.01, 0.1], "training.flag": [true, false], "training.extra": [null, { a: 1, b: [2] }], "training.tag": ["007"] },
    });
    const lrs = (filters: string[]) => plan(recipe, { filters: filters.map(parseFilter) });
    expect(lrs(["training.lr=1e-2"]).every((r) => r.spec.training.lr === 0.01)).toBe(true);
    expect(lrs(["training.lr=1e-2"])).toHaveLength(4);
    expect(lrs(["training.flag=false", "training.extra=null"])).toHaveLength(2);
    expect(lrs(['training.extra={"b":[2],"a":1}'])).toHaveLength(4);
    expect(lrs(["training.tag=007"])).toHaveLength(8);
    expect(() => lrs(["training.tag=7"])).toThrow(/"training\.tag" takes "007"/);
  });

  it("rejects a filter path no spec has (naming the paths nearby) and a filter that matches nothing (naming the values)", () => {
    const recipe = defineRecipe({ name: "errs", description: "", template: base, grid: { "training.lr": [0.01, 0.1] } });
    expect(() => plan(recipe, { filters: [parseFilter("training.learningRate=0.1")] })).toThrow(/no run of recipe "errs" has the path "training\.learningRate"; paths there: .*training\.lr/);
    expect(() => plan(recipe, { filters: [parseFilter("training.lr=0.5")] })).toThrow(/matches none of the 2 run\(s\) left; "training\.lr" takes 0\.01, 0\.1/);
    expect(() => parseFilter("=3")).toThrow(/expected PATH=VALUE/);
  });

  it("uses the config's default seed only when the recipe names none", () => {
    const { seed: _omit, ...unseeded } = base;
    const recipe = defineRecipe({ name: "unseeded", description: "", template: unseeded });
    expect(plan(recipe, { defaultSeed: 9 })[0].spec.seed).toBe(9);
    const seededRecipe = defineRecipe({ name: "seeded", description: "", template: { ...base, seed: 4 } });
    expect(plan(seededRecipe, { defaultSeed: 9 })[0].spec.seed).toBe(4);
  });

  it("composes shared parts with a delta: objects merge, arrays replace", () => {
    const recipe = defineRecipe({
      name: "composed",
      description: "",
      extends: [base, { training: { epochs: 7 }, metrics: ["a"] }],
      template: { backbone: { options: { widths: [2, 2] } }, metrics: ["b", "c"] },
    });
    expect(recipe.template.training).toEqual({ ...base.training, epochs: 7 });
    expect(recipe.template.metrics).toEqual(["b", "c"]);
    expect(recipe.template.backbone).toEqual({ name: base.backbone.name, options: { ...base.backbone.options, widths: [2, 2] } });
  });

  it("rejects a grid axis with no values and a template missing required fields", () => {
    expect(() => defineRecipe({ name: "empty-axis", description: "", template: base, grid: { "training.lr": [] } })).toThrow(
      /recipe "empty-axis".*grid axis "training.lr" has no values/,
    );
    expect(() => defineRecipe({ name: "partial", description: "", template: { dataset: { name: "x" } } })).toThrow(/missing "splitter.name"/);
  });
});
