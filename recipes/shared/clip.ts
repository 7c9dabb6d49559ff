/**
 * The paper's CLIP fine-tuning protocol (Fang et al. 2023, Appendix I): LP-FT. A third of the
 * dataset's epochs linear probing (body frozen) over lr 1e-1, 1e-2, 1e-3; then the best probe of
 * each (model, dataset), head included, is fine-tuned for the remaining epochs over lr 1e-4, 1e-5,
 * 1e-6 times the paper's weight-decay grid. AdamW with cosine decay in both stages; everything else
 * (reads, splits, flips, batch 128, selection on the validation split) as for the ImageNet models.
 */
import type { DeepPartial, Grid, RunTemplate } from "../../core/index.ts";
import { ADAMW, PAPER_DATASET_PARTS, PAPER_TRAINING, paperAugmentations, WEIGHT_DECAYS, type PaperDataset } from "./paper.ts";

/** Table 8's six CLIP image towers: catalog id, the paper's row name, native input size. */
export const CLIP_MODELS: readonly { readonly id: string; readonly model: string; readonly size: number }[] = [
  { id: "clip_rn50.openai", model: "CLIP-RN50", size: 224 },
  { id: "clip_rn101.openai", model: "CLIP-RN101", size: 224 },
  { id: "clip_vit_b32.openai", model: "CLIP-B32", size: 224 },
  { id: "clip_vit_b16.openai", model: "CLIP-B16", size: 224 },
  { id: "clip_vit_l14.openai", model: "CLIP-L14", size: 224 },
  { id: "clip_vit_l14_336.openai", model: "CLIP-L14@336", size: 336 },
];

/** Smoke mode: the mini ViT tower on 32-pixel crops. */
export const CLIP_SMOKE_MODELS: typeof CLIP_MODELS = [
  { id: "clip_vit_mini.random", model: "CLIP-ViT-mini", size: 32 },
];

export const PROBE_LRS = [1e-1, 1e-2, 1e-3];
export const FINETUNE_LRS = [1e-4, 1e-5, 1e-6];

/** Linear-probing epochs: a third of the dataset's (30 -> 10; Melanoma 10 -> 3), at least one. */
export function probeEpochs(dataset: PaperDataset): number {
  return Math.max(1, Math.round(datasetEpochs(dataset) / 3));
}

export function datasetEpochs(dataset: PaperDataset): number {
  return PAPER_DATASET_PARTS[dataset].training?.epochs ?? PAPER_TRAINING.training.epochs;
}

/** Both stages' template: the paper's protocol with AdamW + cosine. */
export function clipTemplate(dataset: PaperDataset, model: (typeof CLIP_MODELS)[number]): RunTemplate {
  const part = PAPER_DATASET_PARTS[dataset];
  return {
    ...PAPER_TRAINING,
    dataset: part.dataset as RunTemplate["dataset"],
    splitter: part.splitter as RunTemplate["splitter"],
    backbone: { name: model.id },
    optimizer: ADAMW,
    schedule: { name: "cosine" },
    augment: paperAugmentations(dataset, model.size),
  };
}

/** How a stage's grids are drawn: the paper's, or smoke mode's fixtures (50% holdout, 32-pixel crops, one epoch). */
export interface ClipGridOptions {
  readonly smoke?: boolean;
  readonly lrs?: readonly number[];
  readonly weightDecays?: readonly number[];
}

/** One (dataset, model) pair's single-valued axes; the stages add theirs. */
function pairAxes(dataset: PaperDataset, model: (typeof CLIP_MODELS)[number], smoke: boolean): Grid {
  const part = PAPER_DATASET_PARTS[dataset];
  return {
    dataset: [part.dataset],
    splitter: [smoke ? { name: "stratified-holdout", options: { valFraction: 0.5 } } : part.splitter],
    splitSeed: [smoke ? 0 : part.splitSeed ?? 0],
    backbone: [{ name: model.id }],
    augment: [paperAugmentations(dataset, model.size)],
    "tags.model": [model.model],
  } as unknown as Grid;
}

/** Stage 1: linear probes over the probe learning rates, per (dataset, model). */
export function probeGrids(datasets: readonly PaperDataset[], models: typeof CLIP_MODELS, options: ClipGridOptions = {}): Grid[] {
  return datasets.flatMap((dataset) => models.map((model) => ({
    ...pairAxes(dataset, model, options.smoke ?? false),
    "training.mode": ["linear-probe"],
    "training.epochs": [options.smoke ? 1 : probeEpochs(dataset)],
    "training.weightDecay": [0],
    "training.lr": [...(options.lrs ?? PROBE_LRS)],
  } as unknown as Grid)));
}

/** Stage 2: fine-tuning the best probe of the same (dataset, model), head included. */
export function finetuneGrids(datasets: readonly PaperDataset[], models: typeof CLIP_MODELS, probeRecipe: string, options: ClipGridOptions = {}): Grid[] {
  return datasets.flatMap((dataset) => models.map((model) => ({
    ...pairAxes(dataset, model, options.smoke ?? false),
    upstream: [{ recipe: probeRecipe, select: { "dataset.name": PAPER_DATASET_PARTS[dataset].dataset!.name!, "backbone.name": model.id }, best: true, keepHead: true }],
    "training.epochs": [options.smoke ? 1 : datasetEpochs(dataset) - probeEpochs(dataset)],
    "training.lr": [...(options.lrs ?? FINETUNE_LRS)],
    "training.weightDecay": [...(options.weightDecays ?? WEIGHT_DECAYS)],
  } as unknown as Grid)));
}

/** What smoke mode changes in the template: small batches of small decoded images. */
export const CLIP_SMOKE_TEMPLATE = { training: { batchSize: 4, decodeResize: 40 } } satisfies DeepPartial<RunTemplate>;
