/** The learning-rate schedule plugins, in manifest order. */
import { constantSchedule } from "./constant/index.ts";
import { cosineSchedule } from "./cosine/index.ts";
import { cosineRestartsSchedule } from "./cosine-restarts/index.ts";
import { multistepSchedule } from "./multistep/index.ts";
import { warmupCosineSchedule } from "./warmup-cosine/index.ts";

export { constantSchedule, cosineSchedule, cosineRestartsSchedule, multistepSchedule, warmupCosineSchedule };
export const SCHEDULE_PLUGINS = [constantSchedule, cosineSchedule, cosineRestartsSchedule, multistepSchedule, warmupCosineSchedule] as const;
