/** Runs `xfer` as a user does: a separate process, its output captured. */
import { spawn, spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { resolve } from "node:path";

export const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
export const TINY_RECIPE = resolve(import.meta.dirname, "../../fixtures/recipes/three-tiny-runs");

export interface Finished {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function xfer(args: readonly string[]): Promise<Finished> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [XFER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", fail);
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}

/** This host as run-store.ts names it in temp files. */
export const HOST = hostname().replace(/[^A-Za-z0-9-]/g, "-").slice(0, 48) || "host";

/** The pid of a process that has exited (for temp files a killed process left). */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}
