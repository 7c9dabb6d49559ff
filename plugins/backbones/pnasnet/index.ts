/** (being built: issue 18) */
import type { CatalogEntry } from "../nn/net.ts";

export const PNASNET_BACKBONES: readonly CatalogEntry[] = [];
