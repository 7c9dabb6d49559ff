/** (being built: issue 18) */
import type { CatalogEntry } from "../nn/net.ts";

export const SWIN_BACKBONES: readonly CatalogEntry[] = [];
