/**
 * Backends as a CLI user meets them: listed as plugins, chosen by name or "auto" from one list (the
 * registry's), an unknown name refused with the valid ones, and the version read from package.json.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");

function xfer(args: string[], cwd = ROOT) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", cwd });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe("backends through the CLI", () => {
  it("lists the backend plugins and starts a named one, recording it with the package's version", async () => {
    const list = xfer(["list", "plugins"]);
    expect(list.code).toBe(0);
    const backends = list.out.split("\n").filter((l) => /^\s+backend\s/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
    expect(backends).toEqual(["cpu", "tensorflow", "wasm"]);

    const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
    const env = xfer(["env", "--backend", "cpu"]);
    expect(env.code, env.err).toBe(0);
    const record = JSON.parse(env.out) as Record<string, unknown>;
    expect(record).toMatchObject({ xfer: version, backend: "cpu", threads: 1, package: "@tensorflow/tfjs-backend-cpu", problems: [] });
    expect(Object.keys(record).sort()).toEqual(["backend", "backendVersion", "config", "package", "platform", "problems", "runtime", "threads", "versions", "xfer"]);
    expect((record.versions as Record<string, string>).xfer).toBe(version);
    expect(xfer(["--version"]).out).toMatch(new RegExp(`^xfer ${version.replaceAll(".", "\\.")} \\(backend `));
  });

  it("refuses an unknown backend on the command line and in the config, listing the valid names", async () => {
    const flag = xfer(["env", "--backend", "gpu"]);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/argument 'gpu' is invalid\. Allowed choices are auto, cpu, tensorflow, wasm\./);

    const dir = await mkdtemp(join(tmpdir(), "xfer-backend-config-"));
    await writeFile(join(dir, ".xferrc.json"), JSON.stringify({ backend: "gpu" }));
    const config = xfer(["env"], dir);
    expect(config.code).toBe(1);
    expect(config.err).toContain(join(dir, ".xferrc.json"));
    expect(config.err).toMatch(/field "backend".*"auto".*"cpu".*"tensorflow".*"wasm"/);
  });
});
