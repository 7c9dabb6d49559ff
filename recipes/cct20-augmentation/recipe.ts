/**
 * Table 3 on cct20: does the augmentation used for ImageNet pre-training, or for fine-tuning,
 * change the transfer result? ResNet-50 with standard / AugMix / RandAugment ImageNet weights and
 * DeiT-tiny / DeiT-small, each fine-tuned with the base, AugMix and RandAugment pipelines over
 * the paper's optimizer grid for 50 epochs.
 */
import { defineRecipe } from "../../core/index.ts";
import { augmentationAblationGrids, FINE_TUNING_AUGMENTATIONS, paperTemplate, smokeGrid } from "../shared/paper.ts";

export default defineRecipe({
  name: "cct20-augmentation",
  description: "Table 3 (cct20): 5 backbones x 3 fine-tuning augmentations x 60 optimizer settings, 50 epochs",
  template: { ...paperTemplate("cct20", "resnet50.tv_in1k"), training: { ...paperTemplate("cct20", "resnet50.tv_in1k").training, epochs: 50 } },
  grid: augmentationAblationGrids("cct20"),
  smoke: {
    grid: smokeGrid("cct20", "resnet18_mini.random", Object.values(FINE_TUNING_AUGMENTATIONS).map((augment) => augment("cct20", 32))),
  },
});
