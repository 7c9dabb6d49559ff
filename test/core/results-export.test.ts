import { describe, expect, it } from "vitest";
import { bestRunsTable, exportedTable, parseResultsTable, resultsCsv, runGroups, selectRunGroup, type JsonObject, type RunResult, type StoredRun } from "../../core/index.ts";

function run(hash: string, backbone: JsonObject, dataset: string, best: Record<string, number>, test?: Record<string, number>, params?: number): StoredRun {
  return {
    spec: { backbone, dataset: { name: dataset } },
    result: { hash, best, ...(test ? { test } : {}), ...(params === undefined ? {} : { params }) } as unknown as RunResult,
  };
}

const lookups = {
  selection: async (ref: { name: string }) =>
    ref.name === "aptos2019" ? { metric: "qwk", direction: "max" as const } : { metric: "accuracy", direction: "max" as const },
  imagenetTop1: (id: string) => (id === "resnet50.tv_in1k" ? 76.1 : undefined),
};

describe("results export", () => {
  it("keeps the grid's best run per (backbone, dataset) by the selection metric, reporting its test value on the facts table's scale", async () => {
    const rows = await bestRunsTable(
      [
        run("a", { name: "resnet50.tv_in1k" }, "eurosat", { accuracy: 0.97 }, undefined, 23_528_522),
        run("b", { name: "resnet50.tv_in1k" }, "eurosat", { accuracy: 0.99 }, undefined, 23_528_522),
        run("c", { name: "resnet50.tv_in1k" }, "eurosat", { accuracy: 0.99 }, undefined, 23_528_522),
        run("d", { name: "resnet50.tv_in1k" }, "aptos2019", { qwk: 0.9 }, { qwk: 0.88 }, 23_518_277),
        run("e", { name: "tinycnn.random", options: { widths: [4, 8] } }, "eurosat", { accuracy: 0.5 }, undefined, 1000),
        run("f", { name: "tinycnn.random", options: { widths: [8, 16] } }, "my-folder", { accuracy: 0.6 }),
      ],
      lookups,
    );
    expect(rows).toEqual([
      { model: "resnet50.tv_in1k", imagenetTop1: 76.1, values: { EuroSAT: 99, APTOS: 0.88 }, runs: { EuroSAT: "b", APTOS: "d" }, paramsNote: expect.stringMatching(/differ between its datasets' runs \(23528522, 23518277\)/) },
      { model: 'tinycnn.random {"widths":[4,8]}', params: 1000, values: { EuroSAT: 50 }, runs: { EuroSAT: "e" } },
      { model: 'tinycnn.random {"widths":[8,16]}', values: { "my-folder": 0.6 }, runs: { "my-folder": "f" }, paramsNote: expect.stringMatching(/predate parameter counts.*re-run/) },
    ]);
    expect(resultsCsv(rows)).toBe(
      "model,imagenet_top1,params,log10_params,APTOS,EuroSAT,my-folder\n" +
        "resnet50.tv_in1k,76.1,,,0.88,99,\n" +
        '"tinycnn.random {""widths"":[4,8]}",,1000,3,,50,\n' +
        '"tinycnn.random {""widths"":[8,16]}",,,,,,0.6\n',
    );
    // What `xfer report` analyses: the same table through the same parser.
    const table = parseResultsTable(exportedTable(rows, "runs"), { x: "log10_params" });
    expect(table.tasks.map((t) => [t.name, t.scale])).toEqual([["APTOS", "unit"], ["EuroSAT", "percent"], ["my-folder", "unit"]]);
    expect(table.rows[1].descriptors).toEqual({ params: 1000, log10_params: 3 });
  });

  it("groups runs by (seed, backend) and refuses to mix groups unless one is picked", () => {
    const at = (hash: string, seed: number, backend: string): StoredRun => ({
      spec: { seed, backbone: { name: "m" }, dataset: { name: "d" } },
      result: { hash, best: {}, environment: { backend } } as unknown as RunResult,
    });
    const runs = [at("a", 1, "wasm"), at("b", 1, "cpu"), at("c", 2, "wasm"), at("d", 1, "wasm")];
    expect(runGroups(runs)).toEqual([{ seed: 1, backend: "cpu", count: 1 }, { seed: 1, backend: "wasm", count: 2 }, { seed: 2, backend: "wasm", count: 1 }]);
    expect(() => selectRunGroup(runs, {})).toThrow(
      "the stored runs mix 3 (seed, backend) groups, which one table must not: seed 1, backend cpu: 1 run(s); seed 1, backend wasm: 2 run(s); seed 2, backend wasm: 1 run(s); pick one with --seed N and --backend NAME",
    );
    expect(() => selectRunGroup(runs, { seed: 1 })).toThrow(/mix 2 .*pick one with --backend NAME$/);
    expect(selectRunGroup(runs, { seed: 1, backend: "wasm" }).map((r) => r.result.hash)).toEqual(["a", "d"]);
    expect(selectRunGroup(runs, { backend: "cpu" }).map((r) => r.result.hash)).toEqual(["b"]);
    expect(() => selectRunGroup(runs, { seed: 3 })).toThrow(/^no stored run has seed 3; the runs found are: seed 1, backend cpu/);
  });
});
