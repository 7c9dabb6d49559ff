/**
 * Table 3 compared: the augmentation recipes' report (`xfer report aptos-augmentation`, from the
 * best runs with the augment axis kept, as `xfer results --by augment` exports them) puts each
 * model x fine-tuning augmentation cell beside the printed one; `--paper` shows the printed table.
 */
import {
  buildReport, cell, defineAnalysisRecipe, IMAGENET_COLUMN, taskPercent,
  type AnalysisInput, type AnalysisRecipe, type ReportTable, type ResultsRow, type ResultsTable, type TaskColumn,
} from "../../core/analysis/index.ts";
import { InputError } from "../../core/errors.ts";
import type { TrainRecipe } from "../../core/index.ts";
import { TABLE3 } from "../../fixtures/paper/fang2023.ts";

/** Table 3's rows by the catalog id of the weights each was fine-tuned from. */
export const TABLE3_MODELS: Readonly<Record<string, string>> = {
  "resnet50.tv_in1k": "ResNet-50",
  "resnet50.am_in1k": "ResNet-50 w/ AugMix",
  "resnet50.ram_in1k": "ResNet-50 w/ RandAug",
  "deit_tiny_patch16_224.fb_in1k": "DeiT-tiny",
  "deit_small_patch16_224.fb_in1k": "DeiT-small",
};

/** Table 3's fine-tuning columns, told apart by the policy the pipeline adds to the paper's crop and flips. */
export const FINE_TUNING_COLUMNS = [
  { key: "base", label: "base", policy: undefined },
  { key: "augmix", label: "+ AugMix", policy: "augmix" },
  { key: "randaug", label: "+ RandAugment", policy: "rand-augment" },
] as const;
type FineTuning = (typeof FINE_TUNING_COLUMNS)[number]["key"];
type Table3Dataset = "APTOS" | "CCT20";

const OWN_RUNS = "recomputed from your runs; the published cell comes from the paper's own runs (another seed and hardware)";

/** Which Table 3 column a kept-augment task column is: the pipeline's last item names the added policy. */
function fineTuningOf(task: TaskColumn, dataset: Table3Dataset, source: string): FineTuning | undefined {
  const [name, ...values] = task.name.split("/");
  if (name !== dataset) return undefined;
  if (values.length !== 1) {
    throw new InputError(`${source}, line 1, column "${task.column}"`, `Table 3 needs exactly the augment axis kept (\`--by augment\`), got ${values.length} kept value(s)`);
  }
  const items = values[0].split("+");
  return FINE_TUNING_COLUMNS.find((c) => c.policy !== undefined && items.includes(c.policy))?.key ?? "base";
}

/** The cell's value on Table 3's scale (CCT-20 accuracy in percent, APTOS QWK on 0-1). */
function onPrintedScale(dataset: Table3Dataset, task: TaskColumn, value: number): number {
  const percent = taskPercent(task, value);
  return dataset === "CCT20" ? percent : percent / 100;
}

function modelRow(table: ResultsTable, model: string): ResultsRow | undefined {
  return table.rows.find((r) => r.model === model || TABLE3_MODELS[r.model] === model);
}

export function analyzeTable3(dataset: Table3Dataset, recipe: string, input: AnalysisInput) {
  const table = input.results;
  const columns = new Map<FineTuning, TaskColumn>();
  for (const task of table?.tasks ?? []) {
    const key = fineTuningOf(task, dataset, table!.source);
    if (key === undefined) continue;
    const earlier = columns.get(key);
    if (earlier !== undefined) throw new InputError(`${table!.source}, line 1`, `columns "${earlier.column}" and "${task.column}" are both Table 3's ${key} fine-tuning`);
    columns.set(key, task);
  }
  if (table !== undefined && columns.size === 0) {
    throw new InputError(`${table.source}, line 1`, `no ${dataset}/<augmentation> columns (its tasks are ${table.tasks.map((t) => t.column).join(", ")}); Table 3 needs the augment axis kept: \`xfer report ${recipe}\` keeps it, \`xfer results ${recipe} --by augment\` exports it`);
  }
  const compared: ReportTable = {
    key: "table3",
    title: `Table 3 (${dataset === "CCT20" ? "CCT-20 accuracy, %" : "APTOS quadratic weighted kappa"}): pre-training x fine-tuning augmentation, 50 epochs${table === undefined ? ", as printed" : ": your runs vs printed"}`,
    rowLabel: "model",
    columns: [{ key: "imagenet_top1", label: "ImageNet top-1" }, ...FINE_TUNING_COLUMNS.map((c) => ({ key: c.key, label: c.label }))],
    rows: TABLE3.map((printed) => {
      const row = table === undefined ? undefined : modelRow(table, printed.model);
      const why = table === undefined ? "--paper: the printed table, nothing recomputed" : row === undefined ? `no runs of ${printed.model} in ${table.source}` : OWN_RUNS;
      const value = (key: FineTuning) => {
        const task = columns.get(key);
        const v = task === undefined || row === undefined ? undefined : row.values[task.name];
        return v === undefined ? null : onPrintedScale(dataset, task!, v);
      };
      return {
        key: printed.model,
        cells: {
          imagenet_top1: cell(row?.descriptors[IMAGENET_COLUMN] ?? null, String(printed.imagenetTop1), row === undefined ? why : "the backbone catalog's ImageNet top-1 of these weights"),
          ...Object.fromEntries(FINE_TUNING_COLUMNS.map((c) => [c.key, cell(value(c.key), printed[`${dataset}_${c.key}`], why)])),
        },
      };
    }),
  };
  const tables: ReportTable[] = [compared];
  const others = (table?.rows ?? []).filter((r) => !TABLE3.some((p) => modelRow(table!, p.model) === r));
  if (others.length > 0) {
    tables.push({
      key: "other_models",
      title: "Models that are not in Table 3 (not compared)",
      rowLabel: "model",
      columns: FINE_TUNING_COLUMNS.map((c) => ({ key: c.key, label: c.label })),
      rows: others.map((row) => ({
        key: row.model,
        cells: Object.fromEntries(FINE_TUNING_COLUMNS.map((c) => {
          const task = columns.get(c.key);
          const v = task === undefined ? undefined : row.values[task.name];
          return [c.key, cell(v === undefined ? null : onPrintedScale(dataset, task!, v), null)];
        })),
      })),
    });
  }
  const notes = [
    `Models are matched by catalog id (${Object.entries(TABLE3_MODELS).map(([id, name]) => `${id} = ${name}`).join(", ")}) or by Table 3's name.`,
    `Fine-tuning columns: base is the paper's crop and flips; "+ AugMix" and "+ RandAugment" add that policy (the kept augment values ${[...columns.values()].map((t) => t.column).join(", ") || "—"}).`,
  ];
  return buildReport({ recipe, title: `Table 3 on ${dataset}: augmentation for pre-training and fine-tuning`, source: table?.source ?? "paper Table 3, as printed", tables, notes });
}

/** The recipe with Table 3's comparison as its report, the augment axis kept. */
export function withTable3Report(recipe: TrainRecipe, dataset: Table3Dataset): TrainRecipe {
  const analysis: AnalysisRecipe = defineAnalysisRecipe({
    name: recipe.name,
    description: `Table 3 on ${dataset}: your runs' best cell per model and fine-tuning augmentation against the printed table`,
    analyze: (input) => analyzeTable3(dataset, recipe.name, input),
  });
  // x: Table 3 fits no trend; log10_params is a column every export has, where imagenet_top1 is absent for mini backbones.
  return { ...recipe, report: { analysis, by: ["augment"], x: "log10_params" } };
}
