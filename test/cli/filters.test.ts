// --filter as a user types it: values compare by type, and a typo is an error naming what exists.
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const XFER = join(ROOT, "plugins/platform/node/cli/xfer.mjs");

function xfer(args: string[]) {
  const run = spawnSync(process.execPath, [XFER, ...args], { encoding: "utf8", cwd: ROOT, timeout: 120_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe("xfer plan --filter", () => {
  it("matches numbers by value whatever their notation", () => {
    const json = (filter: string) => JSON.parse(xfer(["plan", "aptos-augmentation", "--smoke", "--json", "--filter", filter]).out) as { spec: { training: { lr: number } } }[];
    const byExponent = json("training.lr=1e-2");
    expect(byExponent.length).toBeGreaterThan(0);
    expect(byExponent.every((r) => r.spec.training.lr === 0.01)).toBe(true);
    expect(json("training.lr=0.010")).toEqual(byExponent);
  }, 60_000);

  it("rejects a path no run has, naming the paths nearby", () => {
    const { code, err } = xfer(["plan", "aptos-augmentation", "--smoke", "--filter", "training.lrx=1e-2"]);
    expect(code).toBe(1);
    expect(err).toMatch(/--filter training\.lrx=1e-2: no run of recipe "aptos-augmentation" has the path "training\.lrx"; paths there: .*training\.lr\b/);
  }, 60_000);

  it("rejects a filter that matches nothing, listing the values the path takes", () => {
    const { code, err } = xfer(["plan", "aptos-augmentation", "--smoke", "--filter", "dataset.name=aptos"]);
    expect(code).toBe(1);
    expect(err).toMatch(/--filter dataset\.name=aptos: matches none of the \d+ run\(s\) left; "dataset\.name" takes "aptos2019"/);
  }, 60_000);
});
