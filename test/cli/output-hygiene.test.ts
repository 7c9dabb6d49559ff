// What a user sees on stderr: no third-party banner, and Ctrl-C ends a sweep saying what was kept
// and how to resume, with nothing half-written.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRunFolders } from "../store/run-folders.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");
const THREE = join(ROOT, "fixtures/recipes/three-tiny-runs");

function published(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((id) => existsSync(join(dir, id, "result.json"))) : [];
}

describe("output hygiene", () => {
  it("xfer run --backend cpu prints no tfjs banner", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-banner-"));
    const run = spawnSync(process.execPath, [XFER, "run", THREE, "--out", out, "--backend", "cpu"], { encoding: "utf8", cwd: ROOT, timeout: 300_000 });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/xfer: backend cpu/);
    expect(run.stderr).not.toMatch(/Hi, looks like you are running TensorFlow\.js|tfjs-node/);
  }, 300_000);

  it("Ctrl-C says what was kept and how to resume, exits 130, and the same command finishes the sweep", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-sigint-"));
    const runDir = join(out, "hello-transfer");
    const args = [XFER, "run", "hello-transfer", "--out", out, "--backend", "cpu"];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done, fail) => {
      const poll = setInterval(() => {
        if (published(runDir).length >= 1) {
          clearInterval(poll);
          child.kill("SIGINT");
        }
      }, 50);
      child.on("exit", (exitCode, signal) => {
        clearInterval(poll);
        if (signal !== null) fail(new Error(`killed by ${signal}, not handled: ${stderr}`));
        done(exitCode);
      });
    });
    expect(code).toBe(130);
    const kept = published(runDir).length;
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(4);
    expect(stderr).toMatch(new RegExp(`xfer: interrupted: ${kept} of 4 run\\(s\\) of hello-transfer are kept in ${runDir.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    expect(stderr).toMatch(`xfer: to resume, run the same command: xfer run hello-transfer --out ${out} --backend cpu`);
    // Every published run is whole (result, checkpoint and epochs agree).
    expect(checkRunFolders(runDir).published.size).toBe(kept);

    const resumed = spawnSync(process.execPath, args, { encoding: "utf8", cwd: ROOT, timeout: 300_000 });
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`hello-transfer: ${4 - kept} trained, ${kept} already done`));
    expect(checkRunFolders(runDir).published.size).toBe(4);
  }, 600_000);
});
