/**
 * A learning-rate schedule plugin: linear decay from the run's lr to `endLr` over the run's epochs.
 * docs/writing-a-plugin.md shows this file; test/core/plugins.test.ts runs it.
 */
import { z } from "zod";
import { defineSchedule } from "xfer";

export const linearDecaySchedule = defineSchedule(
  { name: "linear-decay", description: "Linear decay from baseLr to endLr over the run, per epoch" },
  z.strictObject({ baseLr: z.number().positive(), epochs: z.number().int().positive(), endLr: z.number().min(0).default(0) }),
  // The rate at a position; positions are checked before this is called.
  (o, { epoch }) => o.baseLr + ((o.endLr - o.baseLr) * epoch) / o.epochs,
  // Options the run supplies unless the recipe sets them: its lr and its number of epochs.
  (training) => ({ baseLr: training.lr, epochs: training.epochs }),
);
