// Reference splits through the real dataset plugins and the CLI: a Kaggle-layout train.csv with the
// real class sizes (images are empty files: indexing only lists the image folder) must split into
// the reference code's sizes, APTOS 2,931/731 and Cassava 17,120/4,277.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginRegistry } from "../../core/plugin.ts";
import { SeedTree } from "../../core/rng.ts";
import { REFERENCE_SPLITS, type SplitManifest } from "../../core/splits/index.ts";
import { registerSplitsCommand } from "../../plugins/platform/node/cli/commands/splits.ts";
import { aptos2019 } from "../../plugins/datasets/aptos2019/index.ts";
import { cassava } from "../../plugins/datasets/cassava/index.ts";
import { melanoma } from "../../plugins/datasets/melanoma/index.ts";
import { nodeDatasetContext } from "../../plugins/platform/node/context.ts";
import { referenceFoldsSplitter, referenceHoldoutSplitter } from "../../plugins/splitters/index.ts";

const deps = { registry: new PluginRegistry([aptos2019, cassava, melanoma, referenceHoldoutSplitter, referenceFoldsSplitter]), makeDatasetContext: nodeDatasetContext };
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "xfer-splits-ref-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Rows cycle through the classes (file order mixes them), one empty image per row. */
function kaggleLayout(root: string, header: string, sizes: readonly number[], extension: { inId: boolean; ext: string }): void {
  mkdirSync(join(root, "train_images"), { recursive: true });
  const left = [...sizes];
  const lines = [header];
  for (let row = 0; left.some((n) => n > 0); ) {
    left.forEach((n, label) => {
      if (n === 0) return;
      const name = `r${String(row++).padStart(5, "0")}`;
      lines.push(`${extension.inId ? name + extension.ext : name},${label}`);
      writeFileSync(join(root, "train_images", name + extension.ext), "");
      left[label]--;
    });
  }
  writeFileSync(join(root, "train.csv"), `${lines.join("\n")}\n`);
}

async function make(dataset: string, root: string): Promise<SplitManifest> {
  const program = new Command("xfer").exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerSplitsCommand(program, deps);
  const out = join(dir, `${dataset}.json`);
  await program.parseAsync(["node", "xfer", "splits", "make", dataset, "--root", root, "--out", out]);
  return JSON.parse(readFileSync(out, "utf8"));
}

describe("reference splits of the paper datasets", () => {
  it("APTOS 2019 (seed 414): 2,931 / 731", async () => {
    const root = join(dir, "aptos");
    kaggleLayout(root, "id_code,diagnosis", [1805, 370, 999, 193, 295], { inId: false, ext: ".png" }); // id_code has no extension
    const m = await make("aptos2019", root);
    expect([m.splitter.name, m.seed, m.splits.train.count, m.splits.val.count]).toEqual(["reference-holdout", 414, 2931, 731]);
    expect(m.splits.val.perClass).toEqual({ "No DR": 361, Mild: 74, Moderate: 199, Severe: 38, "Proliferative DR": 59 });
  });

  it("Cassava (seed 414): 17,120 / 4,277", async () => {
    const root = join(dir, "cassava");
    kaggleLayout(root, "image_id,label", [1087, 2189, 2386, 13158, 2577], { inId: true, ext: ".jpg" }); // image_id is the file name
    const m = await make("cassava", root);
    expect([m.splitter.name, m.seed, m.splits.train.count, m.splits.val.count]).toEqual(["reference-holdout", 414, 17120, 4277]);
  });

  it("Melanoma (seed 23): 2020 val folds {3, 6, 8}, six 2019 val folds, tfrecord -1 in neither split", async () => {
    const root = join(dir, "melanoma");
    const folds = { 2020: 15, 2019: 30 };
    for (const [year, count] of Object.entries(folds)) {
      mkdirSync(join(root, `melanoma-${year}`, "train"), { recursive: true });
      const lines = ["image_name,target,tfrecord"];
      // Two rows per fold (one per class) and two rows outside every fold.
      for (let fold = -1; fold < count; fold++) {
        for (const target of [0, 1]) {
          const name = `ISIC_${year}_${fold + 1}_${target}`;
          lines.push(`${name},${target},${fold}`);
          writeFileSync(join(root, `melanoma-${year}`, "train", `${name}.jpg`), "");
        }
      }
      writeFileSync(join(root, `melanoma-${year}`, "train.csv"), `${lines.join("\n")}\n`);
    }
    const m = await make("melanoma", root);
    expect([m.splitter.name, m.seed]).toEqual(["reference-folds", 23]);
    // 2020: 3 val folds (6 rows); 2019: 30 - int(0.8 * 30) = 6 val folds (12 rows).
    expect(m.splits.val.count).toBe(2 * 3 + 2 * 6);
    expect(m.splits.train.count).toBe(2 * 12 + 2 * 24);
    const dataset = await melanoma.create({}, { seeds: new SeedTree(0) });
    const splitter = await referenceFoldsSplitter.create(REFERENCE_SPLITS.melanoma.options, { seeds: new SeedTree(0) });
    const split = splitter.split(await dataset.index(nodeDatasetContext(root)), REFERENCE_SPLITS.melanoma.seed);
    const valFolds2020 = [...new Set(split.val.filter((id) => id.startsWith("2020/")).map((id) => Number(id.split("_")[2]) - 1))];
    expect(valFolds2020.sort((a, b) => a - b)).toEqual([3, 6, 8]);
  });
});
