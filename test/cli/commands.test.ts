// Every CLI command as a user runs it: a process of the real executable (xfer.mjs). The table
// below maps each command commander knows to the test files that spawn it; the first test fails
// when a command is added without one. The commands no other file spawns are run here.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../plugins/platform/node/cli/main.ts";
import { BUILTIN_RECIPES } from "../../recipes/index.ts";
import { backboneIds } from "../../plugins/backbones/index.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");
const HERE = "test/cli/commands.test.ts";

/** Command (words as typed) -> the test files that spawn `xfer.mjs` with it. */
const PROCESS_TESTS: Readonly<Record<string, readonly string[]>> = {
  "list": ["test/backend/cli.test.ts", HERE],
  "plan": [HERE, "test/cli/upstream.test.ts"],
  "run": [
    "test/cli/resume.test.ts", "test/cli/golden-results.test.ts", "test/analysis/cli-analysis.test.ts", "test/cli/errors.test.ts", HERE,
    "test/cli/kill-resume.test.ts", "test/cli/workers.test.ts", "test/cli/sweep-failures.test.ts", "test/cli/upstream.test.ts",
    "test/recipes/fashion-mnist-study.test.ts",
  ],
  "status": ["test/cli/status.test.ts", "test/cli/kill-resume.test.ts", "test/cli/upstream.test.ts"],
  "results": [HERE, "test/cli/results.test.ts", "test/recipes/fashion-mnist-study.test.ts"],
  "runs": ["test/cli/runs.test.ts"],
  "compare": ["test/cli/runs.test.ts"],
  "report": ["test/recipes/fashion-mnist-study.test.ts", "test/recipes/clip-transfer.test.ts"],
  "weights convert": ["test/cli/weights-convert.test.ts"],
  "splits make": [HERE],
  "splits verify": [HERE],
  "env": ["test/backend/cli.test.ts"],
  "--version": ["test/backend/cli.test.ts"],
  "new": ["test/cli/new.test.ts"],
  "curves": ["test/cli/run-folder.test.ts"],
  "evaluate": ["test/cli/run-folder.test.ts"],
  "submit": ["test/recipes/aptos-interventions.test.ts"],
  "slurm submit": ["test/slurm/submit.test.ts"],
  "slurm status": ["test/slurm/submit.test.ts", "test/slurm/cluster.test.ts"],
  "--help": [HERE],
};

/** The commands a user can type: leaves of commander's tree, plus the program's --version and --help. */
function commandsOf(command: Command, prefix: string[] = []): string[] {
  return command.commands.flatMap((sub) => {
    const words = [...prefix, sub.name()];
    return sub.commands.length > 0 ? commandsOf(sub, words) : [words.join(" ")];
  });
}

function xfer(args: string[]) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", cwd: ROOT, timeout: 120_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe("every command has a process-level test", () => {
  it("maps each command commander knows to test files that spawn it", () => {
    const program = buildProgram();
    const known = [...commandsOf(program), ...program.options.filter((o) => o.long === "--version").map((o) => o.long!), "--help"];
    expect(Object.keys(PROCESS_TESTS).sort()).toEqual(known.sort());
    for (const [command, files] of Object.entries(PROCESS_TESTS)) {
      // The words as consecutive string literals, e.g. "splits", "make".
      const words = new RegExp(command.split(" ").map((w) => `["'\`]${w.replaceAll("-", "\\-")}["'\`]`).join("\\s*,\\s*"));
      for (const file of files) {
        expect(existsSync(join(ROOT, file)), `${command}: ${file} does not exist`).toBe(true);
        const text = readFileSync(join(ROOT, file), "utf8");
        expect(text, `${file} does not spawn xfer.mjs`).toMatch(/xfer\.mjs/);
        expect(text, `${file} never passes "${command}"`).toMatch(words);
      }
    }
  });
});

describe("commands as processes", () => {
  it("--help lists every top-level command and exits 0", () => {
    const help = xfer(["--help"]);
    expect(help.code).toBe(0);
    for (const name of buildProgram().commands.map((c) => c.name())) expect(help.out).toMatch(new RegExp(`^  ${name}\\b`, "m"));
    expect(help.out).toMatch(/--verbose/);
    const splits = xfer(["splits", "--help"]);
    expect(splits.code).toBe(0);
    expect(splits.out).toMatch(/^\s+make \[options\] <dataset>/m);
  });

  it("list recipes names every built-in recipe; plan prints the runs with their hashes", () => {
    const list = xfer(["list", "recipes"]);
    expect(list.code, list.err).toBe(0);
    expect(list.out.trim().split("\n").slice(1).map((l) => l.trim())).toEqual(Object.keys(BUILTIN_RECIPES).sort());
    // Every catalog model, the paper's (Tables 4, 16, 8), FID's Inception and the minis, is a backbone plugin.
    const backbones = xfer(["list", "plugins"]);
    expect(backbones.code, backbones.err).toBe(0);
    const listed = [...backbones.out.matchAll(/^\s+backbone\s+(\S+)/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(backboneIds());

    const text = xfer(["plan", "hello-transfer"]);
    expect(text.code, text.err).toBe(0);
    const json = xfer(["plan", "hello-transfer", "--json"]);
    const runs = JSON.parse(json.out) as { hash: string }[];
    expect(runs).toHaveLength(4);
    expect(text.out.split("\n")[0]).toMatch(/^hello-transfer: 4 run\(s\), \d+ already done in /);
    for (const { hash } of runs) expect(text.out).toMatch(new RegExp(`^  ${hash.slice(0, 12)}  `, "m"));
    expect(JSON.parse(xfer(["plan", "hello-transfer", "--json", "--smoke"]).out)).toHaveLength(1);
    expect(xfer(["plan", "transfer-trends"]).out).toMatch(/is an analysis recipe: it trains nothing/);
    const unknown = xfer(["plan", "no-such-recipe"]);
    expect(unknown.code).toBe(1);
    expect(unknown.err.trim()).toMatch(/^xfer: unknown recipe "no-such-recipe"; valid recipe names: /);
  });

  it("run trains a smoke run; results exports it as a results table", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-commands-"));
    const run = xfer(["run", "hello-transfer", "--smoke", "--backend", "cpu", "--out", out]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/^hello-transfer: 1 trained, 0 already done/);
    const csv = join(out, "results.csv");
    const results = xfer(["results", "hello-transfer", "--out", out, "--csv", csv]);
    expect(results.code, results.err).toBe(0);
    const [header, row] = readFileSync(csv, "utf8").split("\n");
    expect(header.split(",")[0]).toBe("model");
    expect(header.split(",")).toContain("synthetic");
    expect(row).toMatch(/^tinycnn\.random,/);
  }, 120_000);

  it("splits make writes a manifest; splits verify accepts it and refuses a manifest the data does not match", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xfer-commands-splits-"));
    const manifest = join(dir, "synthetic.json");
    const options = JSON.stringify({ classes: 2, perClass: 10, size: 8, channels: 1 });
    const make = xfer(["splits", "make", "synthetic", "--root", dir, "--out", manifest, "--dataset-options", options]);
    expect(make.code, make.err).toBe(0);
    expect(make.out.trim()).toBe(`${manifest}: synthetic split by stratified-holdout (seed 0): train 16, val 4`);
    const verify = xfer(["splits", "verify", manifest, "--root", dir]);
    expect(verify.code, verify.err).toBe(0);
    expect(verify.out.trim()).toBe(`${manifest}: ok (train 16, val 4)`);

    // A manifest claiming another split than the data gives: exit 1, naming the file and the difference.
    const claimed = JSON.parse(readFileSync(manifest, "utf8"));
    claimed.splits.train.count = 15;
    const drifted = join(dir, "drifted.json");
    writeFileSync(drifted, JSON.stringify(claimed));
    const refused = xfer(["splits", "verify", drifted, "--root", dir]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`splits verify: ${drifted} does not match the data`);
    expect(refused.err).toMatch(/train.*15.*16/);
  }, 60_000);
});
