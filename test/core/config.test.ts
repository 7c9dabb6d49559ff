import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defineConfig } from "../../core/index.ts";
import { loadConfig } from "../../plugins/platform/node/config.ts";

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "xfer-config-"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe("config", () => {
  it("uses defaults when no config file exists", async () => {
    const dir = await project({ "package.json": "{}" });
    const { config, filepath } = await loadConfig({ cwd: dir });
    expect(filepath).toBeUndefined();
    expect(config).toEqual({ dataRoots: {}, allowedDataDirs: [], weights: {}, outDir: "runs", seed: 0, backend: "auto", wasmThreads: 1, plugins: [] });
  });

  it("finds xfer.config.json, .xferrc.yaml and package.json#xfer", async () => {
    const a = await project({ "xfer.config.json": JSON.stringify({ dataRoots: { aptos2019: "/data/aptos" }, seed: 3 }) });
    expect((await loadConfig({ cwd: a })).config.dataRoots).toEqual({ aptos2019: "/data/aptos" });
    const b = await project({ ".xferrc.yaml": "backend: cpu\noutDir: out\n" });
    expect((await loadConfig({ cwd: b })).config).toMatchObject({ backend: "cpu", outDir: "out" });
    const c = await project({ "package.json": JSON.stringify({ name: "x", xfer: { seed: 11 } }) });
    expect((await loadConfig({ cwd: c })).config.seed).toBe(11);
  });

  it("loads a TypeScript config written with defineConfig", async () => {
    const d = await project({
      "xfer.config.ts": "export default { dataRoots: { cassava: '/data/cassava' }, backend: 'wasm' as const };\n",
    });
    const loaded = await loadConfig({ cwd: d });
    expect(loaded.filepath).toBe(join(d, "xfer.config.ts"));
    expect(loaded.config).toMatchObject({ dataRoots: { cassava: "/data/cassava" }, backend: "wasm" });
    expect(defineConfig({ seed: 1 })).toEqual({ seed: 1 });
  });

  it("names the file and the field in errors", async () => {
    const dir = await project({ "xfer.config.json": JSON.stringify({ dataRoots: { aptos2019: 5 }, backend: "gpu" }) });
    const attempt = loadConfig({ cwd: dir });
    await expect(attempt).rejects.toThrow(join(dir, "xfer.config.json"));
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(/field "dataRoots.aptos2019"/);
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(/field "backend"/);
    const typo = await project({ ".xferrc.json": JSON.stringify({ dataroots: {} }) });
    await expect(loadConfig({ cwd: typo })).rejects.toThrow(/dataroots/);
  });
});
