/** (being built: issue 19) */
import type { Plugin } from "../../../core/plugin.ts";

export const FID_DATASETS: readonly Plugin<"dataset">[] = [];
