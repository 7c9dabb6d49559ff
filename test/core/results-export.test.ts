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
  upstreamRun: async () => "no upstream runs in this test",
};

describe("results export", () => {
  it("keeps the grid's best run per (backbone, dataset) by the selection metric, reporting its test value on the facts table's scale", async () => {
    const rows = await bestRunsTable(
      [
        run("a", { name: "resnet50.tv_in1k" }, "eurosat", { accuracy: 0.97 }, undefined, 23_528_522),
        run("b", { name: "resnet50.tv_in1k" }, "eurosat", { accuracy: 0.99 }, undefined, 23_528_522),
        run("c", { name: "resnet50.tv_in1k" }, "eurosat", { accuracy: 0.99 }, undefined, 23_528_522),
        run("d", { name: "resnet50.tv_in1k" }, "aptos2019", { qwk: 0.9 }, { qwk: 0.88 }, 23_518_277),
        // Only the options that differ between the runs of one id name the model.
        run("e", { name: "tinycnn.random", options: { inputSize: 8, widths: [4, 8] } }, "eurosat", { accuracy: 0.5 }, undefined, 1000),
        run("f", { name: "tinycnn.random", options: { inputSize: 8, widths: [8, 16] } }, "my-folder", { accuracy: 0.6 }),
      ],
      lookups,
    );
    expect(rows).toEqual([
      { model: "resnet50.tv_in1k", imagenetTop1: 76.1, values: { EuroSAT: 99, APTOS: 0.88 }, runs: { EuroSAT: "b", APTOS: "d" }, paramsNote: expect.stringMatching(/differ between its tasks' runs \(23528522, 23518277\)/) },
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

describe("results export of a study with upstream runs, tags and kept axes", () => {
  const spec = (over: JsonObject): JsonObject => ({ recipe: "down", seed: 0, backbone: { name: "tinycnn.random" }, dataset: { name: "fashion-mnist" }, point: {}, ...over });
  const stored = (hash: string, s: JsonObject, best: number, test: number): StoredRun => ({ spec: s, result: { hash, best: { accuracy: best }, test: { accuracy: test }, params: 100 } as unknown as RunResult });
  const upstreamRuns: Record<string, StoredRun> = {
    u1: stored("u1", { recipe: "pre", seed: 0, backbone: { name: "tinycnn.random" }, dataset: { name: "fashion-mnist" } }, 0.7, 0.625),
    u2: stored("u2", { recipe: "pre", seed: 0, backbone: { name: "tinycnn.random" }, dataset: { name: "fashion-mnist" } }, 0.9, 0.875),
  };
  const withUpstream = { ...lookups, upstreamRun: async (recipe: string, id: string) => (recipe === "pre" ? upstreamRuns[id] : "no such recipe") };
  const from = (run: string) => ({ upstream: { recipe: "pre", select: { "training.epochs": 1 }, run } });
  const runs = [
    // Model "small": fine-tuned at two learning rates (the better val wins), linear-probed, and its architecture from scratch.
    stored("a1", spec({ ...from("u1"), tags: { model: "small", task: "heldout", transfer: "finetune" }, training: { lr: 0.1 }, point: { "training.lr": 0.1 } }), 0.8, 0.78),
    stored("a2", spec({ ...from("u1"), tags: { model: "small", task: "heldout", transfer: "finetune" }, training: { lr: 0.01 }, point: { "training.lr": 0.01 } }), 0.85, 0.81),
    stored("a3", spec({ ...from("u1"), tags: { model: "small", task: "heldout", transfer: "linear-probe" }, training: { lr: 0.1 }, point: { "training.lr": 0.1 } }), 0.7, 0.69),
    stored("a4", spec({ upstream: null, tags: { model: "small", task: "heldout", transfer: "scratch" }, training: { lr: 0.1 }, point: { "training.lr": 0.1 } }), 0.6, 0.5625),
    stored("a5", spec({ ...from("u1"), tags: { model: "small", task: "k5", transfer: "finetune" }, dataset: { name: "fashion-mnist", options: { perClass: 5 } }, training: { lr: 0.1 }, point: { "training.lr": 0.1 } }), 0.5, 0.5),
    stored("b1", spec({ ...from("u2"), tags: { model: "big", task: "heldout", transfer: "finetune" }, training: { lr: 0.1 }, point: { "training.lr": 0.1 } }), 0.9, 0.88),
  ];

  it("writes one row per tagged model with its upstream run's test score in percent, one column per task and kept value", async () => {
    const rows = await bestRunsTable(runs, withUpstream, { by: ["transfer"] });
    expect(rows.map((r) => [r.model, r.upstream, r.values])).toEqual([
      ["big", { column: "upstream_accuracy", value: 87.5, recipe: "pre", run: "u2" }, { "heldout/finetune": 88 }],
      ["small", { column: "upstream_accuracy", value: 62.5, recipe: "pre", run: "u1" }, { "heldout/finetune": 81, "heldout/linear-probe": 69, "heldout/scratch": 56.25, "k5/finetune": 50 }],
    ]);
    expect(resultsCsv(rows)).toBe(
      "model,upstream_accuracy,params,log10_params,heldout/finetune,heldout/linear-probe,heldout/scratch,k5/finetune\n" +
        "big,87.5,100,2,88,,,\n" +
        "small,62.5,100,2,81,69,56.25,50\n",
    );
    // The reader takes upstream_accuracy as a descriptor (never a task), and as x when asked.
    const table = parseResultsTable(exportedTable(rows, "runs"), { x: "upstream_accuracy" });
    expect(table.tasks.map((t) => t.name)).toEqual(["heldout/finetune", "heldout/linear-probe", "heldout/scratch", "k5/finetune"]);
    expect(table.rows.map((r) => r.descriptors.upstream_accuracy)).toEqual([87.5, 62.5]);
    expect(parseResultsTable(exportedTable(rows, "runs"), { x: "log10_params" }).tasks).toHaveLength(4);

    // Without --by the best run over every other axis, transfer included, as for the lr grid.
    expect((await bestRunsTable(runs, withUpstream)).map((r) => r.values)).toEqual([{ heldout: 88 }, { heldout: 81, k5: 50 }]);
    // An axis by the end of its path, its values in the column names; a value some runs lack is "unset".
    expect((await bestRunsTable(runs, withUpstream, { by: ["lr", "upstream.run"] }))[1].values).toEqual({
      "heldout/0.1/u1": 78, "heldout/0.01/u1": 81, "heldout/0.1/unset": 56.25, "k5/0.1/u1": 50,
    });
  });

  it("refuses two upstream runs for one model, a missing upstream run, an unknown axis, and two datasets in one column", async () => {
    const mixed = [...runs, stored("c1", spec({ ...from("u2"), tags: { model: "small", task: "k5", transfer: "finetune" }, dataset: { name: "fashion-mnist", options: { perClass: 5 } }, training: { lr: 0.01 }, point: { "training.lr": 0.01 } }), 0.4, 0.4)];
    await expect(bestRunsTable(mixed, withUpstream)).rejects.toThrow(
      'model "small": its runs load different upstream runs: run a1 loads pre/u1, run c1 loads pre/u2; give each upstream its own tags.model',
    );
    await expect(bestRunsTable(runs, { ...withUpstream, upstreamRun: async () => "no finished result in runs/pre" })).rejects.toThrow(
      'model "big": run b1 loads run u2 of recipe "pre": no finished result in runs/pre; `xfer run down` runs its upstream stage first',
    );
    await expect(bestRunsTable(runs, withUpstream, { by: ["augment"] })).rejects.toThrow(
      "--by augment: no such axis in the 6 run(s); their grid axes: training.lr; tags: model, task, transfer (any spec path works too, e.g. training.mode)",
    );
    await expect(bestRunsTable(runs, withUpstream, { by: ["transfer", "transfer"] })).rejects.toThrow("--by transfer: given twice");
    const untagged = runs.map((r) => ({ ...r, spec: { ...r.spec, tags: { model: (r.spec.tags as JsonObject).model } } }));
    await expect(bestRunsTable(untagged, withUpstream)).rejects.toThrow(
      'of model "small": datasets {"name":"fashion-mnist"} and {"name":"fashion-mnist","options":{"perClass":5}} both go to column "Fashion-MNIST"; tell them apart with tags.task or --by',
    );
  });

  it("labels object-valued axes by what differs between their values (Table 3's augmentation pipelines)", async () => {
    const base = { train: [{ name: "random-resized-crop", options: { size: 32 } }, { name: "horizontal-flip" }], eval: [{ name: "resize-center-crop" }] };
    const pipelines = [base, { ...base, train: [...base.train, { name: "augmix" }] }, { ...base, train: [...base.train, { name: "rand-augment" }] }];
    const table = pipelines.map((augment, i) => run(`r${i}`, { name: "resnet18_mini.random" }, "aptos2019", { qwk: 0.5 + i / 10 }, { qwk: 0.25 * i }));
    for (const [i, r] of table.entries()) Object.assign(r.spec, { augment: pipelines[i], point: { augment: pipelines[i] } });
    const [row] = await bestRunsTable(table, lookups, { by: ["augment"] });
    expect(row.values).toEqual({
      "APTOS/random-resized-crop+horizontal-flip": 0,
      "APTOS/random-resized-crop+horizontal-flip+augmix": 0.25,
      "APTOS/random-resized-crop+horizontal-flip+rand-augment": 0.5,
    });
  });
});
