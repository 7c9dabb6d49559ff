/**
 * Opt-in multi-threaded wasm (`wasmThreads` > 1): the small conv + batch-norm + depthwise net, and a
 * net that takes every route xfer's kernels split with the helper thread, train on two threads with
 * the same bits as on one, and every way it cannot start is refused with the reason. Each thread
 * count runs in its own process (a backend initialises once).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PluginRegistry } from "../../core/plugin.ts";
import { BACKEND_PLUGINS, selectBackend } from "../../plugins/backends/index.ts";
import { patchWorkerScript } from "../../plugins/backends/wasm/threads.ts";
import { expectTwoThreadsAsOne, initBackends } from "./helpers.ts";

const script = fileURLToPath(new URL("./determinism-run.ts", import.meta.url));

function trainInChild(threads: number): { threads: number; digest: string } {
  const output = execFileSync(process.execPath, ["--import", "tsx", script, "3", "4", String(threads)], { encoding: "utf8", timeout: 120_000 });
  const [reported, digest] = output.trim().split("\n").slice(-2);
  return { threads: Number(reported), digest };
}

/**
 * Steps of the net of parallel-run.ts. The helper thread takes a lane only when it wakes before this
 * thread has claimed them all, which under the suite's load (two files at once on 2 cores) fails for
 * most splits: at load 6.5 to 7.5, 3 steps gave it 8 to 44 lanes, 6 steps 105 to 137 (+0.3 s a child).
 */
const ROUTE_STEPS = 6;

/** Arguments of parallel-run.ts, whose net's layers take every route split between threads. */
const routesArgs = (threads: number) => [String(ROUTE_STEPS), String(threads)];

describe("wasm on two threads", () => {
  it("trains the small net bit-identically to one thread", () => {
    const one = trainInChild(1);
    const two = trainInChild(2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.digest).toBe(one.digest);
  });

  it("splits xfer's GEMM, Winograd and per-tap kernels with the helper thread, bit-identically to one thread", () => {
    expectTwoThreadsAsOne("parallel-run.ts", routesArgs);
  });

  it("xfer run --wasm-threads 2 records the threads and the threaded binary with every run", () => {
    const out = mkdtempSync(join(tmpdir(), "xfer-threads-"));
    const xfer = fileURLToPath(new URL("../../plugins/platform/node/cli/xfer.mjs", import.meta.url));
    execFileSync(process.execPath, [xfer, "run", "hello-transfer", "--smoke", "--out", out, "--wasm-threads", "2"], { stdio: "ignore", timeout: 120_000 });
    const runs = readdirSync(join(out, "hello-transfer"));
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      // The environment lives with the attempt that published the run's result (docs/training.md, Run folders).
      const { attempt } = JSON.parse(readFileSync(join(out, "hello-transfer", run, "result.json"), "utf8")) as { attempt: string };
      const environment = JSON.parse(readFileSync(join(out, "hello-transfer", run, "attempts", attempt, "environment.json"), "utf8")) as { threads: number; versions: Record<string, string> };
      expect(environment.threads).toBe(2);
      expect(environment.versions["wasm-binary"]).toBe("threaded-simd");
    }
  });

  it("refuses more threads once this process runs wasm on one", async () => {
    await initBackends();
    await expect(selectBackend(new PluginRegistry(BACKEND_PLUGINS), { prefer: "wasm", wasmThreads: 2 })).rejects.toThrow(/wasmThreads=2: the wasm backend of this process already runs 1 thread\(s\)/);
  });

  it("refuses a worker script whose internals changed, naming what it looked for", () => {
    expect(patchWorkerScript('var x=1;\nimportScripts:function(f){load(f)}', "/glue.js")).toBe(
      'var x=1;\\nimportScripts:function(f){if(String(f).startsWith("blob:"))f="/glue.js";load(f)}',
    );
    expect(() => patchWorkerScript("importScripts=function(f){}", "/glue.js")).toThrow(/no longer contains "importScripts:function\(f\)\{"/);
  });
});

