/**
 * Issue 14, items 4, 5, 8 and 9 for datasets, as a user meets them: the `xfer` CLI run as a process
 * on a `csv` dataset whose files come from the seeded generator fixtures/generators/crafted-inputs.ts.
 * Corrupt images fail naming the file (or are skipped, listed and recorded in the result with
 * skipUndecodable); label cells
 * that once changed meaning or exhausted memory fail naming the row; paths that leave the root fail
 * naming the row, unless the config's allowedDataDirs allows the directory.
 */
import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../core/errors.ts";
import {
  CORRUPT_IMAGES, CRAFTED_LABELS, type CraftedRow, goodRows, writeCraftedCsv, writeCraftedImages,
} from "../../fixtures/generators/crafted-inputs.ts";
import { NodeIO, SharpDecoder } from "../../plugins/platform/node/index.ts";

const XFER = resolve(import.meta.dirname, "../../plugins/platform/node/cli/xfer.mjs");
const CORE = resolve(import.meta.dirname, "../../core/index.ts");

function xfer(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, [XFER, ...args], { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** A crafted dataset root whose train.csv holds the good rows and `extra` after them. */
async function crafted(extra: readonly CraftedRow[] = [], replace?: (rows: CraftedRow[]) => CraftedRow[]): Promise<{ dir: string; root: string }> {
  const dir = await mkdtemp(join(tmpdir(), "xfer-crafted-"));
  const root = await writeCraftedImages(dir);
  const rows = [...goodRows(), ...extra];
  await writeCraftedCsv(root, replace ? replace(rows) : rows);
  return { dir, root };
}

function splitsMake(dir: string, root: string, options: object, ...flags: string[]) {
  return xfer(dir, ...flags, "splits", "make", "csv", "--root", root, "--out", join(dir, "split.json"),
    "--dataset-options", JSON.stringify({ pathColumn: "path", ...options }), "--splitter", "stratified-holdout", "--splitter-options", '{"valFraction":0.5}');
}

describe("corrupt images", () => {
  it("each is an InputError naming the file and what is wrong", async () => {
    const { root } = await crafted();
    const io = new NodeIO(root);
    const decoder = new SharpDecoder();
    const expected = {
      flippedScan: /Corrupt JPEG data|bad Huffman code|premature end of data segment/,
      noEndMarker: /premature end of JPEG image/,
      truncatedPng: /libpng read error|truncated|premature end/i,
    };
    for (const [kind, file] of Object.entries(CORRUPT_IMAGES) as [keyof typeof CORRUPT_IMAGES, string][]) {
      const error = await decoder.decode(await io.readBytes(file), {}, file).then(() => undefined, (e: unknown) => e);
      expect(error, kind).toBeInstanceOf(InputError);
      expect((error as Error).message, kind).toMatch(new RegExp(`^${file.replace(".", "\\.")}: cannot decode image: `));
      expect((error as Error).message, kind).toMatch(expected[kind]);
    }
    for (const row of goodRows()) expect((await decoder.decode(await io.readBytes(row.path))).width).toBe(16);
  });

  it("xfer run fails naming the file; skipUndecodable leaves such samples out and counts them", async () => {
    const { dir, root } = await crafted([{ id: "bad-scan", label: "1", path: CORRUPT_IMAGES.flippedScan }]);
    await writeFile(join(dir, "xfer.config.json"), JSON.stringify({ dataRoots: { csv: root } }));
    const recipe = (options: object) => `import { defineRecipe } from ${JSON.stringify(CORE)};\nexport default defineRecipe(${JSON.stringify({
      name: "crafted",
      description: "one tiny run on the crafted csv dataset",
      template: {
        dataset: { name: "csv", options: { pathColumn: "path", channels: 1, ...options } },
        splitter: { name: "stratified-holdout", options: { valFraction: 0.5 } },
        backbone: { name: "tinycnn.random", options: { inputSize: 16, widths: [4, 8], hidden: 8 } },
        optimizer: { name: "sgd" }, schedule: { name: "constant" }, augment: { train: [], eval: [] },
        metrics: ["accuracy"], training: { epochs: 1, batchSize: 4, lr: 0.1, weightDecay: 0 }, seed: 1,
      },
    })});\n`;
    // The recipe folder is an ES module package, as a user's project is.
    await writeFile(join(dir, "package.json"), '{ "type": "module" }\n');
    await writeFile(join(dir, "recipe.ts"), recipe({}));
    const failed = xfer(dir, "--config", join(dir, "xfer.config.json"), "run", join(dir, "recipe.ts"), "--out", join(dir, "runs"), "--backend", "wasm");
    expect(failed.status, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(/images\/flipped-scan\.jpg: cannot decode image: .*(Corrupt JPEG data|Huffman)/);

    await writeFile(join(dir, "recipe.ts"), recipe({ skipUndecodable: true }));
    const trained = xfer(dir, "--config", join(dir, "xfer.config.json"), "run", join(dir, "recipe.ts"), "--out", join(dir, "runs"), "--backend", "wasm");
    expect(trained.status, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/crafted: 1 trained/);
    expect(trained.stderr).toMatch(/dataset csv left out 1 sample\(s\):\n  bad-scan: images\/flipped-scan\.jpg: cannot decode image: .*\(skipUndecodable\)/);
    // ... and the result it shaped records it.
    const runDir = join(dir, "runs", "crafted");
    const [id] = (await readdir(runDir)).filter((e) => /^[0-9a-f]{64}$/.test(e));
    const result = JSON.parse(await readFile(join(runDir, id, "result.json"), "utf8"));
    expect(result.skipped).toEqual([{ id: "bad-scan", reason: expect.stringMatching(/flipped-scan\.jpg: cannot decode image/) }]);

    const skipped = splitsMake(dir, root, { skipUndecodable: true });
    expect(skipped.status, skipped.stderr).toBe(0);
    expect(skipped.stdout).toMatch(/1 sample\(s\) skipped by the dataset/);
    expect(JSON.parse(await readFile(join(dir, "split.json"), "utf8")).index).toMatchObject({ samples: 6, skipped: 1 });
  }, 240_000);
});

describe("label columns", () => {
  for (const { cell, error } of CRAFTED_LABELS) {
    it(`a label "${cell}" in an integer column is rejected with its row`, async () => {
      const { dir, root } = await crafted([], (rows) => rows.map((row, i) => (i === 2 ? { ...row, label: cell } : row)));
      const result = splitsMake(dir, root, {});
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/train\.csv line 4 column "label": /);
      expect(result.stderr).toMatch(error);
      expect(result.stderr).not.toMatch(/heap|RangeError|at .*\.ts:\d+/);
    }, 60_000);
  }

  it("a number among class names, a control character in a name, and a bad multilabel token name their row", async () => {
    const names = (rows: CraftedRow[]) => rows.map((row, i) => ({ ...row, label: i % 2 ? "cat" : "dog" }));
    const cases: [(rows: CraftedRow[]) => CraftedRow[], object, RegExp][] = [
      [(rows) => names(rows).map((row, i) => (i === 3 ? { ...row, label: "2.0" } : row)), {}, /line 5 column "label": label "2\.0" reads as a number, but the column holds class names/],
      [(rows) => names(rows).map((row, i) => (i === 4 ? { ...row, label: "ca\u0000t" } : row)), {}, /line 6 column "label": class name "ca\\u0000t" contains the control character U\+0000/],
      [(rows) => rows.map((row, i) => ({ ...row, label: i === 1 ? "0 1e3" : "0 1" })), { task: "multilabel" }, /line 3 column "label": label "1e3" is not a class index/],
      [(rows) => rows.map((row, i) => (i === 0 ? { ...row, label: "7" } : row)), { classes: ["a", "b"] }, /line 2 column "label": label 7 is not a class index; expected an integer from 0 to 1/],
    ];
    for (const [edit, options, expected] of cases) {
      const { dir, root } = await crafted([], edit);
      const result = splitsMake(dir, root, options);
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr).toMatch(expected);
    }
  }, 120_000);
});

describe("paths that leave the dataset root", () => {
  it("a .. escape, an absolute path and a link out are rejected naming the row or file; allowedDataDirs allows a directory", async () => {
    const escape = await crafted([{ id: "evil", label: "0", path: "../../outside/secret.png" }]);
    const escaped = splitsMake(escape.dir, escape.root, {});
    expect(escaped.status).toBe(1);
    expect(escaped.stderr).toMatch(/train\.csv line 8: image of sample "evil": \.\.\/\.\.\/outside: resolves to .*outside the dataset root/);

    const absolute = await crafted();
    await writeCraftedCsv(absolute.root, [...goodRows(), { id: "evil", label: "0", path: join(absolute.dir, "outside", "secret.png") }]);
    const absoluteResult = splitsMake(absolute.dir, absolute.root, {});
    expect(absoluteResult.status).toBe(1);
    expect(absoluteResult.stderr).toMatch(/train\.csv line 8: image of sample "evil": .*outside the dataset root/);

    // The link passes the listing; reading it (as skipUndecodable does while indexing) is refused.
    const link = await crafted([{ id: "linked", label: "0", path: "images/link.png" }]);
    const linked = splitsMake(link.dir, link.root, { skipUndecodable: true });
    expect(linked.status).toBe(1);
    expect(linked.stderr).toMatch(/images\/link\.png: is a symbolic link to .*secret\.png, outside the dataset root/);

    // The user allows the outside directory in the config: all three now index.
    await writeFile(join(link.dir, "xfer.config.json"), JSON.stringify({ allowedDataDirs: [join(link.dir, "outside")] }));
    await writeCraftedCsv(link.root, [
      ...goodRows(),
      { id: "escape", label: "0", path: "../outside/secret.png" },
      { id: "absolute", label: "1", path: join(link.dir, "outside", "secret.png") },
      { id: "linked", label: "0", path: "images/link.png" },
    ]);
    const allowed = splitsMake(link.dir, link.root, { skipUndecodable: true }, "--config", join(link.dir, "xfer.config.json"));
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(link.dir, "split.json"), "utf8")).index).toMatchObject({ samples: 9, skipped: 0 });
  }, 120_000);

  it("an HPA split file kept outside the root is read through allowedDataDirs, refused without it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-hpa-split-"));
    const root = join(dir, "hpa");
    await cp(resolve(import.meta.dirname, "../../fixtures/datasets/hpa"), root, { recursive: true });
    await mkdir(join(dir, "splits"));
    const splitFile = join(dir, "splits", "split.csv");
    await rename(join(root, "split.stratified.small.0.csv"), splitFile);
    const args = ["splits", "make", "hpa", "--root", root, "--out", join(dir, "split.json"), "--dataset-options", JSON.stringify({ splitFile })];
    const refused = xfer(dir, ...args);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`${splitFile}: resolves to ${splitFile}, outside the dataset root ${root}`);
    await writeFile(join(dir, "xfer.config.json"), JSON.stringify({ allowedDataDirs: ["splits"] }));
    const allowed = xfer(dir, "--config", join(dir, "xfer.config.json"), ...args);
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/split by predefined/);
  }, 60_000);
});
