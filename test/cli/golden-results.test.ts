/**
 * What a CLI user gets must not move when the code is reorganised: the run hashes, every epoch's
 * loss and selection metric, the test metrics and the bytes of the best checkpoint of two small
 * recipes, trained by `xfer run` as a process on wasm. The expected values were written by
 * xfer 0.2.0 before the layout of issue 13; changing them means the results changed, which needs
 * a version bump and a line in docs/determinism.md, not a new golden file.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import golden from "../helpers/golden-results.json" with { type: "json" };

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");

const RUNS: Record<keyof typeof golden, string[]> = {
  // One full grid point of the synthetic study (6 epochs, tiny CNN) ...
  "hello-transfer": ["hello-transfer", "--filter", "training.lr=0.05", "--filter", "training.weightDecay=0"],
  // ... and the Fashion-MNIST smoke runs of the retired fashion-mnist-transfer recipe, kept as a
  // recipe folder: IDX fixture, tiny CNN and a batch-norm ResNet, SGD and AdamW.
  "fashion-mnist-transfer": [resolve(import.meta.dirname, "../fixtures/recipes/fashion-mnist-transfer"), "--smoke"],
};

async function stored(dir: string) {
  const out: Record<string, unknown> = {};
  for (const hash of readdirSync(dir).filter((h) => existsSync(join(dir, h, "result.json")))) {
    const result = JSON.parse(await readFile(join(dir, hash, "result.json"), "utf8"));
    out[hash] = {
      bestEpoch: result.bestEpoch,
      best: result.best,
      test: result.test ?? null,
      epochs: result.epochs.map((e: { trainLoss: number; selection: unknown }) => ({ trainLoss: e.trainLoss, selection: e.selection })),
      // The result names its checkpoint (inside the attempt folder that published it).
      checkpointSha256: createHash("sha256").update(await readFile(join(dir, hash, result.checkpoint.path))).digest("hex"),
    };
  }
  return out;
}

describe("golden results through the CLI", () => {
  for (const [recipe, args] of Object.entries(RUNS) as [keyof typeof golden, string[]][]) {
    it(`${recipe}: same hashes, metrics and checkpoint bytes as xfer 0.2.0`, async () => {
      const out = await mkdtemp(join(tmpdir(), "xfer-golden-"));
      const run = spawnSync(process.execPath, [XFER, "run", ...args, "--backend", "wasm", "--out", out], { encoding: "utf8" });
      expect(run.status, run.stderr.slice(-2000)).toBe(0);
      expect(await stored(join(out, recipe))).toEqual(golden[recipe]);
    });
  }
});
