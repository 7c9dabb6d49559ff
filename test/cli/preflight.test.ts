// Preflight as a user meets it: a recipe with several mistakes fails before any backend starts,
// listing every mistake at once; `plan` prints them as warnings unless --strict.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");
// Its mistakes: a backbone and an augmentation misspelt, a splitter option out of range; the config below adds a missing data root and weights file.
const TYPOS = join(ROOT, "fixtures/recipes/preflight-typos");

function xfer(args: string[], cwd: string) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", cwd, timeout: 120_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

let project: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), "xfer-preflight-"));
  writeFileSync(join(project, "xfer.config.json"), JSON.stringify({
    dataRoots: { "image-folder": join(project, "no-such-images") },
    weights: { "tinycnn.randm": join(project, "no-such-weights.safetensors") },
  }));
});

describe("preflight", () => {
  it("xfer run lists every problem at once, with did-you-mean, and starts nothing", () => {
    const out = join(project, "runs");
    const { code, err } = xfer(["run", TYPOS, "--out", out, "--backend", "cpu"], project);
    expect(code).toBe(1);
    expect(err).toMatch(/preflight found 6 problem\(s\)/);
    expect(err).toMatch(/unknown backbone "tinycnn\.randm"; did you mean "tinycnn\.random"\?/);
    expect(err).toMatch(/unknown augmentation "horizontl-flip"; did you mean "horizontal-flip"\?/);
    expect(err).toMatch(/splitter plugin "stratified-holdout": option "valFraction"/);
    expect(err).toMatch(/optimizer plugin "sgd": option "momentum"/);
    expect(err).toMatch(/config dataRoots\["image-folder"\]: .*no-such-images: no such directory \(2 run\(s\)\)/);
    expect(err).toMatch(/config weights\["tinycnn\.randm"\]: .*no-such-weights\.safetensors: no such file/);
    expect(err).not.toMatch(/xfer: backend/);
    expect(existsSync(join(out, "preflight-typos"))).toBe(false);
  }, 120_000);

  it("xfer plan prints the problems as warnings and the plan; --strict makes them errors", () => {
    const lenient = xfer(["plan", TYPOS], project);
    expect(lenient.code).toBe(0);
    expect(lenient.err).toMatch(/xfer: warning: unknown backbone "tinycnn\.randm"; did you mean "tinycnn\.random"\?/);
    expect(lenient.out).toMatch(/2 run\(s\)/);
    const strict = xfer(["plan", TYPOS, "--strict"], project);
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/preflight found 6 problem\(s\)/);
  }, 120_000);
});
