/** (being built: issue 19) */
import type { Plugin } from "../../../core/plugin.ts";

export const APTOS_EXTRA_DATASETS: readonly Plugin<"dataset">[] = [];
