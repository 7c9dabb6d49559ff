/** (being built: issue 19) */
import type { Plugin } from "../../../core/plugin.ts";

export const KORNBLITH_B_DATASETS: readonly Plugin<"dataset">[] = [];
