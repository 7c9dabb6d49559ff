/**
 * Shared parts of the schedule plugins. A schedule returns the absolute learning rate: it gets the
 * run's base learning rate as its `baseLr` option and scales it; the trainer passes the returned
 * value to `Optimizer.step`. `step` is the 0-based step within `epoch`, so the global step is
 * `epoch * stepsPerEpoch + step`.
 */
import { z } from "zod";
import type { Schedule } from "../../core/contracts.ts";
import { definePlugin, parseOptions, type Plugin, type PluginContext } from "../../core/plugin.ts";

export const baseLrSchema = z.number().positive();
/** "epoch": the rate changes once per epoch, like the reference code's scheduler.step() per epoch. */
export const perSchema = z.enum(["epoch", "step"]).default("epoch");

export interface Position {
  readonly epoch: number;
  readonly step: number;
  readonly stepsPerEpoch: number;
}

export function checkPosition(where: string, p: Position): void {
  const ok = Number.isInteger(p.epoch) && p.epoch >= 0 && Number.isInteger(p.stepsPerEpoch) && p.stepsPerEpoch > 0
    && Number.isInteger(p.step) && p.step >= 0 && p.step < p.stepsPerEpoch;
  if (!ok) {
    throw new RangeError(`${where}: bad position ${JSON.stringify(p)}; need integers epoch >= 0, stepsPerEpoch > 0, 0 <= step < stepsPerEpoch`);
  }
}

/** The cosine curve from `base` (t = 0) to `etaMin` (t = period), as torch's CosineAnnealingLR. */
export function cosine(base: number, etaMin: number, t: number, period: number): number {
  return etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / period))) / 2;
}

/**
 * A schedule plugin from its options schema and its rate at a position: options are validated
 * (errors name the schedule and the option), every position is checked, and the plugin takes
 * `fromRun(training)` (the run's lr, and epochs where the schedule needs them) unless the recipe
 * sets those options itself. `build` is the same factory without a run, for direct use.
 */
export function defineSchedule<S extends z.ZodType>(
  meta: { readonly name: string; readonly description: string },
  schema: S,
  rate: (options: z.output<S>, position: Position) => number,
  fromRun: (training: NonNullable<PluginContext["training"]>) => Record<string, number>,
): Plugin<"schedule"> & { build(options: z.input<S>): Schedule } {
  const full = { kind: "schedule" as const, version: "1.0.0", ...meta };
  const build = (options: z.input<S>): Schedule => {
    const o = parseOptions(full, schema, options);
    return {
      lr(position) {
        checkPosition(`schedule ${meta.name}`, position);
        return rate(o, position);
      },
    };
  };
  const plugin = definePlugin({ meta: full, create: (options, ctx) => build({ ...(ctx.training ? fromRun(ctx.training) : {}), ...options } as z.input<S>) });
  return { ...plugin, build };
}
