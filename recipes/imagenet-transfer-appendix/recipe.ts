/**
 * Table 16 (Appendix O): the six more ImageNet models (TinyNet e/d, DLA46-C, DLA46x-C, Swin-B,
 * CAFormer-B36) fine-tuned exactly as `imagenet-transfer` fine-tunes Table 4's 19, so Figure 11
 * and Table 15 (all 25) can come from one's own runs:
 * `xfer results imagenet-transfer imagenet-transfer-appendix --csv all.csv`, then
 * `xfer run transfer-trends --results all.csv`.
 */
import { defineRecipe } from "../../core/index.ts";
import { APPENDIX_BACKBONES, PAPER_DATASETS, paperGrids, paperTemplate, smokeGrid } from "../shared/paper.ts";

export default defineRecipe({
  name: "imagenet-transfer-appendix",
  description: "Table 16 (Appendix O): 6 more ImageNet backbones x 6 datasets x (3 optimizer/schedules x 4 lr x 5 weight decay)",
  template: paperTemplate("aptos2019", "swin_base_patch4_window7_224.ms_in1k"),
  grid: paperGrids({ datasets: PAPER_DATASETS, backbones: Object.keys(APPENDIX_BACKBONES) }),
  smoke: { grid: [smokeGrid("aptos2019", "dla_mini.random"), smokeGrid("eurosat", "tinynet_mini.random")] },
});
