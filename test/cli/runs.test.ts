// xfer runs, xfer compare and xfer plan's table, as processes over a real run store: two of
// three-tiny-runs' runs trained, one pending.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");
const THREE = join(ROOT, "fixtures/recipes/three-tiny-runs");

function xfer(args: string[]) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", cwd: ROOT, timeout: 300_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

interface JsonRow { id: string; axes: Record<string, string>; status: string; bestEpoch?: number; best?: Record<string, number> }

let out: string;
let rows: JsonRow[];

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "xfer-runs-"));
  for (const lr of ["0.1", "0.05"]) {
    const run = xfer(["run", THREE, "--out", out, "--backend", "cpu", "--filter", `training.lr=${lr}`]);
    expect(run.code, run.err).toBe(0);
  }
  const listed = xfer(["runs", THREE, "--out", out, "--json"]);
  expect(listed.code, listed.err).toBe(0);
  rows = JSON.parse(listed.out) as JsonRow[];
}, 600_000);

describe("xfer runs", () => {
  it("--json: every planned run with its axes, status, best epoch and metrics as stored", () => {
    expect(rows.map((r) => [r.axes["training.lr"], r.status])).toEqual([["0.1", "done"], ["0.05", "done"], ["0.02", "pending"]]);
    for (const row of rows.filter((r) => r.status === "done")) {
      const result = JSON.parse(readFileSync(join(out, "three-tiny-runs", row.id, "result.json"), "utf8")) as { bestEpoch: number; best: Record<string, number> };
      expect(row.bestEpoch).toBe(result.bestEpoch);
      expect(row.best).toEqual(result.best);
    }
  });

  it("prints a table and --csv with the same rows", () => {
    const text = xfer(["runs", THREE, "--out", out]);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/3 run\(s\): 2 done, 0 damaged, 0 started-not-finished, 1 pending/);
    expect(text.out).toMatch(/id\s+training\.lr\s+status\s+best epoch\s+val accuracy/);
    const csv = xfer(["runs", THREE, "--out", out, "--csv"]);
    expect(csv.code, csv.err).toBe(0);
    const records = parse(csv.out, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => [r.id, r["training.lr"], r.status, r["val accuracy"]])).toEqual(
      rows.map((r) => [r.id, r.axes["training.lr"], r.status, r.best === undefined ? "" : r.best.accuracy.toFixed(4)]),
    );
  }, 120_000);
});

describe("xfer plan", () => {
  it("prints axes, run count and how many are done, then a table with the varying axes as columns", () => {
    const text = xfer(["plan", THREE, "--out", out]);
    expect(text.code, text.err).toBe(0);
    const lines = text.out.trimEnd().split("\n");
    expect(lines[0]).toBe(`three-tiny-runs: 3 run(s), 2 already done in ${join(out, "three-tiny-runs")}`);
    expect(lines[1]).toBe("  training.lr: 0.1, 0.05, 0.02");
    expect(lines[2]).toMatch(/^ {2}id {12}training\.lr {2}status$/);
    expect(lines.slice(3).map((l) => l.trim().split(/\s+/).slice(1))).toEqual([["0.1", "done"], ["0.05", "done"], ["0.02", "pending"]]);
  }, 120_000);
});

describe("xfer compare", () => {
  it("shows the spec values and metrics that differ, by unique id prefixes", () => {
    const [a, b] = rows;
    const text = xfer(["compare", a.id.slice(0, 8), b.id.slice(0, 10), "--out", out]);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain(`A ${a.id}\nB ${b.id}`);
    expect(text.out).toMatch(/spec differences:\n\s+path\s+A\s+B\n\s+training\.lr\s+0\.1\s+0\.05\nmetrics:/);
    const diff = (b.best!.accuracy - a.best!.accuracy).toFixed(4);
    expect(text.out).toMatch(new RegExp(`val accuracy\\s+${a.best!.accuracy.toFixed(4)}\\s+${b.best!.accuracy.toFixed(4)}\\s+[+]?${diff.replace(".", "\\.")}`));
  }, 120_000);

  it("refuses an unknown or pending run, naming what it searched", () => {
    const pending = xfer(["compare", rows[0].id.slice(0, 8), rows[2].id.slice(0, 8), "--out", out, "--recipe", THREE]);
    expect(pending.code).toBe(1);
    expect(pending.err).toMatch(/compare: no run id starts with "[0-9a-f]{8}" in .*three-tiny-runs/);
    const bad = xfer(["compare", "xyz", rows[0].id, "--out", out]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/compare: "xyz" is not a run id/);
  }, 120_000);
});
