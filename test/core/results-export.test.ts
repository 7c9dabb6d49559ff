import { describe, expect, it } from "vitest";
import { bestRunsTable, exportedTable, parseResultsTable, resultsCsv, type JsonObject, type RunResult, type StoredRun } from "../../core/index.ts";

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
});
