/**
 * Dataset plugins beyond the paper's six, by group: the ImageNet validation set FID reads, the 2015
 * Diabetic Retinopathy data of the APTOS interventions, and Kornblith et al. (2019)'s suite. Each
 * group file lists its plugins explicitly; plugins/manifest.ts takes them all.
 */
import { APTOS_EXTRA_DATASETS } from "./aptos.ts";
import { FID_DATASETS } from "./fid.ts";
import { KORNBLITH_A_DATASETS } from "./kornblith-a.ts";
import { KORNBLITH_B_DATASETS } from "./kornblith-b.ts";

export const DATASET_GROUPS = [...FID_DATASETS, ...APTOS_EXTRA_DATASETS, ...KORNBLITH_A_DATASETS, ...KORNBLITH_B_DATASETS] as const;
