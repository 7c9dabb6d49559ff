/**
 * Half of Kornblith, Shlens & Le (2019)'s twelve datasets, each read in its native distribution
 * format with the splits that paper used exposed as predefined splits (docs/datasets.md).
 */
import type { Plugin } from "../../../core/plugin.ts";
import { birdsnap } from "../birdsnap/index.ts";
import { cifar100 } from "../cifar100/index.ts";
import { fgvcAircraft } from "../fgvc-aircraft/index.ts";
import { food101 } from "../food101/index.ts";
import { oxfordPets } from "../oxford-pets/index.ts";
import { sun397 } from "../sun397/index.ts";

export const KORNBLITH_A_DATASETS: readonly Plugin<"dataset">[] = [food101, cifar100, birdsnap, sun397, fgvcAircraft, oxfordPets];
