/** (being built: issue 19) */
import type { Plugin } from "../../../core/plugin.ts";

export const KORNBLITH_A_DATASETS: readonly Plugin<"dataset">[] = [];
