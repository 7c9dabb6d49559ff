/**
 * Section 5.2 and Tables 8-9 of Fang, Kornblith & Schmidt (2023): do CLIP backbones fine-tuned
 * the same way beat every ImageNet model, and does CLIP pre-training help ResNet-50 and ViT-B/16?
 * A training recipe, LP-FT as Appendix I describes it (`xfer run clip-transfer` runs the probes of
 * `clip-linear-probe` first, then fine-tunes the best probe of each pair), with that analysis as
 * its report (`xfer report clip-transfer`; `--results FILE` or `--paper` for other tables).
 * Rows whose model name starts with "CLIP" are CLIP models; all others are ImageNet models.
 */
import {
  buildReport, cell, DATASETS, defineAnalysisRecipe, paperTable, fromPrinted, toPercent,
  type AnalysisInput, type Claim, type DatasetName, type Figure, type ReportTable, type PaperRow, type PaperTable,
} from "../../core/analysis/index.ts";
import { InputError } from "../../core/errors.ts";
import type { JsonObject } from "../../core/contracts.ts";
import { PROSE, TABLE4, TABLE8_CLIP, TABLE9_CLIP_VS_IN, type PublishedRow } from "../../fixtures/paper/fang2023.ts";
import { defineRecipe } from "../../core/index.ts";
import { CLIP_MODELS, CLIP_SMOKE_MODELS, CLIP_SMOKE_TEMPLATE, clipTemplate, finetuneGrids } from "../shared/clip.ts";
import { PAPER_DATASETS } from "../shared/paper.ts";

const EMBEDDED = "paper Tables 4 and 8 (19 ImageNet + 6 CLIP models), as printed";
/** Table 9's pairs: the ImageNet model and the CLIP model with the same architecture. */
export const PAIRS = [
  { arch: "ResNet-50", imagenet: "ResNet-50", clip: "CLIP-RN50" },
  { arch: "ViT-B/16", imagenet: "ViT-B/16", clip: "CLIP-B16" },
] as const;

export function isClip(model: string): boolean {
  return /^clip/i.test(model);
}

function find(table: PaperTable, model: string): PaperRow {
  const row = table.rows.find((r) => r.model === model);
  if (!row) throw new InputError(table.source, `recipe "clip-transfer" needs a row for model "${model}" (Table 9's pairs)`);
  return row;
}

/** Per CLIP model and dataset: the CLIP value minus the best ImageNet model's value (0-100 scale). */
function margins(imagenet: readonly PaperRow[], clip: readonly PaperRow[], datasets: readonly DatasetName[]) {
  return clip.map((row) => ({
    model: row.model,
    margin: Object.fromEntries(datasets.map((d) => {
      const best = Math.max(...imagenet.map((r) => r.values[d]!));
      return [d, toPercent(d, row.values[d]! - best)];
    })) as Record<DatasetName, number>,
  }));
}

const COLUMNS = [{ key: "ImageNet", label: "ImageNet top-1" }, ...DATASETS.map((d) => ({ key: d, label: d }))];

/** The input's rows beside a published table's rows (Tables 8 and 9 print the fine-tuning results). */
function printedRowsTable(key: string, title: string, table: PaperTable, published: readonly PublishedRow[], rename: (m: string) => string): ReportTable {
  const reason = `recomputed from ${table.source}; the published cell comes from the paper's own runs`;
  return {
    key,
    title,
    rowLabel: "model",
    columns: COLUMNS.filter((c) => c.key === "ImageNet" || table.datasets.includes(c.key as DatasetName)),
    rows: published.map((p) => {
      const row = table.rows.find((r) => r.model === rename(p.model));
      const value = (k: string) => row === undefined ? null : k === "ImageNet" ? row.imagenetTop1 : row.values[k as DatasetName] ?? null;
      return {
        key: p.model,
        cells: Object.fromEntries(COLUMNS.map((c) => [c.key, cell(value(c.key), p[c.key as keyof PublishedRow], row === undefined ? `no row "${rename(p.model)}" in ${table.source}` : reason)])),
      };
    }),
  };
}

function claims(table: PaperTable, marginRows: ReturnType<typeof margins>): Claim[] {
  const beats = (model: string) => {
    const m = marginRows.find((r) => r.model === model);
    return m === undefined ? undefined : table.datasets.filter((d) => m.margin[d] > 0);
  };
  const out: Claim[] = [];
  const l336 = beats("CLIP-L14@336");
  if (l336 !== undefined) {
    out.push({
      key: "clip_l14_336_beats_all", statement: `Sec. 5.2: ${PROSE.clipL14At336}`,
      holds: l336.length === 6, detail: `beats every ImageNet model on ${l336.length}/${table.datasets.length}: ${l336.join(", ") || "none"}`,
    });
  }
  const l14 = beats("CLIP-L14");
  if (l14 !== undefined) {
    out.push({
      key: "clip_l14_beats_all_on_four", statement: `Sec. 5.2: ${PROSE.clipL14}`,
      holds: l14.length === 4, detail: `beats every ImageNet model on ${l14.length}/${table.datasets.length}: ${l14.join(", ") || "none"}`,
    });
  }
  const claimed: DatasetName[] = ["CCT20", "HPA", "Cassava"];
  const helped = PAIRS.map((p) => {
    const inRow = find(table, p.imagenet), clipRow = find(table, p.clip);
    return { arch: p.arch, datasets: table.datasets.filter((d) => clipRow.values[d]! > inRow.values[d]!) };
  });
  out.push({
    key: "clip_pretraining_helps_pairs", statement: `Sec. 5.2: ${PROSE.clipPairs}`,
    holds: helped.every((h) => claimed.every((d) => h.datasets.includes(d))),
    detail: helped.map((h) => `${h.arch}: CLIP better on ${h.datasets.join(", ") || "none"}`).join("; "),
  });
  return out;
}

function figure(imagenet: readonly PaperRow[], clip: readonly PaperRow[], datasets: readonly DatasetName[]): Figure {
  const values: JsonObject[] = [];
  for (const [family, rows] of [["ImageNet", imagenet], ["CLIP", clip]] as const) {
    for (const row of rows) {
      for (const d of datasets) values.push({ family, model: row.model, dataset: d, imagenet: row.imagenetTop1, value: toPercent(d, row.values[d]!) });
    }
  }
  return {
    key: "figure-clip",
    title: "CLIP vs ImageNet models",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      title: "Fine-tuned CLIP and ImageNet models: downstream metric (0-100) vs ImageNet top-1",
      data: { values },
      facet: { field: "dataset", type: "nominal", title: null, sort: [...datasets] },
      columns: 3,
      resolve: { scale: { y: "independent" } },
      spec: {
        width: 200, height: 160,
        mark: { type: "point", filled: true, size: 40 },
        encoding: {
          x: { field: "imagenet", type: "quantitative", scale: { zero: false }, title: "ImageNet top-1 (%)" },
          y: { field: "value", type: "quantitative", scale: { zero: false }, title: "metric (0-100)" },
          color: { field: "family", type: "nominal", title: "pre-training" },
          shape: { field: "family", type: "nominal", title: "pre-training" },
          tooltip: [{ field: "model" }, { field: "value" }],
        },
      },
    },
  };
}

export function analyzeClip(input: AnalysisInput) {
  const given = paperTable(input.results ?? fromPrinted(EMBEDDED, [...TABLE4, ...TABLE8_CLIP]), "clip-transfer");
  // Your CLIP runs alone (xfer report clip-transfer) are compared with the printed ImageNet models.
  const withPrinted = input.results !== undefined && !given.rows.some((r) => !isClip(r.model));
  const table = withPrinted ? { ...given, rows: [...given.rows, ...paperTable(fromPrinted("paper Table 4", TABLE4), "clip-transfer").rows] } : given;
  const clip = table.rows.filter((r) => isClip(r.model));
  const imagenet = table.rows.filter((r) => !isClip(r.model));
  if (clip.length === 0 || imagenet.length === 0) {
    throw new InputError(table.source, `recipe "clip-transfer" needs CLIP models (names starting with "CLIP") and ImageNet models; found ${clip.length} and ${imagenet.length}`);
  }
  const marginRows = margins(imagenet, clip, table.datasets);
  const tables: ReportTable[] = [];
  if (input.results !== undefined) {
    tables.push(printedRowsTable("table8", "Table 8: CLIP models fine-tuned (your results vs printed)", table, TABLE8_CLIP, (m) => m));
    tables.push(printedRowsTable("table9", "Table 9: CLIP vs ImageNet pre-training (your results vs printed)", table, TABLE9_CLIP_VS_IN, (m) => m.replace(/^IN-/, "")));
  }
  tables.push({
    key: "clip_margin",
    title: "CLIP model minus the best ImageNet model, per dataset (0-100 scale; > 0: beats every ImageNet model)",
    rowLabel: "model",
    columns: table.datasets.map((d) => ({ key: d, label: d })),
    rows: marginRows.map((m) => ({ key: m.model, cells: Object.fromEntries(table.datasets.map((d) => [d, cell(m.margin[d], null)])) })),
  });
  tables.push({
    key: "table9_difference",
    title: "Table 9 pairs: CLIP minus ImageNet pre-training, same architecture (0-100 scale)",
    rowLabel: "architecture",
    columns: [{ key: "ImageNet", label: "ImageNet top-1" }, ...table.datasets.map((d) => ({ key: d, label: d }))],
    rows: PAIRS.map((p) => {
      const inRow = find(table, p.imagenet), clipRow = find(table, p.clip);
      return {
        key: p.arch,
        cells: {
          ImageNet: cell(clipRow.imagenetTop1 - inRow.imagenetTop1, null),
          ...Object.fromEntries(table.datasets.map((d) => [d, cell(toPercent(d, clipRow.values[d]! - inRow.values[d]!), null)])),
        },
      };
    }),
  });
  const notes = input.results === undefined
    ? ["Tables 8 and 9 are this recipe's input here, so they are not compared with themselves; `xfer report clip-transfer` compares your runs with them."]
    : withPrinted ? [`${given.source} has no ImageNet models: they come from the paper's printed Table 4.`] : [];
  return buildReport({
    recipe: "clip-transfer",
    title: "CLIP transfer: Section 5.2, Tables 8 and 9",
    source: table.source,
    tables,
    claims: claims(table, marginRows),
    figures: [figure(imagenet, clip, table.datasets)],
    notes,
  });
}

/** Tables 8 and 9 as an analysis: of your runs (`xfer report`), a results table, or the printed tables. */
export const clipTransferAnalysis = defineAnalysisRecipe({
  name: "clip-transfer",
  description: "Section 5.2, Tables 8-9: which CLIP models beat every ImageNet model, and CLIP vs ImageNet pre-training",
  analyze: analyzeClip,
});

export default defineRecipe({
  name: "clip-transfer",
  description: "Section 5.2 / Appendix I: LP-FT of 6 CLIP towers on 6 datasets (best probe of clip-linear-probe, then 3 lr x 5 weight decay), Tables 8-9 as its report",
  template: clipTemplate("aptos2019", CLIP_MODELS[0]),
  grid: finetuneGrids(PAPER_DATASETS, CLIP_MODELS, "clip-linear-probe"),
  smoke: { template: CLIP_SMOKE_TEMPLATE, grid: finetuneGrids(["eurosat"], CLIP_SMOKE_MODELS, "clip-linear-probe", { smoke: true, lrs: [1e-4], weightDecays: [0] }) },
  report: { analysis: clipTransferAnalysis },
});
