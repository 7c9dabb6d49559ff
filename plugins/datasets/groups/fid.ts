/** The datasets FID's Table 11 needs beyond the others: the ILSVRC2012 validation set it is measured against. */
import type { Plugin } from "../../../core/plugin.ts";
import { imagenetVal } from "../imagenet-val/index.ts";

export const FID_DATASETS: readonly Plugin<"dataset">[] = [imagenetVal];
