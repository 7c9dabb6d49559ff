/**
 * Table 3 on aptos2019: does the augmentation used for ImageNet pre-training, or for fine-tuning,
 * change the transfer result? ResNet-50 with standard / AugMix / RandAugment ImageNet weights and
 * DeiT-tiny / DeiT-small, each fine-tuned with the base, AugMix and RandAugment pipelines over
 * the paper's optimizer grid for 50 epochs (recipes/shared/paper.ts).
 */
import { augmentationAblationRecipe } from "../shared/paper.ts";

export default augmentationAblationRecipe("aptos-augmentation", "aptos2019");
