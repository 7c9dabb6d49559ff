// Errors as a person meets them on the command line: one short line naming what failed and where,
// exit code 1, the stack only with --verbose (or XFER_VERBOSE=1), also for errors raised after the
// wasm backend is up, whose glue otherwise rethrows them with ~39 KB of its minified source.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { errorSummary } from "../../plugins/platform/node/cli/error-report.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const STRAY = resolve(import.meta.dirname, "helpers/stray-rejection.mjs");

function xfer(args: string[], { env = {}, preload }: { env?: Record<string, string>; preload?: string } = {}) {
  const run = spawnSync(process.execPath, [...(preload ? ["--import", preload] : []), XFER, ...args], {
    encoding: "utf8", env: { ...process.env, XFER_VERBOSE: "", ...env }, timeout: 120_000,
  });
  return { code: run.status, out: run.stdout, err: run.stderr, last: run.stderr.trimEnd().split("\n").at(-1) ?? "" };
}

/** Short, no minified glue source, and the failure on one line starting "xfer: ". */
function expectReadable(err: string, last: string): void {
  expect(err.length, err.slice(0, 2000)).toBeLessThan(1024);
  expect(err).not.toMatch(/tfjs-backend-wasm\.js|WasmBackendModule|\n\s+at /);
  expect(last).toMatch(/^xfer: /);
}

describe("xfer errors, as processes", () => {
  // chmod 0o555 does not stop root (CI runs as root), so the unwritable --out is a path under a
  // regular file: mkdir/open fail with ENOTDIR for every user, reproducibly.
  it("a run into an --out under a regular file fails after the backend is up with one line naming the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-errors-"));
    const file = join(dir, "a-file");
    writeFileSync(file, "not a folder\n");
    const args = ["run", "hello-transfer", "--smoke", "--backend", "wasm", "--out", join(file, "out")];
    const plain = xfer(args);
    expect(plain.code).toBe(1);
    expect(plain.err).toMatch(/^xfer: backend wasm /); // the backend was up when it failed
    expectReadable(plain.err, plain.last);
    expect(plain.last).toContain(`${file} is a file, not a folder (ENOTDIR)`);
    expect(plain.last).toMatch(new RegExp(`^xfer: cannot \\w+( folder)? ${file.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")}/out/hello-transfer`));

    for (const verbose of [xfer([...args, "--verbose"]), xfer(args, { env: { XFER_VERBOSE: "1" } })]) {
      expect(verbose.code).toBe(1);
      expect(verbose.err).toContain(plain.last);
      expect(verbose.err).toMatch(/\n\s+at .*main\.ts:\d+/);
    }
  });

  it("a stray rejection after the backend is up is one line, not the wasm glue's rethrow", () => {
    const run = xfer(["run", "hello-transfer", "--smoke", "--backend", "wasm", "--out", join(tmpdir(), "xfer-errors-stray")], { preload: STRAY });
    expect(run.code).toBe(1);
    expectReadable(run.err, run.last);
    expect(run.last).toBe("xfer: internal error: TypeError: stray failure after the backend is up (a bug in xfer: re-run with --verbose and report the output)");
    const verbose = xfer(["--verbose", "run", "hello-transfer", "--smoke", "--backend", "wasm", "--out", join(tmpdir(), "xfer-errors-stray")], { preload: STRAY });
    expect(verbose.code).toBe(1);
    expect(verbose.err).toMatch(/TypeError: stray failure after the backend is up\n\s+at .*stray-rejection\.mjs/);
  });

  // Root writes through any permission, so as root the process runs as user nobody (65534),
  // for whom the folder's 0o555 holds.
  it("a recipe that Node would load as CommonJS says how to make it an ES module", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-commonjs-"));
    const core = JSON.stringify(resolve(import.meta.dirname, "../../core/index.ts"));
    writeFileSync(join(dir, "recipe.ts"), `import { defineRecipe } from ${core};\nexport default defineRecipe({ name: "cjs", description: "", template: {} as never });\n`);
    const run = xfer(["plan", dir]);
    expect(run.code).toBe(1);
    expectReadable(run.err, run.last);
    expect(run.last).toBe(`xfer: ${join(dir, "recipe.ts")}: is loaded as CommonJS, which cannot import xfer (an ES module): put a package.json with "type": "module" in ${dir} or a folder above it, or name the file .mts/.mjs`);
  });

  it("a read-only --out names the folder that could not be created and why", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-errors-ro-"));
    chmodSync(dir, 0o755);
    const locked = join(dir, "locked");
    mkdirSync(locked, { mode: 0o555 });
    chmodSync(locked, 0o555);
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const run = spawnSync(process.execPath, [XFER, "run", "hello-transfer", "--smoke", "--backend", "cpu", "--out", join(locked, "out")], {
      encoding: "utf8", env: { ...process.env, XFER_VERBOSE: "", HOME: dir }, cwd: dir, timeout: 120_000, ...asNobody,
    });
    const last = run.stderr.trimEnd().split("\n").at(-1) ?? "";
    expect(run.status, run.stderr).toBe(1);
    expectReadable(run.stderr, last);
    expect(last).toBe(`xfer: cannot create folder ${join(locked, "out")}: permission denied (EACCES)`);
  });
});

describe("OS errors in words", () => {
  /** An error shaped as Node's fs errors are (code, syscall, path). */
  const osError = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });

  it("names the action, the path and the reason", () => {
    expect(errorSummary(osError("EACCES", "mkdir", "/data/out"))).toBe("cannot create folder /data/out: permission denied (EACCES)");
    expect(errorSummary(osError("EROFS", "open", "/mnt/ro/result.json"))).toBe("cannot open /mnt/ro/result.json: the file system is read-only (EROFS)");
    expect(errorSummary(osError("ENOSPC", "write", "/full/best.safetensors"))).toBe("cannot write /full/best.safetensors: no space left on the device (ENOSPC)");
  });

  it("says which part of a missing path is missing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-errors-enoent-"));
    expect(errorSummary(osError("ENOENT", "open", join(dir, "gone.csv")))).toBe(`cannot open ${join(dir, "gone.csv")}: no such file or folder (ENOENT)`);
    expect(errorSummary(osError("ENOENT", "open", join(dir, "a", "b", "gone.csv"))))
      .toBe(`cannot open ${join(dir, "a", "b", "gone.csv")}: folder ${join(dir, "a", "b")} does not exist (${dir} is the nearest that does) (ENOENT)`);
  });

  it("calls anything else an internal error, on one line, cut when long", () => {
    const long = new RangeError(`Invalid array length ${"x".repeat(5000)}\nsecond line`);
    const summary = errorSummary(long);
    expect(summary).toMatch(/^internal error: RangeError: Invalid array length x+… \(cut; --verbose prints all\) \(a bug in xfer/);
    expect(summary).not.toContain("\n");
    expect(summary.length).toBeLessThan(500);
    expect(errorSummary(42)).toMatch(/^internal error: thrown value 42 /);
  });
});
