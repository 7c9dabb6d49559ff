/**
 * The package as a user meets it: `npm pack`, installed into a separate project from the tarball,
 * imported from TypeScript through the entries package.json declares, and the `xfer` command run
 * from that project. The entries are exactly the ones the docs import, and every name a doc
 * imports exists in the installed package.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { projectWithInstalledXfer } from "../helpers/installed-xfer.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; exports: Record<string, string> };
const entries = Object.keys(manifest.exports).map((key) => (key === "." ? manifest.name : `${manifest.name}/${key.slice(2)}`));

/** `import { a, b as c, type T } from "xfer..."` statements in the README and docs/*.md. */
function documentedImports(): { file: string; entry: string; names: string[] }[] {
  const files = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  return files.flatMap((file) =>
    [...readFileSync(join(ROOT, file), "utf8").matchAll(/import\s*(type\s+)?\{([^}]*)\}\s*from\s*"(xfer(?:\/[^"]*)?)"/g)].map((m) => ({
      file,
      entry: m[3],
      // Types vanish at run time; the type check of the docs' examples covers them.
      names: m[1] ? [] : m[2].split(",").map((s) => s.trim()).filter((s) => s && !s.startsWith("type ")).map((s) => s.split(/\s+as\s+/)[0]),
    })),
  );
}

let project: string;

function run(args: string[], input?: string) {
  return spawnSync(process.execPath, args, { cwd: project, encoding: "utf8", input, timeout: 60_000 });
}

beforeAll(async () => {
  project = await projectWithInstalledXfer("xfer-package-", "consumer");
}, 300_000);

describe("the installed package", () => {
  it("declares exactly the entries the docs import", () => {
    expect([...new Set(documentedImports().map((i) => i.entry))].sort()).toEqual([...entries].sort());
  });

  it("has every name the docs import, in the entry they import it from", () => {
    const checks = documentedImports().flatMap(({ file, entry, names }) => names.map((name) => ({ file, entry, name })));
    writeFileSync(join(project, "documented.ts"), [
      `const checks = ${JSON.stringify(checks)};`,
      "const missing = [];",
      "for (const { file, entry, name } of checks) if ((await import(entry))[name] === undefined) missing.push(`${file}: ${name} from ${entry}`);",
      "console.log(JSON.stringify(missing));",
    ].join("\n"));
    const result = run(["--import", "tsx", "documented.ts"]);
    expect(result.status, result.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(result.stdout.trim().split("\n").at(-1)!)).toEqual([]);
  });

  it("plans a study from TypeScript through `xfer` and `xfer/core`", () => {
    writeFileSync(join(project, "study.ts"), `
import { builtinRegistry, defineRecipe, plan } from "xfer";
import { pearson } from "xfer/core";
const recipe = defineRecipe({
  name: "consumer-study",
  description: "a tiny study from an installed xfer",
  template: {
    dataset: { name: "synthetic", options: { classes: 2, perClass: 8, size: 8, channels: 1 } },
    splitter: { name: "stratified-holdout", options: { valFraction: 0.5 } },
    backbone: { name: "tinycnn.random", options: { inputSize: 8, channels: 1, widths: [2, 4], hidden: 4 } },
    optimizer: { name: "sgd" }, schedule: { name: "constant" }, augment: { train: [], eval: [] },
    metrics: ["accuracy"], training: { epochs: 1, batchSize: 4, lr: 0.1, weightDecay: 0 }, seed: 0,
  },
});
const runs = plan(recipe);
console.log(JSON.stringify({ runs: runs.length, hash: runs[0].hash.length, r: pearson([1, 2, 3], [1, 2, 4]).r.toFixed(4), datasets: builtinRegistry().names("dataset").includes("synthetic") }));
`);
    const result = run(["--import", "tsx", "study.ts"]);
    expect(result.status, result.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(result.stdout.trim().split("\n").at(-1)!)).toEqual({ runs: 1, hash: 64, r: "0.9820", datasets: true });
  });

  it("gives the project the `xfer` command", () => {
    const result = spawnSync(join(project, "node_modules/.bin/xfer"), ["list", "recipes"], { cwd: project, encoding: "utf8", timeout: 60_000 });
    expect(result.status, result.stderr.slice(-2000)).toBe(0);
    expect(result.stdout).toContain("transfer-trends");
  });
});
