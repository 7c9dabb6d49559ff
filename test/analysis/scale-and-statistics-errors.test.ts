// Nonsense refused through the CLI, as a user meets it: fractions where a known dataset's accuracy
// or ImageNet top-1 is in percent (slopes would be 100x too small), with the reason and the way to
// declare the scale; statistics that cannot be computed name the table (file) and the dataset.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const PAPER_HEADER = "model,imagenet_top1,CCT20,APTOS,HPA,Melanoma,Cassava,EuroSAT";

async function table(name: string, text: string) {
  const dir = await mkdtemp(join(tmpdir(), "xfer-nonsense-"));
  const file = join(dir, name);
  writeFileSync(file, text);
  return { dir, file };
}

function xfer(...args: string[]) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: run.status, err: run.stderr, last: run.stderr.trimEnd().split("\n").at(-1) ?? "" };
}

/** OLS slope of y on x. */
function slope(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length, my = y.reduce((a, b) => a + b, 0) / y.length;
  return x.reduce((a, xi, i) => a + (xi - mx) * (y[i] - my), 0) / x.reduce((a, xi) => a + (xi - mx) ** 2, 0);
}

describe("values on the wrong scale, through xfer run transfer-trends", () => {
  const imagenet = [71, 75, 80, 82];
  const eurosat = [0.98, 0.985, 0.99, 0.992];
  const csv = ["model,imagenet_top1,EuroSAT", ...imagenet.map((v, i) => `m${i},${v},${eurosat[i]}`)].join("\n") + "\n";

  it("refuses EuroSAT accuracies given as fractions, and reads them once declared 0-1", async () => {
    const { dir, file } = await table("fractions.csv", csv);
    const refused = xfer("run", "transfer-trends", "--results", file, "--out", dir);
    expect(refused.code).toBe(1);
    expect(refused.last).toBe(`xfer: ${file}, column "EuroSAT": all 4 value(s) are <= 1, but EuroSAT's accuracy is on 0-100 (dataset facts table): give percentages, or declare --scale EuroSAT=0-1`);

    const declared = xfer("run", "transfer-trends", "--results", file, "--scale", "EuroSAT=0-1", "--out", dir);
    expect(declared.code, declared.err).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, "transfer-trends", "report.json"), "utf8"));
    // The slope is in accuracy points (0-100) per ImageNet point: the fractions times 100.
    expect(report.trends.EuroSAT.slope_all.recomputed).toBeCloseTo(slope(imagenet, eurosat.map((v) => 100 * v)), 9);
    expect(report.notes.join("\n")).toMatch(/EuroSAT 0-1 \(set by --scale; EuroSAT's accuracy is usually on 0-100\)/);
  }, 60_000);

  it("refuses CCT20 accuracies and ImageNet top-1 given as fractions", async () => {
    const cct = await table("cct.csv", "model,imagenet_top1,cct20\na,71,0.6\nb,75,0.62\nc,80,0.65\n");
    expect(xfer("run", "transfer-trends", "--results", cct.file, "--out", cct.dir).last)
      .toBe(`xfer: ${cct.file}, column "cct20": all 3 value(s) are <= 1, but CCT20's accuracy is on 0-100 (dataset facts table): give percentages, or declare --scale cct20=0-1`);
    const top1 = await table("top1.csv", "model,imagenet_top1,EuroSAT\na,0.71,98\nb,0.75,98.5\nc,0.8,99\n");
    const run = xfer("run", "transfer-trends", "--results", top1.file, "--out", top1.dir);
    expect(run.code).toBe(1);
    expect(run.last).toBe(`xfer: ${top1.file}, column "imagenet_top1": all 3 value(s) are <= 1, but ImageNet top-1 is in percent (0-100): give percentages (e.g. 76.1, not 0.761)`);
  }, 60_000);
});

describe("statistics errors name the table and the dataset", () => {
  it("transfer-trends on one row and an empty column says why each fit is missing instead of failing", async () => {
    const { dir, file } = await table("one-row.csv", "model,imagenet_top1,EuroSAT,CCT20\na,71,98,\n");
    const run = xfer("run", "transfer-trends", "--results", file, "--out", dir);
    expect(run.code, run.err).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, "transfer-trends", "report.json"), "utf8"));
    expect(report.trends.EuroSAT.slope_all.reason).toBe("1 model(s) with a value; a fit needs at least 3");
    expect(report.trends.CCT20.slope_all.reason).toBe("0 model(s) with a value; a fit needs at least 3");
  }, 60_000);

  it("model-rankings on one row and on a constant column names the file and the dataset", async () => {
    const one = await table("one.csv", `${PAPER_HEADER}\na,70,60,0.9,0.5,0.9,80,98\n`);
    expect(xfer("run", "model-rankings", "--results", one.file, "--out", one.dir).last)
      .toBe(`xfer: ${one.file}, dataset CCT20 against ImageNet top-1: kendallTau: x needs at least 2 value(s), got 1`);
    const flat = await table("flat.csv", `${PAPER_HEADER}\na,70,60,0.9,0.5,0.9,80,98\nb,72,60,0.91,0.52,0.91,82,98.2\nc,74,60,0.92,0.55,0.95,83,98.4\n`);
    const run = xfer("run", "model-rankings", "--results", flat.file, "--out", flat.dir);
    expect(run.code).toBe(1);
    expect(run.last).toBe(`xfer: ${flat.file}, dataset CCT20 against ImageNet top-1: kendallTau: an input is constant; the correlation coefficient is undefined`);
  }, 60_000);

  it("real-world-average names the model and dataset of a metric whose logit is undefined, and the table of a fit with too few rows", async () => {
    const perfect = await table("perfect.csv", `${PAPER_HEADER}\na,70,60,0.9,0.5,0.9,80,98\nb,72,62,0.91,0.52,1,82,98.2\nc,74,64,0.92,0.55,0.95,83,98.4\nd,76,63,0.93,0.56,0.96,84,98.6\n`);
    expect(xfer("run", "real-world-average", "--results", perfect.file, "--out", perfect.dir).last)
      .toBe(`xfer: ${perfect.file}, model "b", dataset Melanoma: logit: p must lie in (0, 1), got 1`);
    const few = await table("few.csv", `${PAPER_HEADER}\na,70,60,0.9,0.5,0.9,80,98\nb,72,61,0.91,0.52,0.91,82,98.2\nc,74,63,0.92,0.55,0.95,83,98.4\n`);
    const run = xfer("run", "real-world-average", "--results", few.file, "--out", few.dir);
    expect(run.code).toBe(1);
    expect(run.last).toBe(`xfer: ${few.file}, target dataset CCT20: ols: no residual degrees of freedom (n = 3, rank = 3); need more observations than parameters`);
  }, 60_000);
});
