// Results files: parsing through csv-parse + core checks, with errors that name line and column.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { column, DATASETS, datasetForColumn, fromPrinted, paperTable, parseResultsTable, requireDatasets, withValues } from "../../core/analysis/index.ts";
import { InputError } from "../../core/errors.ts";
import { TABLE4 } from "../../fixtures/paper/fang2023.ts";
import { parseDelimited } from "../../plugins/platform/node/results-csv.ts";

const SEED = 6_2026;
const HEADER = "model,imagenet_top1,CCT20,APTOS,HPA,Melanoma,Cassava,EuroSAT";

function parse(text: string) {
  return paperTable(parseResultsTable(parseDelimited("runs.csv", text)), "real-world-average");
}

function parseAny(text: string, options: Parameters<typeof parseResultsTable>[1] = {}) {
  return parseResultsTable(parseDelimited("runs.csv", text), options);
}

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error("expected an InputError");
}

describe("results CSV", () => {
  it("reads models, ImageNet top-1 and each dataset on Table 4's scales", () => {
    const table = parse(`${HEADER}\nAlexNet,56.5,63.59,0.8835,0.3846,0.9283,82.58,97.93\n"Net, v2",60,70,0.9,0.5,0.93,85,98.5\n`);
    expect(table.datasets).toEqual([...DATASETS]);
    expect(table.rows.map((r) => r.model)).toEqual(["AlexNet", "Net, v2"]);
    expect(table.rows[0].imagenetTop1).toBe(56.5);
    expect(table.rows[0].values).toEqual({ CCT20: 63.59, APTOS: 0.8835, HPA: 0.3846, Melanoma: 0.9283, Cassava: 82.58, EuroSAT: 97.93 });
  });

  it("accepts dataset aliases and a subset of datasets, and tab-separated files", () => {
    const table = parse("model\timagenet_top1\taptos2019\tEuroSAT\na\t70\t0.9\t99\nb\t75\t0.91\t99.1\n");
    expect(table.datasets).toEqual(["APTOS", "EuroSAT"]);
    expect(datasetForColumn("Caltech Camera Traps")).toBe("CCT20");
    expect(() => requireDatasets(table, ["APTOS", "HPA"], "real-world-average")).toThrow(/needs column\(s\) "HPA"/);
  });

  it("names the missing column", () => {
    const e = errorOf(() => parse("model,CCT20\na,70\n"));
    expect(e.message).toMatch(/runs\.csv, line 1: missing column "imagenet_top1"; choose another x column with --x/);
    expect(errorOf(() => parse("imagenet_top1,CCT20\n70,70\n")).message).toMatch(/missing column "model"/);
  });

  it("names row and column of a non-numeric or empty cell", () => {
    const e = errorOf(() => parse(`${HEADER}\na,70,70,0.9,0.5,0.9,85,98\nb,71,70,n/a,0.5,0.9,85,98\n`));
    expect(e.message).toMatch(/runs\.csv, line 3: column "APTOS" must be a number, got "n\/a"/);
    expect(errorOf(() => parse(`${HEADER}\na,,70,0.9,0.5,0.9,85,98\n`)).message).toMatch(/line 2: column "imagenet_top1" is empty \(model "a"\); recipe "real-world-average" needs every model's ImageNet top-1/);
  });

  it("reads an empty dataset cell as a missing result; analyses that need it name the model", () => {
    const table = parse(`${HEADER}\na,70,70,0.9,,0.9,85,98\nb,75,72,0.91,0.6,0.95,86,99\n`);
    expect(table.rows[0].values.HPA).toBeUndefined();
    expect(withValues(table, "HPA").rows.map((r) => r.model)).toEqual(["b"]);
    expect(errorOf(() => column(table, "HPA")).message).toMatch(/runs\.csv: model "a" has no HPA value \(empty cell\)/);
  });

  it("names an unknown dataset column and lists the valid names", () => {
    const e = errorOf(() => parse("model,imagenet_top1,CCT20,ImageNetV2\na,70,70,60\n"));
    expect(e.message).toMatch(/line 1, column "ImageNetV2": recipe "real-world-average" reads the paper's datasets; unknown dataset name; valid dataset names: CCT20, APTOS, HPA, Melanoma, Cassava, EuroSAT/);
  });

  it("catches a 0-1 metric given in percent, duplicate models and ragged rows", () => {
    expect(errorOf(() => parse("model,imagenet_top1,APTOS\na,70,91.2\n")).message).toMatch(/line 2: column "APTOS" is 91.2, outside 0-1 \(APTOS is a quadratic weighted kappa on 0-1; for percentages declare --scale APTOS=0-100\)/);
    expect(errorOf(() => parse("model,imagenet_top1,CCT20\na,70,70\na,71,72\n")).message).toMatch(/line 3: model "a" appears twice/);
    expect(errorOf(() => parse("model,imagenet_top1,CCT20\na,70\n")).message).toMatch(/line 2: has 2 fields, the header has 3/);
  });

  it("round-trips any valid table through CSV text (property)", () => {
    // Percent columns keep a value above 1: a column of fractions where percent is expected is refused (below).
    const value = (max: number) => fc.double({ min: max === 100 ? 1 : 0, minExcluded: max === 100, max, noNaN: true });
    const row = fc.tuple(
      fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s && s.trim() !== "" && !/[\r\n]/.test(s)),
      value(100), value(100), value(1), value(1), value(1), value(100), value(100),
    );
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
    fc.assert(fc.property(fc.uniqueArray(row, { minLength: 1, maxLength: 8, selector: (r) => r[0] }), (rows) => {
      const text = [HEADER, ...rows.map(([m, ...v]) => [quote(m), ...v.map(String)].join(","))].join("\n");
      const table = parse(text);
      expect(table.rows.map((r) => [r.model, r.imagenetTop1, ...DATASETS.map((d) => r.values[d])])).toEqual(rows);
    }), { seed: SEED, numRuns: 60 });
  });

  it("parses the embedded Table 4 through the same checks", () => {
    const table = fromPrinted("Table 4", TABLE4);
    expect(table.rows).toHaveLength(19);
    expect(table.rows.find((r) => r.model === "ResNet-50")?.values.Melanoma).toBe(0.9524);
  });
});

describe("results tables with any tasks", () => {
  it("takes any task names; a known dataset's scale comes from the facts table, others are inferred or set by --scale", () => {
    const table = parseAny("model,params,retina_grade,leaf_disease,aptos2019,odd\na,1000,0.5,70,0.8,0.2\nb,10000,0.6,80.5,0.9,0.3\n", { x: "log10_params", scales: { odd: "percent" } });
    expect(table.x).toBe("log10_params");
    expect(table.descriptors).toEqual(expect.arrayContaining(["params", "log10_params"]));
    expect(table.rows.map((r) => r.descriptors.log10_params)).toEqual([3, 4]);
    expect(Object.fromEntries(table.tasks.map((t) => [t.name, [t.scale, t.scaleSource]]))).toEqual({
      retina_grade: ["unit", "inferred: every value lies in [0, 1]"],
      leaf_disease: ["percent", "inferred: values above 1"],
      APTOS: ["unit", "quadratic weighted kappa, from the dataset facts table"],
      odd: ["percent", "set by --scale"],
    });
  });

  it("names file, line and column of a value outside its scale", () => {
    expect(errorOf(() => parseAny("model,imagenet_top1,leaf\na,70,50\nb,71,150\n")).message).toMatch(/runs\.csv, line 3: column "leaf" is 150, outside 0-100/);
    expect(errorOf(() => parseAny("model,imagenet_top1,leaf\na,70,0.5\nb,71,2\n", { scales: { leaf: "unit" } })).message).toMatch(/line 3: column "leaf" is 2, outside 0-1/);
    expect(() => parseAny("model,imagenet_top1,APTOS\na,70,0.5\n", { scales: { nope: "unit" } })).toThrow(/--scale nope: runs\.csv has no task column "nope"/);
    expect(errorOf(() => parseAny("model,params,t\na,0,0.5\n", { x: "log10_params" })).message).toMatch(/line 2: column "params" is 0; a parameter count is positive/);
    expect(errorOf(() => parseAny("model,t\na,0.5\n", { x: "log10_params" })).message).toMatch(/missing column "log10_params" \(or "params", from which it is derived\)/);
  });
});

describe("values on the wrong scale", () => {
  it("refuses fractions where a known dataset's accuracy is in percent, saying how to declare the scale", () => {
    const fractions = "model,imagenet_top1,EuroSAT,CCT20\na,71,0.98,70\nb,75,0.985,72\nc,80,,74\n";
    expect(errorOf(() => parseAny(fractions)).message)
      .toBe('runs.csv, column "EuroSAT": all 2 value(s) are <= 1, but EuroSAT\'s accuracy is on 0-100 (dataset facts table): give percentages, or declare --scale EuroSAT=0-1');
    // Declared, the fractions are read on 0-1; the paper's recipes still see EuroSAT in percent.
    const declared = parseAny(fractions, { scales: { EuroSAT: "unit" } });
    expect(declared.tasks.find((t) => t.name === "EuroSAT")).toMatchObject({ scale: "unit", scaleSource: "set by --scale; EuroSAT's accuracy is usually on 0-100" });
    expect(paperTable(declared, "real-world-average").rows.map((r) => r.values.EuroSAT)).toEqual([98, 98.5, undefined]);
    // A column of zeros says nothing about its scale; a single value above 1 makes it percent.
    expect(parseAny("model,imagenet_top1,EuroSAT\na,71,0\nb,75,0\n").tasks[0].scale).toBe("percent");
    expect(parseAny("model,imagenet_top1,EuroSAT\na,71,0.5\nb,75,1.5\n").tasks[0].scale).toBe("percent");
  });

  it("accepts a 0-1 dataset declared in percent, and reads it back on 0-1 for the paper's recipes", () => {
    const table = parseAny("model,imagenet_top1,APTOS\na,70,88\nb,72,90\n", { scales: { APTOS: "percent" } });
    expect(table.tasks[0]).toMatchObject({ scale: "percent", scaleSource: "set by --scale; APTOS's quadratic weighted kappa is usually on 0-1" });
    expect(paperTable(table, "model-rankings").rows.map((r) => r.values.APTOS)).toEqual([0.88, 0.9]);
  });

  it("refuses ImageNet top-1 given as fractions", () => {
    expect(errorOf(() => parseAny("model,imagenet_top1,EuroSAT\na,0.71,98\nb,0.765,99\n")).message)
      .toBe('runs.csv, column "imagenet_top1": all 2 value(s) are <= 1, but ImageNet top-1 is in percent (0-100): give percentages (e.g. 76.1, not 0.761)');
  });
});
