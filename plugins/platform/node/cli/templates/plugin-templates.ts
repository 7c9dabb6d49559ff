/**
 * What `xfer new <kind> <name>` writes into a user's project: per kind, a working plugin built with
 * the kind's define* helper from "xfer" (docs/writing-a-plugin.md), a vitest test that passes as
 * generated, and for datasets a seeded fixture generator the test runs. Each plugin does something
 * small but real, so the user edits working code instead of filling in blanks.
 */

export const PLUGIN_KINDS = ["dataset", "splitter", "backbone", "augmentation", "optimizer", "schedule", "metric"] as const;
export type ScaffoldKind = (typeof PLUGIN_KINDS)[number];

export interface Scaffold {
  /** Paths relative to the project folder, and their contents. */
  readonly files: readonly (readonly [path: string, content: string])[];
  /** The plugin object's exported name. */
  readonly exportName: string;
  /** The name recipes use for it. */
  readonly pluginName: string;
  /** Packages the generated files import besides xfer (zod comes with xfer as `z`). */
  readonly imports: readonly string[];
}

/** "json-labels" + "dataset" -> "jsonLabelsDataset". */
function exportNameOf(name: string, kind: ScaffoldKind): string {
  const camel = name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return `${camel}${kind[0].toUpperCase()}${kind.slice(1)}`;
}

function plugin(kind: ScaffoldKind, name: string, x: string, p: string): string {
  switch (kind) {
    case "dataset":
      return `/**
 * Dataset plugin "${p}": labels.json (an array of { "id", "label" } in file order) beside
 * images/<id>.png. Scaffolded by \`xfer new dataset ${name}\`: change the layout to your data's,
 * keeping the rules of docs/writing-a-plugin.md (native order, stable ids, errors that name the
 * file and entry, every image checked at index time).
 */
import { defineDataset, InputError, z } from "xfer";

const labelsSchema = z.array(z.strictObject({ id: z.string().min(1), label: z.string().min(1) })).min(1);

export const ${x} = defineDataset({
  name: "${p}",
  version: "0.1.0",
  description: "labels.json ([{ id, label }]) + images/<id>.png",
  // How the study you reproduce read its images: "exif" (OpenCV rotates by EXIF) or "stored" (PIL).
  orientation: "stored",
  // Options of this dataset only; channels, skipMissing, ... come with every dataset.
  options: {
    labels: z.string().default("labels.json"),
    imageDir: z.string().default("images"),
  },
  build(options) {
    return {
      meta: {
        task: "multiclass",
        // The classes are the labels found in labels.json (index() returns them).
        classNames: [],
        nativeFormat: "labels.json ([{ id, label }]) + images/<id>.png",
        selectionMetric: "accuracy",
      },
      async index({ io }) {
        let json: unknown;
        try {
          json = JSON.parse(await io.readText(options.labels));
        } catch (error) {
          if (error instanceof SyntaxError) throw new InputError(options.labels, \`not valid JSON: \${error.message}\`);
          throw error;
        }
        const parsed = labelsSchema.safeParse(json);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const at = issue.path.map((key) => (typeof key === "number" ? \`[\${key}]\` : \`.\${String(key)}\`)).join("");
          throw new InputError(\`\${options.labels} at \${at || "top level"}\`, \`\${issue.message}; expected [{ "id": "...", "label": "..." }, ...]\`);
        }
        const classNames = [...new Set(parsed.data.map((entry) => entry.label))].sort();
        // Every image must exist now: a deleted image is an error at index time, not in the middle of training.
        if (!(await io.isDirectory(options.imageDir))) throw new InputError(options.imageDir, "image directory not found; expected images/<id>.png");
        const present = new Set(await io.list(options.imageDir));
        const seen = new Set<string>();
        const samples = [];
        const skipped = [];
        for (const [i, { id, label }] of parsed.data.entries()) {
          const where = \`\${options.labels} entry \${i} (id "\${id}")\`;
          if (seen.has(id)) throw new InputError(where, "duplicate id; expected each id once");
          seen.add(id);
          const file = \`\${options.imageDir}/\${id}.png\`;
          if (!present.has(\`\${id}.png\`)) {
            if (!options.skipMissing) throw new InputError(where, \`image file \${file} not found; expected the image of sample "\${id}" (set skipMissing to leave such samples out)\`);
            skipped.push({ id, reason: \`\${where}: image file \${file} not found\` });
            continue;
          }
          samples.push({ id, files: [file], label: classNames.indexOf(label) });
        }
        return { samples, classNames, skipped };
      },
      // No \`load\`: each sample's one file is decoded with the dataset's decode options.
    };
  },
});
`;
    case "splitter":
      return `/**
 * Splitter plugin "${p}": a seeded shuffle of the samples, then the first valFraction of them to
 * val. A pure function of (index, seed): the same seed gives the same split on every machine.
 * Scaffolded by \`xfer new splitter ${name}\`.
 */
import { defineSplitter, SeedTree, z } from "xfer";

export const ${x} = defineSplitter(
  { name: "${p}", version: "0.1.0", description: "Seeded shuffle, then valFraction of the samples to val" },
  z.strictObject({ valFraction: z.number().gt(0).lt(1).default(0.2) }),
  (index, seed, options) => {
    // Randomness only from a named stream of the seed, never Math.random.
    const rng = new SeedTree(seed).stream("split", "${p}");
    const ids = index.samples.map((sample) => sample.id);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    const valCount = Math.round(ids.length * options.valFraction);
    return { train: ids.slice(valCount), val: ids.slice(0, valCount) };
  },
);
`;
    case "backbone":
      return `/**
 * Backbone plugin "${p}": a small random-init MLP (flatten, dense + ReLU, dense head) on
 * inputSize x inputSize x channels images. Recipes name it by its id, "${p}". Parameters
 * are created through the store, so seeds, freezing, head resets and checkpoints work as for the
 * built-in backbones. Scaffolded by \`xfer new backbone ${name}\`.
 */
import * as tf from "@tensorflow/tfjs";
import { defineBackbone, type NetBuilder } from "xfer";

const INPUT_SIZE = 8;
const CHANNELS = 1;
const HIDDEN = 16;
/** Classifier size the catalog's parameter count is given for. */
const HEAD_CLASSES = 10;
const FLAT = INPUT_SIZE * INPUT_SIZE * CHANNELS;

const buildMlp: NetBuilder = (root, { numClasses }) => {
  // PyTorch's default init: uniform in +-1/sqrt(fan_in), drawn from the run's init stream in registration order.
  const add = (name: string, shape: number[], fanIn: number) => root.store.add(name, shape, "plain", { kind: "range", bound: 1 / Math.sqrt(fanIn) });
  add("fc1/kernel", [FLAT, HIDDEN], FLAT);
  add("fc1/bias", [HIDDEN], FLAT);
  add("head/kernel", [HIDDEN, numClasses], HIDDEN);
  add("head/bias", [numClasses], HIDDEN);
  return {
    features: (x) => tf.relu(tf.add(tf.matMul(tf.reshape(x, [x.shape[0], FLAT]), root.store.get("fc1/kernel") as tf.Tensor2D), root.store.get("fc1/bias"))),
    headName: "head",
    headIn: HIDDEN,
    headKind: "dense",
  };
};

export const ${x} = defineBackbone({
  meta: {
    id: "${p}",
    source: "random-init",
    inputSize: INPUT_SIZE,
    resizeSize: INPUT_SIZE,
    channels: CHANNELS,
    mean: [0],
    std: [1],
    interpolation: "bilinear",
    params: FLAT * HIDDEN + HIDDEN + HIDDEN * HEAD_CLASSES + HEAD_CLASSES,
  },
  build: buildMlp,
  headClasses: HEAD_CLASSES,
});
`;
    case "augmentation":
      return `/**
 * Augmentation plugin "${p}": flips the image left-right with probability p, drawing from the
 * per-sample stream it is given (so a run's augmentations repeat exactly). Scaffolded by
 * \`xfer new augmentation ${name}\`.
 */
import { defineAugmentation, z } from "xfer";

export const ${x} = defineAugmentation(
  { name: "${p}", version: "0.1.0", description: "Horizontal flip with probability p" },
  z.strictObject({ p: z.number().min(0).max(1).default(0.5) }),
  (options, image, rng) => {
    if (rng.uniform() >= options.p) return image;
    const { width, height, channels, data } = image;
    const flipped = data.slice();
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < channels; c++) flipped[(y * width + (width - 1 - x)) * channels + c] = data[(y * width + x) * channels + c];
      }
    }
    return { width, height, channels, data: flipped };
  },
);
`;
    case "optimizer":
      return `/**
 * Optimizer plugin "${p}": plain SGD with L2 weight decay, v <- v - lr * (g + weightDecay * v).
 * The run supplies lr and weightDecay unless the recipe sets them; each step's rate comes from the
 * schedule. Scaffolded by \`xfer new optimizer ${name}\`.
 */
import * as tf from "@tensorflow/tfjs";
import { defineOptimizer, z } from "xfer";

export const ${x} = defineOptimizer(
  { name: "${p}", version: "0.1.0", description: "Plain SGD with L2 weight decay" },
  z.strictObject({
    // The run's base lr (the schedule scales it); step() receives the rate to use.
    lr: z.number().positive().optional(),
    weightDecay: z.number().min(0).default(0),
  }),
  (options) => ({
    step(variables, gradients, lr) {
      if (variables.length !== gradients.length) throw new RangeError(\`optimizer ${p}: \${variables.length} variables but \${gradients.length} gradients\`);
      tf.tidy(() => {
        variables.forEach((variable, i) => {
          const decayed = options.weightDecay === 0 ? gradients[i] : tf.add(gradients[i], tf.mul(variable, options.weightDecay));
          variable.assign(tf.sub(variable, tf.mul(decayed, lr)));
        });
      });
    },
    // No state (no momentum buffers) for a resumed run to restore, or to release. An optimizer with
    // buffers saves them as tensors "<slot>/<names[i]>" and its step counters as scalars.
    saveState: () => ({ scalars: {}, tensors: [] }),
    loadState(_variables, _names, state) {
      if (Object.keys(state.scalars).length > 0 || state.tensors.length > 0) throw new RangeError("optimizer ${p}: it keeps no state, but the saved state has some");
    },
    dispose() {},
  }),
);
`;
    case "schedule":
      return `/**
 * Schedule plugin "${p}": step decay, the run's lr multiplied by gamma every stepSize epochs.
 * Scaffolded by \`xfer new schedule ${name}\`.
 */
import { defineSchedule, z } from "xfer";

export const ${x} = defineSchedule(
  { name: "${p}", description: "Step decay: baseLr * gamma^floor(epoch / stepSize)" },
  z.strictObject({
    baseLr: z.number().positive(),
    gamma: z.number().gt(0).max(1).default(0.1),
    stepSize: z.number().int().positive().default(10),
  }),
  // The rate at a position; positions are checked before this is called.
  (o, { epoch }) => o.baseLr * o.gamma ** Math.floor(epoch / o.stepSize),
  // Options the run supplies unless the recipe sets them: its lr.
  (training) => ({ baseLr: training.lr }),
);
`;
    case "metric":
      return `/**
 * Metric plugin "${p}": the error rate of single-label predictions (the argmax of each score row
 * differs from the label), lower is better. Scaffolded by \`xfer new metric ${name}\`.
 */
import { defineMetric, InputError, z } from "xfer";

export const ${x} = defineMetric(
  { name: "${p}", version: "0.1.0", description: "Error rate: share of samples whose top score is not their label" },
  z.strictObject({}),
  () => ({
    name: "${p}",
    direction: "min",
    compute(yTrue, scores) {
      if (yTrue.length !== scores.length || yTrue.length === 0) {
        throw new InputError(\`metric "${p}"\`, \`\${yTrue.length} labels and \${scores.length} score rows; expected the same number, at least one\`);
      }
      let wrong = 0;
      yTrue.forEach((label, i) => {
        if (typeof label !== "number") throw new InputError(\`metric "${p}"\`, "labels must be class indices (single-label task), got multi-hot rows");
        const row = scores[i];
        const top = row.reduce((best, value, k) => (value > row[best] ? k : best), 0);
        if (top !== label) wrong++;
      });
      return wrong / yTrue.length;
    },
  }),
);
`;
  }
}

function test(kind: ScaffoldKind, name: string, x: string, p: string): string {
  const head = (extra: string) => `// Scaffolded by \`xfer new ${kind} ${name}\`: run with \`npx vitest run test/${name}.test.ts\`.
${extra}import { ${kind === "backbone" || kind === "optimizer" ? "beforeAll, " : ""}describe, expect, it } from "vitest";
`;
  switch (kind) {
    case "dataset":
      return `${head(`import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
`)}import { BUILTIN_PLUGINS, nodeDatasetContext, PluginRegistry, SeedTree } from "xfer";
import { generateFixture } from "../fixtures/generators/${name}.ts";
import { ${x} } from "../plugins/${name}.ts";

async function fixture() {
  const dir = await mkdtemp(join(tmpdir(), "${name}-"));
  return { dir, written: await generateFixture(dir, 0) };
}

async function dataset(options = {}) {
  return new PluginRegistry([...BUILTIN_PLUGINS, ${x}]).create("dataset", { name: "${p}", options }, { seeds: new SeedTree(0) });
}

describe("dataset ${p}", () => {
  it("indexes the fixture in file order and loads its images", async () => {
    const { dir, written } = await fixture();
    const ctx = nodeDatasetContext(dir);
    const data = await dataset();
    const index = await data.index(ctx);
    expect(index.samples.map((s) => s.id)).toEqual(written.map((s) => s.id));
    expect(index.classNames).toEqual([...new Set(written.map((s) => s.label))].sort());
    expect(index.samples.map((s) => index.classNames![s.label as number])).toEqual(written.map((s) => s.label));
    const image = await data.load(index.samples[0], ctx, {});
    expect([image.width, image.height]).toEqual([8, 8]);
  });

  it("a deleted image is an error at index time, naming the sample", async () => {
    const { dir, written } = await fixture();
    await rm(join(dir, "images", \`\${written[2].id}.png\`));
    await expect((await dataset()).index(nodeDatasetContext(dir))).rejects.toThrow(new RegExp(\`id "\${written[2].id}".*not found\`));
    // With skipMissing the sample is left out and reported, never silently.
    const index = await (await dataset({ skipMissing: true })).index(nodeDatasetContext(dir));
    expect(index.samples).toHaveLength(written.length - 1);
    expect(index.skipped).toEqual([{ id: written[2].id, reason: expect.stringMatching(/not found/) }]);
  });

  it("a bad labels.json names the entry and what was expected", async () => {
    const { dir } = await fixture();
    await writeFile(join(dir, "labels.json"), JSON.stringify([{ id: "a", label: "x" }, { id: "b", label: 3 }]));
    await expect((await dataset()).index(nodeDatasetContext(dir))).rejects.toThrow(/labels\\.json at \\[1\\]\\.label/);
  });
});
`;
    case "splitter":
      return `${head("")}import type { DatasetIndex } from "xfer";
import { ${x} } from "../plugins/${name}.ts";

const index: DatasetIndex = { samples: Array.from({ length: 20 }, (_, i) => ({ id: \`s\${i}\`, files: [], label: i % 2 })) };

describe("splitter ${p}", () => {
  it("splits every sample once, the same way for the same seed", () => {
    const splitter = ${x}.build({ valFraction: 0.25 });
    const { train, val } = splitter.split(index, 1);
    expect(val).toHaveLength(5);
    expect([...train, ...val].sort()).toEqual(index.samples.map((s) => s.id).sort());
    expect(splitter.split(index, 1)).toEqual({ train, val });
    expect(splitter.split(index, 2).val).not.toEqual(val);
  });

  it("a bad option is an error naming the splitter", () => {
    expect(() => ${x}.build({ valFraction: 1.5 })).toThrow(/${p}.*valFraction/);
  });
});
`;
    case "backbone":
      return `${head(`import * as tf from "@tensorflow/tfjs";
`)}import { SeedTree } from "xfer";
import { ${x} } from "../plugins/${name}.ts";

// Importing xfer registers its wasm backend as well; these tests run on tfjs's plain cpu backend.
beforeAll(async () => {
  expect(await tf.setBackend("cpu")).toBe(true);
});

describe("backbone ${p}", () => {
  it("gives numClasses logits per image, the same weights for the same seed", async () => {
    const a = await ${x}.create({}, { seeds: new SeedTree(0), numClasses: 3 });
    const b = await ${x}.create({}, { seeds: new SeedTree(0), numClasses: 3 });
    const x = tf.randomUniform([2, 8, 8, 1], 0, 1, "float32", 1) as tf.Tensor4D;
    const logits = a.forward(x);
    expect(logits.shape).toEqual([2, 3]);
    expect(Array.from(await logits.data())).toEqual(Array.from(await b.forward(x).data()));
    expect(a.trainableVariables().length).toBe(4);
  });

  it("needs numClasses from the run", async () => {
    await expect(${x}.create({}, { seeds: new SeedTree(0) })).rejects.toThrow(/numClasses/);
  });
});
`;
    case "augmentation":
      return `${head("")}import { SeedTree } from "xfer";
import { ${x} } from "../plugins/${name}.ts";

const image = { width: 3, height: 1, channels: 2, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };

describe("augmentation ${p}", () => {
  it("p=1 flips left-right, p=0 keeps the image", () => {
    const rng = new SeedTree(0).stream("augment", 0, "a");
    expect(Array.from(${x}.build({ p: 1 }).apply(image, rng).data)).toEqual([5, 6, 3, 4, 1, 2]);
    expect(${x}.build({ p: 0 }).apply(image, rng)).toBe(image);
  });

  it("draws from its stream: the same stream gives the same flips", () => {
    const flips = (seed: number) => Array.from({ length: 20 }, (_, i) => ${x}.build().apply(image, new SeedTree(seed).stream("augment", 0, \`s\${i}\`)) !== image);
    expect(flips(0)).toEqual(flips(0));
    expect(flips(0)).toContain(true);
    expect(flips(0)).toContain(false);
  });

  it("a bad option is an error naming the augmentation", () => {
    expect(() => ${x}.build({ p: 2 })).toThrow(/${p}.*\\bp\\b/);
  });
});
`;
    case "optimizer":
      return `${head(`import * as tf from "@tensorflow/tfjs";
`)}import { ${x} } from "../plugins/${name}.ts";

// Importing xfer registers its wasm backend as well; these tests run on tfjs's plain cpu backend.
beforeAll(async () => {
  expect(await tf.setBackend("cpu")).toBe(true);
});

describe("optimizer ${p}", () => {
  it("steps against the gradient, with weight decay", async () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    ${x}.build({ weightDecay: 0.5 }).step([v], [tf.tensor1d([1, 1])], 0.1);
    const [a, b] = Array.from(await v.data());
    expect(a).toBeCloseTo(1 - 0.1 * (1 + 0.5 * 1), 6);
    expect(b).toBeCloseTo(2 - 0.1 * (1 + 0.5 * 2), 6);
  });

  it("a bad option is an error naming the optimizer", () => {
    expect(() => ${x}.build({ weightDecay: -1 })).toThrow(/${p}.*weightDecay/);
  });
});
`;
    case "schedule":
      return `${head("")}import { SeedTree } from "xfer";
import { ${x} } from "../plugins/${name}.ts";

describe("schedule ${p}", () => {
  it("multiplies the run's lr by gamma every stepSize epochs", async () => {
    const schedule = await ${x}.create({ gamma: 0.5, stepSize: 2 }, { seeds: new SeedTree(0), training: { lr: 0.1, weightDecay: 0, epochs: 10 } });
    expect([0, 1, 2, 5].map((epoch) => schedule.lr({ epoch, step: 0, stepsPerEpoch: 4 }))).toEqual([0.1, 0.1, 0.05, 0.025]);
  });

  it("a bad option is an error naming the schedule", () => {
    expect(() => ${x}.build({ baseLr: 0.1, stepSize: 0 })).toThrow(/${p}.*stepSize/);
  });
});
`;
    case "metric":
      return `${head("")}import { ${x} } from "../plugins/${name}.ts";

describe("metric ${p}", () => {
  it("is the share of samples whose top score is not their label", () => {
    const metric = ${x}.build();
    expect(metric.direction).toBe("min");
    expect(metric.compute([0, 1, 1, 0], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])).toBe(0.5);
  });

  it("refuses labels and scores of different lengths", () => {
    expect(() => ${x}.build().compute([0, 1], [[1, 0]])).toThrow(/${p}.*same number/);
  });
});
`;
  }
}

function fixtureGenerator(name: string, p: string): string {
  return `/**
 * Writes a small seeded fixture of dataset "${p}" into a folder: labels.json and 8x8 grayscale
 * PNGs in images/, 4 per class, pixels from a named stream of the seed (the same seed writes the
 * same bytes). The test calls generateFixture; to keep a copy, run
 *   npx tsx fixtures/generators/${name}.ts fixtures/${name}
 * Scaffolded by \`xfer new dataset ${name}\`: make it write your format's layout and its edge cases.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import sharp from "sharp";
import { SeedTree } from "xfer";

const CLASSES = ["cat", "dog", "fox"];
const PER_CLASS = 4;
const SIZE = 8;

export async function generateFixture(dir: string, seed: number): Promise<{ id: string; label: string }[]> {
  const seeds = new SeedTree(seed);
  const entries = CLASSES.flatMap((label) => Array.from({ length: PER_CLASS }, (_, i) => ({ id: \`\${label}-\${i}\`, label })));
  await mkdir(join(dir, "images"), { recursive: true });
  for (const { id } of entries) {
    const rng = seeds.stream("fixture", id);
    const pixels = Buffer.from(Array.from({ length: SIZE * SIZE }, () => rng.int(256)));
    await writeFile(join(dir, "images", \`\${id}.png\`), await sharp(pixels, { raw: { width: SIZE, height: SIZE, channels: 1 } }).png().toBuffer());
  }
  await writeFile(join(dir, "labels.json"), JSON.stringify(entries, null, 1) + "\\n");
  return entries;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = process.argv[2];
  if (out === undefined) {
    console.error("usage: npx tsx fixtures/generators/${name}.ts <output folder>");
    process.exit(2);
  }
  await generateFixture(resolve(out), 0);
}
`;
}

/** The files of a new plugin of `kind` named `name` (kebab-case), relative to the project folder. */
export function scaffold(kind: ScaffoldKind, name: string): Scaffold {
  const exportName = exportNameOf(name, kind);
  const pluginName = kind === "backbone" ? `${name}.random` : name;
  const files: [string, string][] = [
    [`plugins/${name}.ts`, plugin(kind, name, exportName, pluginName)],
    [`test/${name}.test.ts`, test(kind, name, exportName, pluginName)],
  ];
  if (kind === "dataset") files.push([`fixtures/generators/${name}.ts`, fixtureGenerator(name, pluginName)]);
  const imports = kind === "dataset" ? ["sharp"] : kind === "backbone" || kind === "optimizer" ? ["@tensorflow/tfjs"] : [];
  return { files, exportName, pluginName, imports };
}
