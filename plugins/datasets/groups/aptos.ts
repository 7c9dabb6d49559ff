/**
 * The APTOS interventions' datasets (Appendix F): Kaggle's 2015 Diabetic Retinopathy data, and
 * `concat`, which trains it together with APTOS 2019. concat combines the built-in datasets of
 * plugins/datasets/index.ts and this group.
 */
import type { Plugin } from "../../../core/plugin.ts";
import { concatDataset } from "../concat/index.ts";
import { dr2015 } from "../dr2015/index.ts";
import { aptos2019, cassava, cct20, cifar10, csvDataset, eurosat, fashionMnist, hpa, imageFolder, melanoma } from "../index.ts";

const COMBINABLE = [aptos2019, cassava, cct20, cifar10, csvDataset, eurosat, fashionMnist, hpa, imageFolder, melanoma, dr2015];

export const APTOS_EXTRA_DATASETS: readonly Plugin<"dataset">[] = [dr2015, concatDataset(COMBINABLE)];
