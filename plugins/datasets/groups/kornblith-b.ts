/** Kornblith et al. (2019)'s datasets, second half: VOC 2007, DTD, Caltech-101, 102 Flowers, Stanford Cars. */
import type { Plugin } from "../../../core/plugin.ts";
import { caltech101 } from "../caltech101/index.ts";
import { dtd } from "../dtd/index.ts";
import { flowers102 } from "../flowers102/index.ts";
import { stanfordCars } from "../stanford-cars/index.ts";
import { voc2007 } from "../voc2007/index.ts";

export const KORNBLITH_B_DATASETS: readonly Plugin<"dataset">[] = [voc2007, dtd, caltech101, flowers102, stanfordCars];
