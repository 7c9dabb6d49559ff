// `xfer splits make|verify` end to end with the real `image-folder` dataset plugin and the Node
// dataset context: indexing reads only the folder tree, so empty .png files are enough.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, expect, it } from "vitest";
import { PluginRegistry } from "../../core/plugin.ts";
import type { SplitManifest } from "../../core/splits/index.ts";
import { registerSplitsCommand } from "../../plugins/platform/node/cli/commands/splits.ts";
import { imageFolder } from "../../plugins/datasets/image-folder/index.ts";
import { nodeDatasetContext } from "../../plugins/platform/node/context.ts";
import { stratifiedHoldoutSplitter } from "../../plugins/splitters/index.ts";

const deps = { registry: new PluginRegistry([imageFolder, stratifiedHoldoutSplitter]), makeDatasetContext: nodeDatasetContext };
let dir: string;
let root: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "xfer-splits-folder-"));
  root = join(dir, "data");
  mkdirSync(root);
  for (const [cls, n] of [["Forest", 12], ["River", 7], ["Sea", 5]] as const) {
    mkdirSync(join(root, cls));
    for (let k = 1; k <= n; k++) writeFileSync(join(root, cls, `${cls}_${k}.png`), "");
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function xfer(...args: string[]) {
  const program = new Command("xfer").exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerSplitsCommand(program, deps);
  await program.parseAsync(["node", "xfer", ...args]);
}

it("records the folder's classes and catches a file moved to another class", async () => {
  const file = join(dir, "folder.split.json");
  await xfer("splits", "make", "image-folder", "--root", root, "--out", file, "--seed", "3");
  const m: SplitManifest = JSON.parse(readFileSync(file, "utf8"));
  expect(Object.keys(m.splits.val.perClass)).toEqual(["Forest", "River", "Sea"]);
  expect(m.splits.train.perClass.Forest + m.splits.val.perClass.Forest).toBe(12);
  await xfer("splits", "verify", file, "--root", root);
  renameSync(join(root, "Sea", "Sea_1.png"), join(root, "River", "Sea_1.png"));
  await expect(xfer("splits", "verify", file, "--root", root)).rejects.toThrow(/class "Sea": \d+ -> \d+/);
});
