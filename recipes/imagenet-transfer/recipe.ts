/**
 * Table 4: every ImageNet backbone fine-tuned on every real-world dataset over the paper's grid
 * (AdamW + cosine, SGD + cosine, SGD + multi-step; 4 learning rates x 5 weight decays), each run
 * selecting its best epoch on the validation split, the grid's best run reported.
 */
import { defineRecipe } from "../../core/index.ts";
import { PAPER_BACKBONES, PAPER_DATASETS, paperGrids, paperTemplate, smokeGrid } from "../shared/paper.ts";

export default defineRecipe({
  name: "imagenet-transfer",
  description: "Table 4: 19 ImageNet backbones x 6 datasets x (3 optimizer/schedules x 4 lr x 5 weight decay)",
  template: paperTemplate("aptos2019", "resnet50.tv_in1k"),
  grid: paperGrids({ datasets: PAPER_DATASETS, backbones: PAPER_BACKBONES }),
  smoke: { grid: [smokeGrid("aptos2019", "resnet18_mini.random"), smokeGrid("eurosat", "resnet18_mini.random")] },
});
