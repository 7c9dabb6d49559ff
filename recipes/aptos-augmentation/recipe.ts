/**
 * Table 3 on aptos2019: does the augmentation used for ImageNet pre-training, or for fine-tuning,
 * change the transfer result? ResNet-50 with standard / AugMix / RandAugment ImageNet weights and
 * DeiT-tiny / DeiT-small, each fine-tuned with the base, AugMix and RandAugment pipelines over
 * the paper's optimizer grid for 50 epochs (recipes/shared/paper.ts); `xfer report
 * aptos-augmentation` compares the best runs with Table 3's printed cells (recipes/shared/table3.ts).
 */
import { augmentationAblationRecipe } from "../shared/paper.ts";
import { withTable3Report } from "../shared/table3.ts";

export default withTable3Report(augmentationAblationRecipe("aptos-augmentation", "aptos2019"), "APTOS");
