import { describe, expect, it } from "vitest";
import { bestRunsTable, resultsCsv, type JsonObject, type RunResult, type StoredRun } from "../../core/index.ts";

function run(hash: string, backbone: JsonObject, dataset: string, best: Record<string, number>, test?: Record<string, number>): StoredRun {
  return {
    spec: { backbone, dataset: { name: dataset } },
    result: { hash, best, ...(test ? { test } : {}) } as unknown as RunResult,
  };
}

const lookups = {
  selection: async (ref: { name: string }) =>
    ref.name === "aptos2019" ? { metric: "qwk", direction: "max" as const } : { metric: "accuracy", direction: "max" as const },
  imagenetTop1: (id: string) => (id === "resnet50.tv_in1k" ? 76.1 : undefined),
};

describe("results export", () => {
  it("keeps the grid's best run per (backbone, dataset) by the selection metric, reporting its test value on Table 4's scale", async () => {
    const rows = await bestRunsTable(
      [
        run("a", { name: "resnet50.tv_in1k" }, "eurosat", { accuracy: 0.97 }),
        run("b", { name: "resnet50.tv_in1k" }, "eurosat", { accuracy: 0.99 }),
        run("c", { name: "resnet50.tv_in1k" }, "eurosat", { accuracy: 0.99 }),
        run("d", { name: "resnet50.tv_in1k" }, "aptos2019", { qwk: 0.9 }, { qwk: 0.88 }),
        run("e", { name: "tinycnn.random", options: { widths: [4, 8] } }, "eurosat", { accuracy: 0.5 }),
        run("f", { name: "tinycnn.random", options: { widths: [8, 16] } }, "eurosat", { accuracy: 0.6 }),
      ],
      lookups,
    );
    expect(rows).toEqual([
      { model: "resnet50.tv_in1k", imagenetTop1: 76.1, values: { eurosat: 99, aptos2019: 0.88 }, runs: { eurosat: "b", aptos2019: "d" } },
      { model: 'tinycnn.random {"widths":[4,8]}', imagenetTop1: undefined, values: { eurosat: 50 }, runs: { eurosat: "e" } },
      { model: 'tinycnn.random {"widths":[8,16]}', imagenetTop1: undefined, values: { eurosat: 60 }, runs: { eurosat: "f" } },
    ]);
    expect(resultsCsv(rows)).toBe(
      'model,imagenet_top1,aptos2019,eurosat\nresnet50.tv_in1k,76.1,0.88,99\n"tinycnn.random {""widths"":[4,8]}",,,50\n"tinycnn.random {""widths"":[8,16]}",,,60\n',
    );
  });
});
