/**
 * A run's identity includes the tensors of the weights its backbone starts from (not their path or
 * format): another weights file never reuses a stored result; the same weights elsewhere do. A
 * run without external weights keeps its spec hash (the golden tests pin those).
 */
import { statSync, writeFileSync, copyFileSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { plan, runIdentity, SeedTree, tensorsSha256 } from "../../core/index.ts";
import { createBackbone } from "../../plugins/backbones/index.ts";
import { exportStore, readCheckpoint, writeSafetensors } from "../../plugins/backbones/weights/index.ts";
import recipe from "../../fixtures/recipes/one-mini-resnet/recipe.ts";
import { checkRunFolders } from "./run-folders.ts";
import { xfer } from "./helpers.ts";

const RECIPE = resolve(import.meta.dirname, "../../fixtures/recipes/one-mini-resnet");
const BACKBONE = "resnet18_mini.random";

/** resnet18_mini weights drawn from `seed`, as a safetensors file written by xfer's own writer. */
async function weightsFile(dir: string, seed: number): Promise<string> {
  const backbone = await createBackbone(BACKBONE, { numClasses: 10, seeds: new SeedTree(seed) });
  const path = join(dir, `resnet18_mini-${seed}.safetensors`);
  writeFileSync(path, writeSafetensors(exportStore(backbone.store)));
  backbone.dispose();
  return path;
}

describe("run identity", () => {
  it("hashes tensors, not files: a .pth and a .safetensors of the same weights are one identity", async () => {
    const pth = await readCheckpoint("fixtures/parity/backbones/resnet18_mini.pth");
    const st = await readCheckpoint("fixtures/parity/backbones/resnet18_mini.safetensors");
    expect(tensorsSha256(pth)).toBe(tensorsSha256(st));
    const changed = new Map(st);
    const [name, tensor] = [...st][0];
    const data = tensor.data.slice();
    data[0] += 1;
    changed.set(name, { shape: tensor.shape, data });
    expect(tensorsSha256(changed)).not.toBe(tensorsSha256(st));
    const specHash = "a".repeat(64);
    expect(runIdentity({ specHash })).toBe(specHash);
    expect(runIdentity({ specHash, weights: { backbone: BACKBONE, tensorsSha256: tensorsSha256(st) } })).not.toBe(specHash);
  });

  it("trains again with other weights, leaves the first result untouched, and reuses it for the same weights at another path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-identity-"));
    const out = join(dir, "out");
    const [first, second] = [await weightsFile(dir, 1), await weightsFile(dir, 2)];
    let configs = 0;
    const run = async (weights: string) => {
      const config = join(dir, `config-${++configs}.json`);
      writeFileSync(config, JSON.stringify({ weights: { [BACKBONE]: weights } }));
      const done = await xfer(["--config", config, "run", RECIPE, "--out", out, "--backend", "wasm"]);
      expect(done.status, done.stderr).toBe(0);
      return done.stdout;
    };
    const [{ hash: specHash }] = plan(recipe);
    const runDir = join(out, "one-mini-resnet");

    expect(await run(first)).toContain("1 trained, 0 already done");
    const [firstId] = checkRunFolders(runDir).published.keys();
    expect(firstId).not.toBe(specHash);
    const firstResult = join(runDir, firstId, "result.json");
    const before = { bytes: readFileSync(firstResult), mtime: statSync(firstResult).mtimeMs };
    const recorded = checkRunFolders(runDir).published.get(firstId)!.weights!;
    expect(recorded).toEqual({ backbone: BACKBONE, tensorsSha256: tensorsSha256(await readCheckpoint(first)) });
    expect(firstId).toBe(runIdentity({ specHash, weights: recorded }));

    expect(await run(second)).toContain("1 trained, 0 already done");
    expect(checkRunFolders(runDir).published.size).toBe(2);
    expect({ bytes: readFileSync(firstResult), mtime: statSync(firstResult).mtimeMs }).toEqual(before);

    const moved = join(dir, "elsewhere.safetensors");
    copyFileSync(first, moved);
    expect(await run(moved)).toContain("0 trained, 1 already done");
  }, 180_000);
});
