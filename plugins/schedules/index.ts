/** The learning-rate schedule plugins, in manifest order. */
import constant from "./constant/index.ts";
import cosine from "./cosine/index.ts";
import cosineRestarts from "./cosine-restarts/index.ts";
import multistep from "./multistep/index.ts";
import warmupCosine from "./warmup-cosine/index.ts";

export const SCHEDULE_PLUGINS = [constant, cosine, cosineRestarts, multistep, warmupCosine] as const;
