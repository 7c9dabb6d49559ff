// The trend analysis from the CLI, as a user runs it: on a made-up results table (task names the
// paper never had, a 0-1 and a 0-100 metric, log10 parameters as x) it writes the same kinds of
// report files as the paper's run, with numbers equal to closed-form Pearson r and OLS slope
// computed here, and it leaves the user's files in the out folder as they were.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");

function xfer(...args: string[]) {
  return spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8" });
}

/** Made-up models: parameter counts, a 0-1 grade agreement and a leaf-disease accuracy in percent. */
const MODELS = [
  { model: "net-a", params: 12_000, retina_grade: 0.61, leaf_disease: 71.5 },
  { model: "net-b", params: 55_000, retina_grade: 0.66, leaf_disease: 74.25 },
  { model: "net-c", params: 180_000, retina_grade: 0.64, leaf_disease: 79 },
  { model: "net-d", params: 1_200_000, retina_grade: 0.72, leaf_disease: 78.5 },
  { model: "net-e", params: 9_500_000, retina_grade: 0.75, leaf_disease: 83.75 },
  { model: "net-f", params: 25_000_000, retina_grade: 0.74, leaf_disease: 86 },
];

/** Closed-form Pearson r and OLS slope of y on x. */
function pearsonAndSlope(x: readonly number[], y: readonly number[]) {
  const mx = x.reduce((a, b) => a + b, 0) / x.length, my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0, sxx = 0, syy = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i] - my);
    sxx += (xi - mx) ** 2;
    syy += (y[i] - my) ** 2;
  });
  return { r: sxy / Math.sqrt(sxx * syy), slope: sxy / sxx };
}

const kinds = (files: readonly string[]) => new Set(files.map((f) => (f.endsWith(".vl.json") ? ".vl.json" : f.slice(f.lastIndexOf(".")))));

describe("xfer run transfer-trends on a table that is not the paper's", () => {
  it("writes the paper run's kinds of report files, with r and slope equal to closed-form values, and keeps the user's files", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-madeup-"));
    const folder = join(out, "transfer-trends");
    mkdirSync(folder);
    const csv = ["model,params,retina_grade,leaf_disease", ...MODELS.map((m) => [m.model, m.params, m.retina_grade, m.leaf_disease].join(","))].join("\n") + "\n";
    const input = join(folder, "made-up.csv");
    writeFileSync(input, csv);
    writeFileSync(join(folder, "notes.txt"), "my notes\n");

    const run = xfer("run", "transfer-trends", "--results", input, "--x", "log10_params", "--out", out);
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(input, "utf8")).toBe(csv);
    expect(readFileSync(join(folder, "notes.txt"), "utf8")).toBe("my notes\n");
    const files = readdirSync(folder).filter((f) => f !== "made-up.csv" && f !== "notes.txt").sort();
    expect(files).toEqual(["figure1.png", "figure1.svg", "figure1.vl.json", "report.html", "report.json", "report.md", "results.csv", "trends.csv"]);

    const paperOut = await mkdtemp(join(tmpdir(), "xfer-paper-"));
    const paper = xfer("run", "transfer-trends", "--out", paperOut);
    expect(paper.status, paper.stderr).toBe(0);
    expect(kinds(files)).toEqual(kinds(readdirSync(join(paperOut, "transfer-trends"))));

    const json = JSON.parse(readFileSync(join(folder, "report.json"), "utf8"));
    const x = MODELS.map((m) => Math.log10(m.params));
    for (const [task, y] of [["retina_grade", MODELS.map((m) => 100 * m.retina_grade)], ["leaf_disease", MODELS.map((m) => m.leaf_disease)]] as const) {
      const expected = pearsonAndSlope(x, y);
      expect(json.trends[task].r_all.recomputed).toBeCloseTo(expected.r, 10);
      expect(json.trends[task].slope_all.recomputed).toBeCloseTo(expected.slope, 9);
      expect(json.trends[task].n_all.recomputed).toBe(MODELS.length);
      expect(json.trends[task]).not.toHaveProperty("r_above"); // no threshold unless --threshold
    }
    expect(json.x).toBe("log10_params");
    expect(json.threshold).toBeNull();
    expect(json).not.toHaveProperty("table2");
    expect(json.notes.join("\n")).toMatch(/retina_grade 0-1 \(inferred: every value lies in \[0, 1\]\); leaf_disease 0-100 \(inferred/);
    expect(json.notes.join("\n")).toMatch(/No threshold on log10_params: fits over all models only/);
    // Each point is labelled with its model in the figure.
    expect(readFileSync(join(folder, "figure1.svg"), "utf8")).toContain("net-e");
    expect(readFileSync(join(folder, "report.md"), "utf8")).toMatch(/\| retina_grade \|/);

    // --threshold adds the fits above it; --scale names a task's scale explicitly.
    const again = xfer("run", "transfer-trends", "--results", input, "--x", "log10_params", "--threshold", "5", "--scale", "retina_grade=0-1", "--out", out);
    expect(again.status, again.stderr).toBe(0);
    const above = JSON.parse(readFileSync(join(folder, "report.json"), "utf8"));
    const big = MODELS.filter((m) => Math.log10(m.params) > 5);
    const expected = pearsonAndSlope(big.map((m) => Math.log10(m.params)), big.map((m) => m.leaf_disease));
    expect(above.trends.leaf_disease.slope_above.recomputed).toBeCloseTo(expected.slope, 9);
    expect(above.notes.join("\n")).toMatch(/retina_grade 0-1 \(set by --scale\)/);
    expect(readFileSync(input, "utf8")).toBe(csv);
  }, 60_000);

  it("names file, line and column of a value outside its scale, and writes nothing", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-madeup-bad-"));
    const input = join(out, "bad.csv");
    writeFileSync(input, "model,params,retina_grade\na,100,0.5\nb,1000,1.5\nc,10000,0.7\n");
    const run = xfer("run", "transfer-trends", "--results", input, "--x", "log10_params", "--scale", "retina_grade=0-1", "--out", out);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/bad\.csv, line 3: column "retina_grade" is 1\.5, outside 0-1/);
    expect(readdirSync(out)).toEqual(["bad.csv"]);
  });
});
