// What a user sees on stderr: no third-party banner, and Ctrl-C ends a sweep saying what was kept
// and how to resume, with nothing half-written. Both read one sweep, interrupted and resumed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkRunFolders } from "../store/run-folders.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");

function published(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((id) => existsSync(join(dir, id, "result.json"))) : [];
}

let out: string;
let runDir: string;
let interrupted: { code: number | null; stderr: string; kept: number; whole: number };
let resumed: { status: number | null; stdout: string; stderr: string; whole: number };

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "xfer-sigint-"));
  runDir = join(out, "hello-transfer");
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
  // Every published run is whole (result, checkpoint and epochs agree), after the stop and after the resume.
  interrupted = { code, stderr, kept: published(runDir).length, whole: checkRunFolders(runDir).published.size };
  const again = spawnSync(process.execPath, args, { encoding: "utf8", cwd: ROOT, timeout: 300_000 });
  resumed = { status: again.status, stdout: again.stdout, stderr: again.stderr, whole: checkRunFolders(runDir).published.size };
}, 600_000);

describe("output hygiene", () => {
  it("xfer run --backend cpu prints no tfjs banner", () => {
    for (const stderr of [interrupted.stderr, resumed.stderr]) {
      expect(stderr).toMatch(/xfer: backend cpu/);
      expect(stderr).not.toMatch(/Hi, looks like you are running TensorFlow\.js|tfjs-node/);
    }
  });

  it("Ctrl-C says what was kept and how to resume, exits 130, and the same command finishes the sweep", () => {
    const { code, stderr, kept, whole } = interrupted;
    expect(code).toBe(130);
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(kept).toBeLessThan(4);
    expect(stderr).toMatch(new RegExp(`xfer: interrupted: ${kept} of 4 run\\(s\\) of hello-transfer are kept in ${runDir.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    expect(stderr).toMatch(`xfer: to resume, run the same command: xfer run hello-transfer --out ${out} --backend cpu`);
    expect(whole).toBe(kept);

    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`hello-transfer: ${4 - kept} trained, ${kept} already done`));
    expect(resumed.whole).toBe(4);
  });
});
