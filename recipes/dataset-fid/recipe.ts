/**
 * Appendix L, Table 11 and Figure 3 of Fang, Kornblith & Schmidt (2023): how far each dataset lies
 * from ImageNet, as the FID between the ILSVRC2012 validation set (all of it) and the dataset
 * subsampled to 3,662 images (APTOS's size) with a seeded draw, in pytorch-fid's Inception pool3
 * features. Measures every dataset of Table 11 (the paper's six and Kornblith et al.'s twelve)
 * that the config's dataRoots name; the others are listed as not measured, with why.
 */
import type { JsonObject } from "../../core/contracts.ts";
import { buildReport, cell, datasetFacts, type Figure, type ReportTable } from "../../core/analysis/index.ts";
import { XferError } from "../../core/errors.ts";
import { defineMeasureRecipe, type MeasureInput } from "../../core/measure.ts";
import { SeedTree } from "../../core/rng.ts";
import { frechetDistanceFromStats } from "../../core/stats/frechet.ts";
import { TABLE11_FID } from "../../fixtures/paper/fang2023.ts";
import { cachedFeatures, featureStats, fidModel, type CachedFeatures, type FeatureSource, type FidModel } from "./features.ts";

/** APTOS 2019's size: every other dataset is subsampled to it (Appendix L). */
export const FID_SUBSET = 3662;
export const FID_MODEL = "inception_v3.pytorch_fid";
/** pytorch-fid's Inception keeps the TF graph's 1008-way classifier (the features do not use it). */
const FID_CLASSES = 1008;
export const REFERENCE = "imagenet-val";

/** --smoke: the random-init mini Inception on two fixtures, subsampled to 10 of their images (two feature batches). */
export const SMOKE = { model: "fid_inception_mini.random", subset: 10, datasets: ["APTOS", "EuroSAT"], reference: { allowEmptyClasses: true } } as const;

export interface Table11Row {
  /** As Table 11 prints it. */
  readonly dataset: string;
  readonly plugin: string;
  /** The paper's six real-world datasets, or Kornblith et al. (2019)'s. */
  readonly group: "Fang et al. (2023)" | "Kornblith et al. (2019)";
  readonly published: string;
}

export const TABLE11_ROWS: readonly Table11Row[] = TABLE11_FID.map(({ dataset, fid }) => {
  const facts = datasetFacts(dataset);
  if (facts === undefined) throw new XferError(`dataset-fid: Table 11's "${dataset}" names no dataset of the facts table (core/analysis/datasets.ts)`);
  return { dataset, plugin: facts.plugin, group: facts.paper ? "Fang et al. (2023)" : "Kornblith et al. (2019)", published: fid };
});

interface Measured {
  readonly row: Table11Row;
  readonly fid: number;
  readonly images: number;
  readonly of: number;
  readonly features: CachedFeatures;
}
interface Missing {
  readonly row: Table11Row;
  readonly reason: string;
}

/** The first `size` positions of a seeded shuffle, back in index order; everything when smaller. */
export function subsetPositions(count: number, size: number, seed: number, dataset: string): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  if (count <= size) return all;
  return new SeedTree(seed).stream("fid-subset", dataset).shuffle(all).slice(0, size).sort((a, b) => a - b);
}

async function source(input: MeasureInput, name: string, options: JsonObject, root: string, subset: number | undefined): Promise<FeatureSource & { of: number }> {
  const dataset = await input.registry.create("dataset", { name, options }, { seeds: new SeedTree(input.seed) });
  const ctx = input.datasetContext(root);
  const { samples } = await dataset.index(ctx);
  const picked = subset === undefined ? samples : subsetPositions(samples.length, subset, input.seed, name).map((i) => samples[i]);
  return { reference: { name, options }, dataset, ctx, samples: picked, of: samples.length };
}

/** Why a dataset cannot be measured here, or its data root. */
function rootOf(input: MeasureInput, row: Table11Row): { root: string } | { reason: string } {
  if (input.smoke && !(SMOKE.datasets as readonly string[]).includes(row.dataset)) return { reason: `not part of --smoke (${SMOKE.datasets.join(", ")})` };
  if (!input.registry.has("dataset", row.plugin)) return { reason: `no dataset plugin "${row.plugin}" in this xfer` };
  const root = input.dataRoots[row.plugin];
  return root === undefined ? { reason: `no dataRoots["${row.plugin}"] in your config` } : { root };
}

export default defineMeasureRecipe({
  name: "dataset-fid",
  description: "Fang et al. Table 11 / Figure 3 (App. L): FID of each dataset (3,662 images) against the ImageNet validation set",
  async measure(input) {
    const modelId = input.smoke ? SMOKE.model : FID_MODEL;
    const subset = input.smoke ? SMOKE.subset : FID_SUBSET;
    const weights = input.weights[modelId];
    if (!input.smoke && weights === undefined) {
      throw new XferError(`dataset-fid needs pytorch-fid's Inception weights: set weights["${FID_MODEL}"] in your config to pt_inception-2015-12-05-6726825d.pth (docs/backbones.md)`);
    }
    const referenceRoot = input.dataRoots[REFERENCE];
    if (referenceRoot === undefined) {
      throw new XferError(`dataset-fid measures every dataset against the ILSVRC2012 validation set: set dataRoots["${REFERENCE}"] in your config (docs/datasets.md, imagenet-val)`);
    }
    const backbone = await input.registry.create("backbone", { name: modelId, ...(weights === undefined ? {} : { options: { weights } }) }, { seeds: new SeedTree(input.seed), numClasses: FID_CLASSES });
    const measured: Measured[] = [];
    const missing: Missing[] = [];
    let model: FidModel;
    let reference: CachedFeatures;
    try {
      model = fidModel(backbone);
      const features = async (from: FeatureSource & { of: number }, label: string) => {
        const got = await cachedFeatures(model, from, input.files, input.log);
        input.log(`dataset-fid: ${label}: ${got.count} of ${from.of} images, features ${got.from === "cache" ? "read from" : "computed into"} ${got.file}`);
        return got;
      };
      reference = await features(await source(input, REFERENCE, input.smoke ? { ...SMOKE.reference } : {}, referenceRoot, undefined), "ImageNet val");
      const referenceStats = featureStats(reference, REFERENCE);
      for (const row of TABLE11_ROWS) {
        const at = rootOf(input, row);
        if ("reason" in at) {
          missing.push({ row, reason: at.reason });
          continue;
        }
        const from = await source(input, row.plugin, {}, at.root, subset);
        const got = await features(from, row.dataset);
        const fid = frechetDistanceFromStats(featureStats(got, row.plugin), referenceStats);
        measured.push({ row, fid, images: got.count, of: from.of, features: got });
      }
    } finally {
      backbone.dispose();
    }
    return fidReport(input, model, reference, measured, missing, subset);
  },
});

function fidReport(input: MeasureInput, model: FidModel, reference: CachedFeatures, measured: readonly Measured[], missing: readonly Missing[], subset: number) {
  const whyNot = input.smoke
    ? "smoke run: a random-init mini Inception on xfer's fixtures, not pytorch-fid's weights on the data"
    : `the authors' 3,662-image draws are not published; this run draws with seed ${input.seed}`;
  const byDataset = new Map(measured.map((m) => [m.row.dataset, m]));
  const table11: ReportTable = {
    key: "table11",
    title: "Table 11: FID against the ImageNet validation set",
    rowLabel: "dataset",
    columns: [{ key: "fid", label: "FID" }, { key: "images", label: "images" }],
    rows: TABLE11_ROWS.map((row) => {
      const m = byDataset.get(row.dataset);
      const notMeasured = missing.find((x) => x.row === row);
      return {
        key: row.dataset,
        cells: {
          fid: m ? cell(m.fid, row.published, whyNot) : cell(null, row.published, `not measured: ${notMeasured!.reason}`),
          images: cell(m ? m.images : null, null),
        },
      };
    }),
    notes: [`each dataset subsampled to ${subset.toLocaleString("en-US")} images (all of it when smaller) with the seeded stream "fid-subset/<dataset>" (seed ${input.seed}); ImageNet val whole (${reference.count} images)`],
  };
  const notes = [
    `features: ${model.id} (weights SHA-256 ${model.weightsSha256.slice(0, 16)}…), pool3, images decoded to [0, 1] RGB and resized bilinearly to its input as pytorch-fid does`,
    `measured ${measured.length} of ${TABLE11_ROWS.length} datasets of Table 11${measured.length > 0 ? `: ${measured.map((m) => m.row.dataset).join(", ")}` : ""}`,
    ...[...new Set(missing.map((m) => m.reason))].map((reason) => `not measured (${reason}): ${missing.filter((m) => m.reason === reason).map((m) => m.row.dataset).join(", ")}`),
  ];
  return buildReport({
    recipe: "dataset-fid",
    title: "FID between each dataset and ImageNet (Fang et al. 2023, Appendix L)",
    source: input.smoke ? "--smoke: xfer's fixtures" : "your datasets (config dataRoots)",
    tables: [table11],
    figures: [figure3(measured)],
    notes,
    extra: {
      model: { id: model.id, weightsSha256: model.weightsSha256 },
      reference: { dataset: REFERENCE, images: reference.count, features: reference.file },
      measured: measured.map((m) => ({ dataset: m.row.dataset, plugin: m.row.plugin, fid: m.fid, images: m.images, of: m.of, features: m.features.file, from: m.features.from })),
      missing: missing.map((m) => ({ dataset: m.row.dataset, plugin: m.row.plugin, reason: m.reason })),
    },
  });
}

/** Figure 3: FID per dataset, coloured by study, this run's bar beside the published one. */
function figure3(measured: readonly Measured[]): Figure {
  const values = TABLE11_ROWS.flatMap((row) => {
    const m = measured.find((x) => x.row === row);
    const published = { dataset: row.dataset, study: row.group, source: "published (Table 11)", fid: Number(row.published) };
    return m ? [{ ...published, source: "this run", fid: m.fid }, published] : [published];
  });
  return {
    key: "figure3",
    title: "Figure 3: FID against ImageNet per dataset",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      width: { step: 26 },
      height: 240,
      data: { values },
      mark: { type: "bar" },
      encoding: {
        x: { field: "dataset", type: "nominal", sort: TABLE11_ROWS.map((r) => r.dataset), title: null, axis: { labelAngle: -45 } },
        xOffset: { field: "source", type: "nominal", sort: ["this run", "published (Table 11)"] },
        y: { field: "fid", type: "quantitative", title: "FID to ImageNet val" },
        color: { field: "study", type: "nominal", title: "datasets of", legend: { labelLimit: 240 } },
        opacity: { field: "source", type: "ordinal", scale: { domain: ["this run", "published (Table 11)"], range: [1, 0.4] }, title: "bar", legend: { labelLimit: 240 } },
        tooltip: [{ field: "dataset" }, { field: "source" }, { field: "fid", format: ".2f" }],
      },
    },
  };
}
