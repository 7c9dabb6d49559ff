/**
 * Entezari et al., "The role of pre-training data in transfer learning", Figure 1's analysis: for
 * each downstream dataset and number of fine-tuning shots, how far apart are the pre-training
 * sources? Gap = (best - worst) / best accuracy across sources, where each source's accuracy is
 * its best over the fine-tuning hyperparameters tried; then the gap aggregated over datasets.
 *
 * Input only from `--results FILE`: the authors' results table (tab-separated; columns loss, arch,
 * us, ds, us_epochs, ..., one column per number of shots). See README.md for where it is published.
 */
import { buildReport, cell, defineAnalysisRecipe, isDecimal, type AnalysisInput, type Claim, type RawTable } from "../../core/analysis/index.ts";
import type { JsonObject } from "../../core/contracts.ts";
import { InputError, XferError } from "../../core/errors.ts";

/** The runs compared: CLIP-loss ResNet-50s pre-trained 16 epochs on these seven sources. */
export const SELECTION = {
  loss: "CLIP",
  arch: "RN50",
  us_epochs: "16",
  sources: ["CC12m", "CC3m", "LAION2.7m", "Redcaps2.7m", "Shutterstock2.7m", "WIT2.7m", "YFCC2.7m"],
} as const;

/** Fine-tuning shot columns in plot order; "zero" (zero-shot) is not fine-tuning and is left out. */
export const SHOTS = ["1", "5", "10", "20", "full"] as const;
const REQUIRED = ["loss", "arch", "us", "ds", "us_epochs"] as const;

export interface Gap {
  readonly sources: number;
  readonly best: number;
  readonly bestSource: string;
  readonly worst: number;
  readonly worstSource: string;
  readonly relativeGap: number;
}

/** Best accuracy per (downstream, shots, source) over the selected runs; "Nan" and empty cells are missing. */
export function bestPerSource(file: RawTable): Map<string, Map<string, Map<string, number>>> {
  const index = new Map(file.header.map((h, i) => [h, i] as const));
  for (const name of [...REQUIRED, ...SHOTS]) {
    if (!index.has(name)) {
      throw new InputError(`${file.source}, line 1`, `missing column "${name}"; expected Entezari et al.'s results table (columns ${[...REQUIRED, ...SHOTS].join(", ")}, ...)`);
    }
  }
  const best = new Map<string, Map<string, Map<string, number>>>();
  file.records.forEach((record, i) => {
    const where = `${file.source}, line ${i + 2}`;
    if (record.length !== file.header.length) throw new InputError(where, `has ${record.length} fields, the header has ${file.header.length}`);
    const get = (name: string) => record[index.get(name)!].trim();
    if (get("loss") !== SELECTION.loss || get("arch") !== SELECTION.arch || get("us_epochs") !== SELECTION.us_epochs) return;
    const source = get("us");
    if (!(SELECTION.sources as readonly string[]).includes(source)) return;
    const ds = get("ds");
    if (ds === "") throw new InputError(where, `column "ds" is empty`);
    for (const shots of SHOTS) {
      const text = get(shots);
      if (text === "" || text.toLowerCase() === "nan") continue;
      const value = Number(text);
      if (!isDecimal(text) || value < 0 || value > 100) {
        throw new InputError(where, `column "${shots}" must be an accuracy in percent (0-100), "Nan" or empty; got ${JSON.stringify(text)}`);
      }
      const byShots = best.get(ds) ?? new Map<string, Map<string, number>>();
      best.set(ds, byShots);
      const bySource = byShots.get(shots) ?? new Map<string, number>();
      byShots.set(shots, bySource);
      bySource.set(source, Math.max(bySource.get(source) ?? -Infinity, value));
    }
  });
  if (best.size === 0) {
    throw new XferError(`${file.source}: no rows with loss=${SELECTION.loss}, arch=${SELECTION.arch}, us_epochs=${SELECTION.us_epochs} and a source in ${SELECTION.sources.join(", ")}`);
  }
  return best;
}

/** Gaps where every selected source has a result (so every gap compares the same sources). */
export function gaps(best: ReturnType<typeof bestPerSource>): Map<string, Map<string, Gap>> {
  const out = new Map<string, Map<string, Gap>>();
  for (const ds of [...best.keys()].sort()) {
    const row = new Map<string, Gap>();
    for (const shots of SHOTS) {
      const bySource = best.get(ds)!.get(shots);
      if (bySource === undefined || bySource.size < SELECTION.sources.length) continue;
      const entries = [...bySource].sort((a, b) => b[1] - a[1]);
      const [bestSource, top] = entries[0];
      const [worstSource, bottom] = entries[entries.length - 1];
      row.set(shots, { sources: entries.length, best: top, bestSource, worst: bottom, worstSource, relativeGap: (top - bottom) / top });
    }
    out.set(ds, row);
  }
  return out;
}

function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Entezari et al.'s Figure 1 message: the spread across sources shrinks as fine-tuning data grows. */
function shrinkClaim(aggregate: readonly { shots: string; mean: number | null }[]): Claim {
  const means = aggregate.filter((a) => a.mean !== null) as { shots: string; mean: number }[];
  const rises = means.slice(1).filter((a, i) => a.mean >= means[i].mean).map((a) => a.shots);
  return {
    key: "gap_shrinks_with_shots",
    statement: "Entezari et al., Fig. 1: the differences between pre-training sources shrink as the number of fine-tuning shots grows",
    holds: means.length > 1 && rises.length === 0,
    detail: `mean relative gap ${means.map((a) => `${a.shots}: ${(100 * a.mean).toFixed(1)}%`).join(", ")}${rises.length ? `; does not fall at ${rises.join(", ")}` : ""}`,
  };
}

export function analyzePretrainingData(input: AnalysisInput) {
  if (input.file === undefined) {
    throw new XferError('recipe "pretraining-data" needs --results FILE: Entezari et al.\'s results table (see recipes/pretraining-data/README.md)');
  }
  const byDataset = gaps(bestPerSource(input.file));
  const aggregate = SHOTS.map((shots) => {
    const values = [...byDataset.values()].flatMap((row) => (row.has(shots) ? [row.get(shots)!.relativeGap] : []));
    return { shots, datasets: values.length, mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null, median: values.length ? median(values) : null };
  });
  const missing = [...byDataset].flatMap(([ds, row]) => SHOTS.filter((s) => !row.has(s)).map((s) => `${ds} at ${s} shots`));
  const figureValues: JsonObject[] = [];
  for (const [ds, row] of byDataset) for (const [shots, g] of row) figureValues.push({ series: ds, shots, gap: g.relativeGap, kind: "dataset" });
  for (const a of aggregate) if (a.mean !== null) figureValues.push({ series: "mean over datasets", shots: a.shots, gap: a.mean, kind: "mean" });
  return buildReport({
    recipe: "pretraining-data",
    title: "Pre-training data: spread across pre-training sources vs fine-tuning shots (Entezari et al., Figure 1)",
    source: input.file.source,
    tables: [
      {
        key: "relative_gap",
        title: "(best - worst) / best accuracy across pre-training sources, per downstream dataset and shots per class",
        rowLabel: "downstream",
        columns: SHOTS.map((s) => ({ key: s, label: `${s} shots` })),
        rows: [...byDataset].map(([ds, row]) => ({ key: ds, cells: Object.fromEntries([...row].map(([s, g]) => [s, cell(g.relativeGap, null)])) })),
      },
      {
        key: "aggregate",
        title: "Relative gap aggregated over downstream datasets",
        rowLabel: "shots",
        columns: [{ key: "datasets", label: "datasets" }, { key: "mean", label: "mean" }, { key: "median", label: "median" }],
        rows: aggregate.map((a) => ({ key: a.shots, cells: { datasets: cell(a.datasets, null), mean: cell(a.mean, null), median: cell(a.median, null) } })),
      },
    ],
    claims: [shrinkClaim(aggregate)],
    figures: [{
      key: "figure-gap",
      title: "Relative gap vs shots",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        title: "Spread across pre-training sources vs fine-tuning data (black: mean over datasets)",
        width: 420, height: 260,
        data: { values: figureValues },
        encoding: {
          x: { field: "shots", type: "ordinal", sort: [...SHOTS], title: "fine-tuning shots per class", axis: { labelAngle: 0 } },
          y: { field: "gap", type: "quantitative", title: "(best - worst) / best", axis: { format: "%" } },
        },
        layer: [
          {
            transform: [{ filter: "datum.kind === 'dataset'" }],
            mark: { type: "line", point: true, strokeWidth: 1.2 },
            encoding: { color: { field: "series", type: "nominal", title: "downstream" } },
          },
          {
            transform: [{ filter: "datum.kind === 'mean'" }],
            mark: { type: "line", point: { color: "black" }, strokeWidth: 4, color: "black" },
          },
        ],
      },
    }],
    notes: [
      `Runs compared: loss ${SELECTION.loss}, ${SELECTION.arch}, ${SELECTION.us_epochs} pre-training epochs, sources ${SELECTION.sources.join(", ")}; each source's accuracy is its best over the fine-tuning hyperparameters in the file.`,
      "Entezari et al. publish Figure 1 as a plot only, so there are no printed numbers to match.",
      ...(missing.length ? [`Left out (a source has no result): ${missing.join("; ")}.`] : []),
    ],
    extra: {
      selection: { ...SELECTION, sources: [...SELECTION.sources] },
      gaps: Object.fromEntries([...byDataset].map(([ds, row]) => [ds, Object.fromEntries([...row].map(([s, g]) => [s, { ...g }]))])),
    },
  });
}

export default defineAnalysisRecipe({
  name: "pretraining-data",
  description: "Entezari et al. Figure 1: relative spread across pre-training sources vs number of fine-tuning shots (needs --results)",
  input: "raw-table",
  analyze: analyzePretrainingData,
});
