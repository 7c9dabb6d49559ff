/** The optimizer plugins, in manifest order. */
import adam from "./adam/index.ts";
import adamw from "./adamw/index.ts";
import sgd from "./sgd/index.ts";

export const OPTIMIZER_PLUGINS = [adam, adamw, sgd] as const;
