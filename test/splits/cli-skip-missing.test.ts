// `xfer splits make --skip-missing` on the APTOS fixture with one image deleted: without the flag
// the missing file is an error naming it; with it, the sample is left out, counted and listed.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { expect, it } from "vitest";
import type { SplitManifest } from "../../core/splits/index.ts";
import { registerSplitsCommand } from "../../plugins/platform/node/cli/commands/splits.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import { nodeDatasetContext } from "../../plugins/platform/node/context.ts";

async function xfer(out: string[], ...args: string[]) {
  const program = new Command("xfer").exitOverride().configureOutput({ writeOut: (t) => void out.push(t), writeErr: (t) => void out.push(t) });
  registerSplitsCommand(program, { registry: builtinRegistry(), makeDatasetContext: nodeDatasetContext });
  await program.parseAsync(["node", "xfer", ...args]);
}

it("reports how many samples --skip-missing left out instead of failing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "xfer-skip-"));
  const root = join(dir, "aptos2019");
  cpSync(resolve(import.meta.dirname, "../../fixtures/datasets/aptos2019"), root, { recursive: true });
  const victim = readdirSync(join(root, "train_images")).sort()[0];
  rmSync(join(root, "train_images", victim));
  const args = ["splits", "make", "aptos2019", "--root", root, "--splitter", "stratified-holdout", "--splitter-options", '{"valFraction":0.5}'];

  await expect(xfer([], ...args, "--out", join(dir, "a.json"))).rejects.toThrow(victim);
  const out: string[] = [];
  await xfer(out, ...args, "--out", join(dir, "b.json"), "--skip-missing");
  const manifest: SplitManifest = JSON.parse(readFileSync(join(dir, "b.json"), "utf8"));
  expect(manifest.index.skipped).toBe(1);
  expect(out.join("")).toMatch(/1 sample\(s\) skipped by the dataset/);
  // ... and which one, with the reason.
  expect(out.join("")).toContain(`xfer: aptos2019: left out sample ${victim.replace(/\.png$/, "")}: `);
  rmSync(dir, { recursive: true, force: true });
});
