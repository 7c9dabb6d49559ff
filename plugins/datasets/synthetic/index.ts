/**
 * A seeded in-memory dataset for smoke runs and tests: each class is an oriented stripe pattern
 * with its own frequency and brightness, plus Gaussian noise. Brightness makes it learnable by a
 * few steps of a tiny model (it checks machinery, not difficulty). It needs no files, so a recipe built on it runs on
 * a fresh clone; the images depend only on `dataSeed`, never on the run's seed.
 */
import { z } from "zod";
import { SeedTree, type Image, type Sample } from "../../../core/index.ts";
import { defineDataset } from "../common/index.ts";

const optionsShape = {
  classes: z.number().int().min(2).max(16).default(3),
  perClass: z.number().int().min(2).default(24),
  size: z.number().int().min(4).max(256).default(12),
  channels: z.union([z.literal(1), z.literal(3)]).default(1),
  noise: z.number().min(0).default(0.25),
  dataSeed: z.number().int().nonnegative().default(0),
};

export const syntheticDataset = defineDataset({
  name: "synthetic",
  description: "Seeded in-memory stripe patterns, one orientation/frequency per class (no files needed)",
  options: optionsShape,
  build(o) {
    const seeds = new SeedTree(o.dataSeed);
    const samples: Sample[] = [];
    for (let c = 0; c < o.classes; c++) {
      for (let k = 0; k < o.perClass; k++) samples.push({ id: `c${c}-${String(k).padStart(4, "0")}`, files: [], label: c });
    }
    return {
      meta: {
        task: "multiclass",
        classNames: Array.from({ length: o.classes }, (_, c) => `pattern-${c}`),
        nativeFormat: "generated in memory",
        selectionMetric: "accuracy",
      },
      async index() {
        return { samples };
      },
      async load(sample): Promise<Image> {
        const label = sample.label as number;
        const rng = seeds.stream("image", sample.id);
        const angle = (Math.PI * label) / o.classes;
        const freq = (2 * Math.PI * (1 + (label % 3))) / o.size;
        const phase = rng.range(0, 2 * Math.PI);
        const data = new Uint8Array(o.size * o.size * o.channels);
        for (let y = 0; y < o.size; y++) {
          for (let x = 0; x < o.size; x++) {
            const wave = Math.sin(freq * (x * Math.cos(angle) + y * Math.sin(angle)) + phase);
            for (let ch = 0; ch < o.channels; ch++) {
              const v = 0.5 + 0.25 * wave + 0.4 * (label / (o.classes - 1) - 0.5) + o.noise * rng.normal() * 0.5;
              data[(y * o.size + x) * o.channels + ch] = Math.round(255 * Math.min(1, Math.max(0, v)));
            }
          }
        }
        return { width: o.size, height: o.size, channels: o.channels, data };
      },
    };
  },
});
