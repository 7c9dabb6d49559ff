/**
 * The user's path of docs/writing-a-plugin.md, as the user meets it: xfer packed and installed from
 * the tarball into a temporary project, the project of docs/examples/own-study copied in as written
 * (config, a dataset plugin of its own format, a recipe folder), images made with sharp, and the
 * `xfer` command run as processes in that project.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { projectWithInstalledXfer } from "../helpers/installed-xfer.ts";

const ROOT = resolve(import.meta.dirname, "../..");
let project: string;

function xfer(args: string[]) {
  return spawnSync(join(project, "node_modules/.bin/xfer"), args, { cwd: project, encoding: "utf8", timeout: 120_000 });
}

/** 16 images of 8x8, dark (class 0) or light (class 1), with a deterministic shade per image. */
async function writeImages(dir: string): Promise<void> {
  mkdirSync(join(dir, "images"), { recursive: true });
  const labels: Record<string, number> = {};
  for (let i = 0; i < 16; i++) {
    const label = i % 2;
    const shade = label * 160 + ((i * 37) % 60);
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: shade, g: shade, b: shade } } }).png().toFile(join(dir, "images", `s${i}.png`));
    labels[`s${i}`] = label;
  }
  writeFileSync(join(dir, "labels.json"), JSON.stringify(labels, null, 2));
}

beforeAll(async () => {
  project = await projectWithInstalledXfer("xfer-own-study-", "study");
  cpSync(join(ROOT, "docs/examples/own-study"), project, { recursive: true });
  await writeImages(join(project, "data"));
  await writeImages(join(project, "my-study/fixtures/tiny"));
}, 300_000);

describe("a project's own plugin, from the xfer command", () => {
  it("lists the config's plugin beside the built-ins, naming its module", () => {
    const result = xfer(["list", "plugins"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/dataset\s+json-labels\s+1\.0\.0\s+images\/<id>\.png \+ labels\.json.*\(from \.\/plugins\/json-labels\.ts\)/);
    expect(result.stdout).toMatch(/dataset\s+csv\s/);
  });

  it("plans the recipe with the plugin's name, version and options in every spec", () => {
    const result = xfer(["plan", "./my-study", "--json"]);
    expect(result.status, result.stderr).toBe(0);
    const runs = JSON.parse(result.stdout) as { spec: { dataset: { name: string; options: unknown } } }[];
    expect(runs).toHaveLength(2);
    for (const { spec } of runs) expect(spec.dataset).toMatchObject({ name: "json-labels", options: { classNames: ["dark", "light"] } });
  });

  it("runs --smoke on the recipe's own fixture and says which root it used", () => {
    const result = xfer(["run", "./my-study", "--smoke", "--backend", "cpu"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(`xfer: smoke data root of json-labels: ${join(project, "my-study/fixtures/tiny")} (the recipe's smokeDataRoots)`);
    expect(result.stdout).toMatch(/my-study: 1 trained, 0 already done/);
  });

  it("makes a split manifest of the user's dataset, verifies it, and fails after one label changes", () => {
    const make = xfer(["splits", "make", "json-labels", "--root", "data", "--out", "splits.json"]);
    expect(make.status, make.stderr).toBe(0);
    expect(xfer(["splits", "verify", "splits.json", "--root", "data"]).status).toBe(0);
    const labels = JSON.parse(readFileSync(join(project, "data/labels.json"), "utf8")) as Record<string, number>;
    labels.s0 = 1 - labels.s0;
    writeFileSync(join(project, "data/labels.json"), JSON.stringify(labels));
    const verify = xfer(["splits", "verify", "splits.json", "--root", "data"]);
    expect(verify.status).toBe(1);
    labels.s0 = 1 - labels.s0;
    writeFileSync(join(project, "data/labels.json"), JSON.stringify(labels));
  });

  it("runs the full study, then lists, compares, evaluates and analyses its runs with report.html", () => {
    const run = xfer(["run", "./my-study", "--backend", "cpu"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/my-study: 2 trained/);

    const runs = xfer(["runs", "./my-study", "--json"]);
    expect(runs.status, runs.stderr).toBe(0);
    const listed = JSON.parse(runs.stdout) as { id: string; status: string; axes: Record<string, unknown>; best: { accuracy: number } }[];
    expect(listed.map((r) => [r.status, r.axes["training.lr"]]).sort()).toEqual([["done", "0.01"], ["done", "0.1"]]);

    const compare = xfer(["compare", listed[0].id.slice(0, 8), listed[1].id.slice(0, 8)]);
    expect(compare.status, compare.stderr).toBe(0);
    expect(compare.stdout).toContain("training.lr");

    const evaluate = xfer(["evaluate", "./my-study", listed[0].id, "--split", "val", "--json"]);
    expect(evaluate.status, evaluate.stderr).toBe(0);
    expect(evaluate.stdout).toContain(String(listed[0].best.accuracy));

    const results = xfer(["results", "./my-study", "--csv", "my-results.csv"]);
    expect(results.status, results.stderr).toBe(0);
    const report = xfer(["run", "transfer-trends", "--results", "my-results.csv", "--x", "log10_params", "--out", "analysis"]);
    expect(report.status, report.stderr).toBe(0);
    for (const file of ["report.md", "report.json", "report.html", "figure1.svg"]) expect(existsSync(join(project, "analysis/transfer-trends", file)), file).toBe(true);
  }, 300_000);

  it("registers the plugins a recipe folder exports, with or without the config naming them too", () => {
    mkdirSync(join(project, "recipe-plugins"), { recursive: true });
    writeFileSync(join(project, "recipe-plugins/recipe.ts"), [
      'import { jsonLabels } from "../plugins/json-labels.ts";',
      'import study from "../my-study/recipe.ts";',
      "export const plugins = [jsonLabels];",
      "export default study;",
    ].join("\n"));
    writeFileSync(join(project, "bare.config.ts"), "export default {};\n");
    const without = xfer(["--config", "bare.config.ts", "plan", "./my-study"]);
    expect(without.stderr).toContain('unknown dataset "json-labels"');
    for (const args of [["--config", "bare.config.ts", "plan", "./recipe-plugins", "--json"], ["plan", "./recipe-plugins", "--json"]]) {
      const result = xfer(args);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr, args.join(" ")).not.toContain("json-labels");
      expect(JSON.parse(result.stdout)).toHaveLength(2);
    }
  });

  it("refuses a plugin whose name a built-in has, naming both sources", () => {
    const plugin = readFileSync(join(project, "plugins/json-labels.ts"), "utf8").replace('name: "json-labels"', 'name: "csv"');
    writeFileSync(join(project, "plugins/my-csv.ts"), plugin);
    writeFileSync(join(project, "duplicate.config.ts"), 'export default { plugins: ["./plugins/my-csv.ts"] };\n');
    const result = xfer(["--config", "duplicate.config.ts", "list", "plugins"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the dataset plugin "csv" from ./plugins/my-csv.ts duplicates the built-in one');
  });

  it("refuses a malformed plugin object in the config, naming the config file and the field", () => {
    writeFileSync(join(project, "bad.config.mjs"), 'export default { plugins: [{ meta: { kind: "dataset", name: "x" }, create: 1 }] };\n');
    const result = xfer(["--config", "bad.config.mjs", "list", "plugins"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(join(project, "bad.config.mjs"));
    expect(result.stderr).toMatch(/field "plugins\.0".*meta\.version/);
  });

  it("names what a recipe folder must contain when a path is not one", () => {
    const result = xfer(["run", "./plugins"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/not a recipe folder \(no recipe\.ts in .*plugins\); a recipe folder holds recipe\.ts, whose default export is made by defineRecipe/);
  });

  it("is the project docs/writing-a-plugin.md shows, file by file", () => {
    const doc = readFileSync(join(ROOT, "docs/writing-a-plugin.md"), "utf8");
    for (const file of ["plugins/json-labels.ts", "xfer.config.ts", "my-study/recipe.ts"]) {
      expect(doc, file).toContain("```ts\n" + readFileSync(join(ROOT, "docs/examples/own-study", file), "utf8") + "```");
    }
  });

  it("imports xfer from JavaScript under node --import tsx", () => {
    writeFileSync(join(project, "count.mjs"), 'import { builtinRegistry, z } from "xfer";\nimport { jsonLabels } from "./plugins/json-labels.ts";\nconsole.log(JSON.stringify({ name: jsonLabels.meta.name, zod: typeof z.object, datasets: builtinRegistry().names("dataset").length > 0 }));\n');
    const result = spawnSync(process.execPath, ["--import", "tsx", "count.mjs"], { cwd: project, encoding: "utf8", timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({ name: "json-labels", zod: "function", datasets: true });
  });
});
