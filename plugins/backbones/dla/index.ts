/** (being built: issue 18) */
import type { CatalogEntry } from "../nn/net.ts";

export const DLA_BACKBONES: readonly CatalogEntry[] = [];
