/**
 * Table 3 on aptos2019: does the augmentation used for ImageNet pre-training, or for fine-tuning,
 * change the transfer result? ResNet-50 with standard / AugMix / RandAugment ImageNet weights and
 * DeiT-tiny / DeiT-small, each fine-tuned with the base, AugMix and RandAugment pipelines over
 * the paper's optimizer grid for 50 epochs.
 */
import { defineRecipe } from "../../core/index.ts";
import { augmentationAblationGrids, FINE_TUNING_AUGMENTATIONS, paperTemplate, smokeGrid } from "../shared/paper.ts";

export default defineRecipe({
  name: "aptos-augmentation",
  description: "Table 3 (aptos2019): 5 backbones x 3 fine-tuning augmentations x 60 optimizer settings, 50 epochs",
  template: { ...paperTemplate("aptos2019", "resnet50.tv_in1k"), training: { ...paperTemplate("aptos2019", "resnet50.tv_in1k").training, epochs: 50 } },
  grid: augmentationAblationGrids("aptos2019"),
  smoke: {
    grid: smokeGrid("aptos2019", "resnet18_mini.random", Object.values(FINE_TUNING_AUGMENTATIONS).map((augment) => augment("aptos2019", 32))),
  },
});
