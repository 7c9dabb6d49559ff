// dataset-fid: its FID against pytorch-fid's scipy sqrtm formula on committed features, the
// chunked covariance, and `xfer run dataset-fid --smoke` as a process: the report, a rerun that
// reads every feature file back, and damaged or mismatched cache files recomputed.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSafetensors } from "../../core/formats/safetensors.ts";
import { SeedTree } from "../../core/rng.ts";
import { frechetDistanceFromStats, gaussianStats } from "../../core/stats/frechet.ts";
import { featureStats } from "../../recipes/dataset-fid/features.ts";
import recipe, { FID_MODEL, FID_SUBSET, REFERENCE, SMOKE, TABLE11_ROWS } from "../../recipes/dataset-fid/recipe.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import type { MeasureInput } from "../../core/measure.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const PARITY = resolve(import.meta.dirname, "../../fixtures/parity/fid");
const reference = JSON.parse(await readFile(join(PARITY, "fid-reference.json"), "utf8")) as { model: string; fid: Record<string, number> };
const expected = JSON.parse(await readFile(resolve(import.meta.dirname, "../../recipes/dataset-fid/expected.json"), "utf8")) as {
  datasets: number; subset: number; model: string; reference: string;
  smoke: { model: string; subset: number; referenceImages: number; measured: Record<string, { images: number; of: number }>; notMeasured: number };
};

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function features(file: string) {
  const t = readSafetensors(new Uint8Array(await readFile(file)), file).get("features")!;
  return { data: t.data, count: t.shape[0], dim: t.shape[1] };
}

describe("FID", () => {
  it("equals pytorch-fid's calculate_frechet_distance (scipy sqrtm) on the committed smoke features", async () => {
    const imagenet = featureStats(await features(join(PARITY, "imagenet-val.safetensors")), "imagenet-val");
    expect(Object.keys(reference.fid).sort()).toEqual(["aptos2019", "eurosat"]);
    for (const [dataset, expected] of Object.entries(reference.fid)) {
      const stats = featureStats(await features(join(PARITY, `${dataset}.safetensors`)), dataset);
      let scale = 0;
      for (let i = 0; i < stats.dim; i++) scale += stats.cov[i * stats.dim + i] + imagenet.cov[i * stats.dim + i];
      // fewer images than features: singular covariances, where sqrtm is accurate to ~1e-6 of the traces
      expect(Math.abs(frechetDistanceFromStats(stats, imagenet) - expected)).toBeLessThanOrEqual(1e-6 * scale);
    }
  });

  it("accumulates the covariance over chunks of rows as gaussianStats computes it at once", () => {
    const rng = new SeedTree(7).stream("fid-test");
    const n = 2500;
    const d = 3;
    const data = Float32Array.from({ length: n * d }, (_, i) => rng.normal() * (1 + (i % d)) + (i % d));
    const chunked = featureStats({ data, count: n, dim: d }, "test");
    const whole = gaussianStats({ data: Float64Array.from(data), rows: n, cols: d });
    for (let i = 0; i < d * d; i++) expect(chunked.cov[i]).toBeCloseTo(whole.cov[i], 10);
    for (let j = 0; j < d; j++) expect(chunked.mean[j]).toBeCloseTo(whole.mean[j], 12);
    expect(() => featureStats({ data: new Float32Array(3), count: 1, dim: 3 }, "one-image")).toThrow(/one-image: FID needs at least 2 images/);
  });

  it("maps every Table 11 dataset to a dataset plugin, and measures what expected.json records", () => {
    expect(TABLE11_ROWS.map((r) => r.plugin)).toEqual([
      "cct20", "aptos2019", "hpa", "cassava", "melanoma", "eurosat", "food101", "cifar10", "cifar100", "birdsnap", "sun397",
      "stanford-cars", "fgvc-aircraft", "voc2007", "dtd", "oxford-pets", "caltech101", "flowers102",
    ]);
    expect({ datasets: TABLE11_ROWS.length, subset: FID_SUBSET, model: FID_MODEL, reference: REFERENCE }).toEqual(
      { datasets: expected.datasets, subset: expected.subset, model: expected.model, reference: expected.reference });
    expect({ model: SMOKE.model, subset: SMOKE.subset }).toEqual({ model: expected.smoke.model, subset: expected.smoke.subset });
    expect(reference.model).toBe(SMOKE.model);
  });

  it("says what it needs before it starts: pytorch-fid's weights and the ImageNet validation set", async () => {
    const input = (smoke: boolean, dataRoots: Record<string, string>): MeasureInput => ({
      seed: 0, smoke, dataRoots, weights: {}, registry: builtinRegistry(),
      datasetContext: () => { throw new Error("not reached"); },
      files: { read: async () => undefined, write: async () => {}, where: (name) => name },
      log: () => {},
    });
    await expect(recipe.measure(input(false, { "imagenet-val": "/data/val" }))).rejects.toThrow(/needs pytorch-fid's Inception weights: set weights\["inception_v3\.pytorch_fid"\]/);
    await expect(recipe.measure(input(true, { aptos2019: "/data/aptos" }))).rejects.toThrow(/set dataRoots\["imagenet-val"\] in your config/);
  });
});

interface Report {
  table11: Record<string, { fid: { recomputed: number | null; published: string; reason?: string } }>;
  measured: { plugin: string; fid: number; images: number; of: number; features: string; from: string }[];
  missing: { dataset: string; reason: string }[];
  reference: { images: number };
}

describe("xfer run dataset-fid --smoke", () => {
  it("reports FID per dataset against Table 11, reuses every cached feature file, recomputes damaged ones", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-dataset-fid-"));
    dirs.push(out);
    const run = () => {
      const r = spawnSync(process.execPath, [XFER, "run", "dataset-fid", "--smoke", "--out", out], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const dir = join(out, "dataset-fid");
    const readReport = async () => JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as Report;

    const first = run();
    expect(first.match(/features computed into/g)).toHaveLength(3);
    const report = await readReport();
    expect(Object.fromEntries(report.measured.map((m) => [m.plugin, { images: m.images, of: m.of }]))).toEqual(expected.smoke.measured);
    expect(report.reference.images).toBe(expected.smoke.referenceImages);
    for (const m of report.measured) expect(m.fid).toBeCloseTo(reference.fid[m.plugin], 4);
    expect(report.table11.APTOS.fid).toMatchObject({ recomputed: report.measured[0].fid, published: "196.24", reason: expect.stringMatching(/smoke run/) });
    expect(report.missing).toHaveLength(expected.smoke.notMeasured);
    expect(report.table11["CCT-20"].fid).toMatchObject({ recomputed: null, reason: "not measured: not part of --smoke (APTOS, EuroSAT)" });
    for (const file of ["report.md", "table11.csv", "figure3.svg", "figure3.png", "report.html"]) expect((await stat(join(dir, file))).size).toBeGreaterThan(0);

    const files = [report.measured[0].features, report.measured[1].features].map((f) => join(dir, f));
    const mtimes = await Promise.all(files.map(async (f) => (await stat(f)).mtimeMs));
    const second = run();
    expect(second).not.toMatch(/computed into/);
    expect(second.match(/features read from/g)).toHaveLength(3);
    expect(await Promise.all(files.map(async (f) => (await stat(f)).mtimeMs))).toEqual(mtimes);
    expect((await readReport()).measured.map((m) => m.fid)).toEqual(report.measured.map((m) => m.fid));

    // a truncated file, and another dataset's valid file under this one's name
    const aptos = await readFile(files[0]);
    await writeFile(files[0], aptos.subarray(0, 100));
    await writeFile(files[1], aptos);
    const third = run();
    expect(third).toMatch(/aptos2019\.[0-9a-f]{16}\.safetensors: damaged \(.*\); recomputing these features/);
    expect(third).toMatch(/eurosat\.[0-9a-f]{16}\.safetensors: holds the features of another model, dataset or subset .*; recomputing/);
    expect(third.match(/features computed into/g)).toHaveLength(2);
    expect((await readReport()).measured.map((m) => m.fid)).toEqual(report.measured.map((m) => m.fid));
  }, 180_000);
});
