/**
 * A dataset plugin for a layout of its own: `labels.csv` (file,grade) beside `images/<file>`.
 * docs/writing-a-plugin.md shows this file; test/core/plugins.test.ts runs it.
 */
import { defineDataset, InputError, z } from "xfer";

export const retinaDataset = defineDataset({
  name: "retina",
  version: "1.0.0",
  description: "Retina photos graded 0-4: labels.csv (file,grade) + images/<file>",
  // What the reading code of the original study did: "exif" (OpenCV) or "stored" (PIL).
  orientation: "stored",
  // Options of this dataset only; channelOrder, channels, skipMissing, ... come with every dataset.
  options: { csv: z.string().default("labels.csv") },
  build(options) {
    return {
      meta: {
        task: "ordinal",
        classNames: ["0", "1", "2", "3", "4"],
        nativeFormat: "labels.csv (file,grade) + images/<file>",
        selectionMetric: "qwk",
      },
      async index({ io }) {
        const lines = (await io.readText(options.csv)).trim().split("\n").slice(1);
        const samples = lines.map((line, i) => {
          const [file, grade] = line.split(",");
          const label = Number(grade);
          if (!Number.isInteger(label) || label < 0 || label > 4) {
            throw new InputError(`${options.csv} line ${i + 2}`, `grade must be an integer 0-4, got "${grade}"`);
          }
          return { id: file, files: [`images/${file}`], label };
        });
        return { samples };
      },
      // No `load`: each sample's one file is decoded with the dataset's decode options.
    };
  },
});
