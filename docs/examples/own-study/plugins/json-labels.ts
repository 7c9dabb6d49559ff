/**
 * A dataset plugin for a format of one's own: `images/<id>.png` beside `labels.json`
 * ({ "<id>": <class index>, ... }). docs/writing-a-plugin.md shows this file; test/user/own-study.test.ts
 * installs xfer from its packed tarball and runs this project with the `xfer` command.
 */
import { defineDataset, InputError, z } from "xfer";

export const jsonLabels = defineDataset({
  name: "json-labels",
  version: "1.0.0",
  description: "images/<id>.png + labels.json ({ id: class index })",
  // PNGs written by our own export carry no EXIF orientation.
  orientation: "stored",
  options: { classNames: z.array(z.string().min(1)).min(2).default(["0", "1"]) },
  build(options) {
    return {
      meta: {
        task: "multiclass",
        classNames: options.classNames,
        nativeFormat: "images/<id>.png + labels.json",
        selectionMetric: "accuracy",
      },
      async index({ io }) {
        const labels = z.record(z.string(), z.number()).safeParse(JSON.parse(await io.readText("labels.json")));
        if (!labels.success) throw new InputError("labels.json", 'expected an object { "<id>": <class index> }');
        const samples = [];
        for (const [id, label] of Object.entries(labels.data)) {
          if (!Number.isInteger(label) || label < 0 || label >= options.classNames.length) {
            throw new InputError(`labels.json "${id}"`, `label must be an integer 0-${options.classNames.length - 1}, got ${label}`);
          }
          const file = `images/${id}.png`;
          // A missing image is an error now, at index time, not in the middle of training.
          if (!(await io.exists(file))) throw new InputError(`labels.json "${id}"`, `${file} does not exist`);
          samples.push({ id, files: [file], label });
        }
        return { samples };
      },
    };
  },
});
