/** (being built: issue 18) */
import type { CatalogEntry } from "../nn/net.ts";

export const CLIP_BACKBONES: readonly CatalogEntry[] = [];
