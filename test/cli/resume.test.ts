import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { attemptFree } from "../helpers/attempt-free.ts";
import { main } from "../../plugins/platform/node/cli/main.ts";
import { checkRunFolders } from "../store/run-folders.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const RECIPE = resolve(import.meta.dirname, "../../fixtures/recipes/three-tiny-runs");
const quiet = { out: () => {}, err: () => {} };

function finished(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((hash) => existsSync(join(dir, hash, "result.json"))).sort();
}

async function results(dir: string): Promise<unknown[]> {
  return Promise.all(
    finished(dir).map(async (hash) => {
      // Timings, wall-clock times and attempt ids differ between processes; everything else, the checkpoint's and predictions' bytes included, must not.
      return attemptFree(JSON.parse(await readFile(join(dir, hash, "result.json"), "utf8")));
    }),
  );
}

describe("resume after a kill", () => {
  it("does not recompute finished runs, and ends with the results of an uninterrupted sweep", async () => {
    const killedOut = await mkdtemp(join(tmpdir(), "xfer-killed-"));
    const runDir = join(killedOut, "three-tiny-runs");
    // One worker process (--jobs 1): SIGKILL ends the whole sweep at once, as a node failure would.
    const child = spawn(process.execPath, [XFER, "run", RECIPE, "--out", killedOut, "--backend", "wasm", "--jobs", "1"], { stdio: "ignore" });
    await new Promise<void>((done, fail) => {
      const poll = setInterval(() => {
        if (finished(runDir).length >= 1) {
          clearInterval(poll);
          child.kill("SIGKILL");
          done();
        }
      }, 50);
      child.on("exit", () => {
        clearInterval(poll);
        fail(new Error("the sweep ended before it could be killed"));
      });
    });
    const survivors = finished(runDir);
    expect(survivors.length).toBeGreaterThanOrEqual(1);
    expect(survivors.length).toBeLessThan(3);
    const mtimes = survivors.map((h) => readFileSyncMtime(join(runDir, h, "result.json")));

    expect(await main(["node", "xfer", "run", RECIPE, "--out", killedOut, "--backend", "wasm"], quiet)).toBe(0);
    expect(finished(runDir)).toHaveLength(3);
    // The runs that had finished were skipped, not rewritten.
    expect(survivors.map((h) => readFileSyncMtime(join(runDir, h, "result.json")))).toEqual(mtimes);
    // What the killed attempt left (a partial epochs stream, maybe a checkpoint) never mixes into a published run.
    expect(checkRunFolders(runDir).published.size).toBe(3);

    const cleanOut = await mkdtemp(join(tmpdir(), "xfer-clean-"));
    expect(await main(["node", "xfer", "run", RECIPE, "--out", cleanOut, "--backend", "wasm"], quiet)).toBe(0);
    expect(await results(runDir)).toEqual(await results(join(cleanOut, "three-tiny-runs")));
  }, 180_000);
});

function readFileSyncMtime(path: string): number {
  return statSync(path).mtimeMs;
}
